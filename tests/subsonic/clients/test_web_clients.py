"""What browser and web clients rely on: CORS on answers and errors, preflights for form posts,
JSONP, form POST answered as GET, and the ``.view`` suffix."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.subsonic import spec
from tests.subsonic.conftest import ADMIN
from tests.subsonic.server import HttpApi, RunningServer

pytestmark = pytest.mark.integration


def test_cors_headers_on_success_and_on_every_kind_of_error(
    server: RunningServer, http: HttpApi, song_ids: dict[str, str]
) -> None:
    origin = {"Origin": "https://web-client.example"}

    def call(method: str, params: dict[str, Any], **headers: str) -> requests.Response:
        url = f"{server.url}/rest/{method}"
        answer = requests.get(url, params=params, headers={**origin, **headers}, timeout=30)
        assert answer.headers.get("Access-Control-Allow-Origin") == "*", (method, answer.headers)
        return answer

    assert 'status="ok"' in call("ping", http.credentials()).text
    wrong_token = {**http.credentials(), "t": "0" * 32}
    assert '<error code="40"' in call("ping", wrong_token).text
    assert '<error code="10"' in call("getAlbum", http.credentials()).text  # no id
    assert '<error code="70"' in call("getAlbum", {**http.credentials(), "id": "al-9999"}).text
    unknown = call("noSuchMethod", http.credentials())
    assert 'status="failed"' in unknown.text
    streamed = call("stream", {**http.credentials(), "id": song_ids["Hit 1"]}, Range="bytes=10-")
    assert streamed.status_code == 206
    # Browser clients can read Content-Range only if it is exposed.
    assert "content-range" in streamed.headers["Access-Control-Expose-Headers"].lower()


@pytest.mark.parametrize("path", ["/rest/search3", "/rest/stream.view"])
def test_options_preflight_allows_form_posts(server: RunningServer, path: str) -> None:
    preflight = requests.options(
        f"{server.url}{path}",
        headers={
            "Origin": "https://web-client.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=30,
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    allowed_methods = preflight.headers["Access-Control-Allow-Methods"].upper()
    assert "POST" in allowed_methods
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in [h.strip() for h in allowed.split(",")]


def test_jsonp_wraps_the_json_answer_in_the_callback(
    http: HttpApi, album_ids: dict[str, str]
) -> None:
    answer = http.get("getAlbum", f="jsonp", callback="cb", id=album_ids["Summer Hits"])
    assert answer.status_code == 200
    assert "javascript" in answer.headers["Content-Type"]
    text = answer.text
    assert text.startswith("cb(") and text.rstrip().endswith(");")
    document = json.loads(text.strip()[len("cb(") : -len(");")])
    spec.validate_json("getAlbum", document)
    assert [s["title"] for s in document["subsonic-response"]["album"]["song"]] == [
        "Hit 1",
        "Hit 2",
    ]


def test_jsonp_also_wraps_errors(server: RunningServer) -> None:
    wrong = HttpApi(server.url, ADMIN, "not the password")
    text = wrong.get("ping", f="jsonp", callback="cb").text
    assert text.startswith("cb(")
    document = json.loads(text.strip()[len("cb(") : -len(");")])
    assert document["subsonic-response"]["error"]["code"] == 40


@pytest.mark.parametrize("method", ["getAlbum", "search3", "getArtists", "getAlbumList2"])
def test_form_post_answers_as_get_does(
    http: HttpApi, album_ids: dict[str, str], method: str
) -> None:
    params = {
        "getAlbum": {"id": album_ids["Double Trouble"]},
        "search3": {"query": "disc"},
        "getArtists": {},
        "getAlbumList2": {"type": "alphabeticalByArtist"},
    }[method]
    for fmt in ("json", "xml"):
        by_get = http.get(method, f=fmt, **params)
        by_post = http.post(method, f=fmt, **params)
        assert by_post.status_code == 200
        assert by_post.headers["Content-Type"] == by_get.headers["Content-Type"]
        assert by_post.content == by_get.content


def test_view_suffix_answers_as_the_bare_method(http: HttpApi, album_ids: dict[str, str]) -> None:
    params = {"id": album_ids["Blue Album"], "f": "json"}
    assert http.get("getAlbum.view", **params).json() == http.get("getAlbum", **params).json()
