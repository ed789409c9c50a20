"""The whole surface: every method of Subsonic 1.16.1 and OpenSubsonic answers.

The list of methods is the OpenSubsonic spec's (one file per endpoint, a superset of Subsonic
1.16.1's). Features this server does not offer answer lists with valid empty lists and the rest
with error 50.
"""

from __future__ import annotations

import pytest

from subsonic.api import PROTECTED, PUBLIC
from subsonic.not_offered import FEATURES
from tests.subsonic import spec
from tests.subsonic.conftest import Api, MusicLibrary

SPEC_METHODS = sorted(path.stem for path in (spec.OPENAPI / "endpoints").glob("*.json"))


def test_the_spec_lists_the_subsonic_methods_and_more() -> None:
    assert len(SPEC_METHODS) > 80 and {"ping", "hls.m3u8", "tokenInfo"} <= set(SPEC_METHODS)


def test_every_method_of_the_spec_is_registered() -> None:
    registered = set(PUBLIC) | set(PROTECTED)
    assert sorted(set(SPEC_METHODS) - registered) == []


@pytest.mark.parametrize("method", SPEC_METHODS)
def test_every_method_answers_with_a_subsonic_response(listener_api: Api, method: str) -> None:
    # A listener without parameters: nothing is changed, and every answer is a valid
    # Subsonic response, in XML and in JSON (an error for a missing parameter counts).
    response = listener_api.get(method, f="json")
    assert response.status_code == 200, response.data[:200]
    answer = response.json["subsonic-response"]
    assert "Unknown API method" not in answer.get("error", {}).get("message", "")
    listener_api._both(method, True, {})


@pytest.mark.parametrize(
    ("method", "answer"),
    [(method, answer) for feature in FEATURES for method, answer in feature.lists.items()],
)
def test_lists_of_features_not_offered_are_empty(api: Api, method: str, answer: dict) -> None:
    body = api.ok(method)
    key = next(iter(answer))
    assert body[key] == answer[key]


@pytest.mark.parametrize("method", [method for feature in FEATURES for method in feature.refused])
def test_other_methods_of_features_not_offered_are_error_50(api: Api, method: str) -> None:
    response = api.get(method, f="json", id="tr-1")
    error = response.json["subsonic-response"]["error"]
    assert error["code"] == 50 and "not offered" in error["message"]


def test_the_old_search_finds_songs_by_any_word_and_by_field(
    api: Api, music_library: MusicLibrary
) -> None:
    hits = api.ok("search", any="blue")["searchResult"]
    assert {match["title"] for match in hits["match"]} == {f"Blue Song {n}" for n in (1, 2, 3)}
    assert (hits["offset"], hits["totalHits"]) == (0, 3)
    paged = api.ok("search", artist="testers", title="song", count=2, offset=2)["searchResult"]
    assert [match["title"] for match in paged["match"]] == ["Blue Song 3"]
    assert api.ok("search", title="no such words")["searchResult"].get("match", []) == []
