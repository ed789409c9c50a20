"""Top tags through the real pylast client from a local Last.fm speaking the 2.0 API over TLS:
each object asked once per run, not found is no tags, and anything else a one-line error after
which Last.fm is left alone for a while."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from beetcrate.genres import GenreLookupError, LastfmTags, Level, Tag
from beetcrate.scrobbling.lastfm import Throttle
from beetcrate.settings import LastfmSettings
from tests.scrobbling.fakes import FakeLastfm, LastfmError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def run(lastfm_settings: LastfmSettings, clock: Clock) -> LastfmTags:
    return LastfmTags(lastfm_settings, retry_after=60.0, throttle=Throttle(0.0), clock=clock)


def test_tracks_albums_and_artists_give_their_tags_and_weights(
    lastfm: FakeLastfm, tags: LastfmTags
) -> None:
    lastfm.tag("track", "The Testers", "Blue Song", [("indie rock", 100), ("seen live", 7)])
    lastfm.tag("album", "The Testers", "Blue Album", [("rock", 100)])
    lastfm.tag("artist", "The Testers", "", [("indie", 100), ("british", 33)])
    assert tags.top_tags(Level.ITEM, "The Testers", "Blue Song") == (
        Tag("indie rock", 100),
        Tag("seen live", 7),
    )
    assert tags.top_tags(Level.ALBUM, "the testers", "BLUE ALBUM") == (Tag("rock", 100),)
    assert tags.top_tags(Level.ARTIST, "The Testers") == (Tag("indie", 100), Tag("british", 33))
    asked = [(call.method, call.params.get("artist")) for call in lastfm.top_tag_calls()]
    assert asked == [
        ("track.getTopTags", "The Testers"),
        ("album.getTopTags", "the testers"),
        ("artist.getTopTags", "The Testers"),
    ]


def test_each_object_is_asked_once_per_run(lastfm: FakeLastfm, tags: LastfmTags) -> None:
    lastfm.tag("album", "The Testers", "Blue Album", [("rock", 100)])
    for spelling in ("Blue Album", "blue album", " Blue  Album "):
        assert tags.top_tags(Level.ALBUM, "The Testers", spelling) == (Tag("rock", 100),)
    assert tags.top_tags(Level.ALBUM, "Nobody", "Nothing") == ()
    assert tags.top_tags(Level.ALBUM, "Nobody", "Nothing") == ()
    assert len(lastfm.top_tag_calls()) == 2 and tags.requests == 2


def test_an_object_last_fm_does_not_know_has_no_tags(lastfm: FakeLastfm, tags: LastfmTags) -> None:
    assert tags.top_tags(Level.ITEM, "Nobody", "Nothing") == ()
    assert tags.top_tags(Level.ARTIST, "Nobody") == ()


def test_a_last_fm_that_is_down_is_one_line_and_left_alone_for_a_while(
    lastfm: FakeLastfm, run: LastfmTags, clock: Clock
) -> None:
    lastfm.tag("artist", "The Testers", "", [("rock", 100)])
    lastfm.down()
    with pytest.raises(GenreLookupError) as failed:
        run.top_tags(Level.ARTIST, "The Testers")
    message = str(failed.value)
    assert message.startswith(f"Last.fm ({lastfm.url}) cannot be asked: ") and "\n" not in message
    assert run.requests == 1
    lastfm.up()
    clock.now += 59.0
    with pytest.raises(GenreLookupError, match="cannot be asked"):
        run.top_tags(Level.ARTIST, "The Testers")
    assert run.requests == 1 and lastfm.top_tag_calls() == []
    clock.now += 1.0
    assert run.top_tags(Level.ARTIST, "The Testers") == (Tag("rock", 100),)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (LastfmError(29, "Rate Limit Exceeded", 429), "answered error 29: Rate Limit Exceeded"),
        (LastfmError(11, "Service Offline", 503), "answered error 503"),
        (LastfmError(16, "There was a temporary error", 200), "answered error 16"),
        (LastfmError(26, "Suspended API key", 403), "answered error 26: Suspended API key"),
    ],
)
def test_a_last_fm_error_is_one_line_naming_it(
    lastfm: FakeLastfm, run: LastfmTags, error: LastfmError, message: str
) -> None:
    lastfm.failing = error
    with pytest.raises(GenreLookupError) as failed:
        run.top_tags(Level.ALBUM, "The Testers", "Blue Album")
    assert message in str(failed.value) and "\n" not in str(failed.value)


@pytest.mark.parametrize(
    ("page", "message"),
    [
        (b"<html>the service is unavailable</html>", "not its API's XML"),
        (b"<html><body>Forbidden", "cannot be asked: Malformed response"),
    ],
)
def test_a_page_that_is_not_last_fm_xml_is_an_error(
    lastfm: FakeLastfm, run: LastfmTags, page: bytes, message: str
) -> None:
    lastfm.http_status, lastfm.error_page = 403, page  # a proxy's error page
    with pytest.raises(GenreLookupError, match=message):
        run.top_tags(Level.ARTIST, "The Testers")


def test_a_wrong_api_key_is_an_error(lastfm_settings: LastfmSettings) -> None:
    wrong = LastfmSettings("x" * 32, "y" * 32, lastfm_settings.url, lastfm_settings.ca_file)
    with pytest.raises(GenreLookupError, match="answered error 10: Invalid API key"):
        LastfmTags(wrong, throttle=Throttle(0.0)).top_tags(Level.ARTIST, "The Testers")


def test_without_an_api_account_there_is_no_lookup() -> None:
    with pytest.raises(GenreLookupError, match="beetcrate: lastfm: api_key and api_secret"):
        LastfmTags(LastfmSettings())


def test_a_last_fm_that_never_answers_times_out_once_per_run(
    lastfm_settings: LastfmSettings, clock: Clock
) -> None:
    # A port that takes connections and never speaks TLS: pylast gives up after its 5 s
    # connect timeout (its read timeout, 20 s, is the same error from a later moment).
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = f"https://127.0.0.1:{silent.getsockname()[1]}/2.0/"
        hanging = dataclasses.replace(lastfm_settings, url=url)
        run = LastfmTags(hanging, throttle=Throttle(0.0), clock=clock)
        with pytest.raises(GenreLookupError, match=r"cannot be asked: NetworkError: .*timed out"):
            run.top_tags(Level.ARTIST, "The Testers")
        with pytest.raises(GenreLookupError, match="timed out"):
            run.top_tags(Level.ALBUM, "The Testers", "Blue Album")
    assert run.requests == 1
