"""Stars, ratings, plays and now playing: written per user, shown on every node they concern.

Most tests run on one library and app for the module, each as users of its own (``fans``):
user data is per user, so no test sees another's. Tests of what crosses users (average ratings,
now playing) take a library of their own.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from datetime import datetime

import pytest
from flask import Flask

from beetcrate import sidecar
from subsonic.app import create_app
from subsonic.names import short_hash
from tests.helper import wait_for
from tests.subsonic import spec
from tests.subsonic.conftest import LISTENER, LISTENER_PASSWORD, Api, MusicLibrary, build_library

PASSWORD = "fan password"
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> tuple[MusicLibrary, Flask]:
    library = build_library(tmp_path_factory.mktemp("annotated"))
    return library, create_app(library.settings)


@pytest.fixture
def fans(shared: tuple[MusicLibrary, Flask]) -> Callable[[], Api]:
    """Makes users of the test's own on the module's app, each as an API client."""
    _, app = shared

    def make() -> Api:
        name = f"fan{next(_numbers)}"
        app.extensions["beetcrate"].users.add(name, PASSWORD)
        return Api(app.test_client(), name, PASSWORD)

    return make


@pytest.fixture
def fan(fans: Callable[[], Api]) -> Api:
    return fans()


@pytest.fixture
def ids(shared: tuple[MusicLibrary, Flask]) -> dict[str, str]:
    library, _ = shared
    return {
        **{name: f"tr-{item.id}" for name, item in library.items.items()},
        **{name: f"al-{album_id}" for name, album_id in library.albums.items()},
        "testers": "ar-" + short_hash("The Testers"),
        "zeta": "ar-" + short_hash("Zeta Band"),
    }


def _once(api: Api, method: str, **params: object) -> None:
    """Call a method that counts (scrobble, reportPlayback) once, in JSON, checked against the
    spec: ``Api.ok`` asks twice, in XML and in JSON."""
    response = api.get(method, f="json", **params)
    document = json.loads(response.data)
    spec.validate_json(method, document)
    assert document["subsonic-response"]["status"] == "ok", document


def _epoch(iso: str) -> float:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def _by_id(nodes: list[dict]) -> dict[str, dict]:
    return {node["id"]: node for node in nodes}


def _index_artists(body: dict, key: str) -> dict[str, dict]:
    return _by_id([artist for index in body[key]["index"] for artist in index["artist"]])


# Stars ----------------------------------------------------------------------------------------


def test_a_star_shows_on_songs_albums_and_artists_wherever_they_appear(
    fan: Api, ids: dict[str, str]
) -> None:
    before = time.time()
    fan.ok("star", id=ids["blue1"], albumId=ids["blue"], artistId=ids["testers"])
    song = fan.ok("getSong", id=ids["blue1"])["song"]
    assert before - 1 <= _epoch(song["starred"]) <= time.time() + 1
    album = fan.ok("getAlbum", id=ids["blue"])["album"]
    assert "starred" in album
    assert [s.get("starred") is not None for s in album["song"]] == [True, False, False]
    artist = fan.ok("getArtist", id=ids["testers"])["artist"]
    assert "starred" in artist and "starred" in artist["album"][0]
    found = fan.ok("search3", query="blue")["searchResult3"]
    assert "starred" in _by_id(found["song"])[ids["blue1"]]
    assert "starred" in found["album"][0]
    assert "starred" in fan.ok("search3", query="testers")["searchResult3"]["artist"][0]
    folder = fan.ok("search2", query="testers")["searchResult2"]
    assert "starred" in folder["artist"][0]
    directory = fan.ok("getMusicDirectory", id=ids["blue"])["directory"]
    assert "starred" in directory and "starred" in _by_id(directory["child"])[ids["blue1"]]
    artist_directory = fan.ok("getMusicDirectory", id=ids["testers"])["directory"]
    assert "starred" in artist_directory and "starred" in artist_directory["child"][0]
    listed = fan.ok("getAlbumList2", type="alphabeticalByName", size=50)["albumList2"]["album"]
    assert "starred" in _by_id(listed)[ids["blue"]]
    assert "starred" in _index_artists(fan.ok("getArtists"), "artists")[ids["testers"]]
    assert "starred" in _index_artists(fan.ok("getIndexes"), "indexes")[ids["testers"]]


def test_get_starred_lists_what_the_user_starred_newest_first(
    fan: Api, ids: dict[str, str]
) -> None:
    fan.ok("star", id=ids["blue2"])
    fan.ok("star", id=[ids["double1"], ids["testers"]], albumId=ids["hits"])
    starred2 = fan.ok("getStarred2")["starred2"]
    assert [s["id"] for s in starred2["song"]] == [ids["double1"], ids["blue2"]]
    assert [a["id"] for a in starred2["album"]] == [ids["hits"]]
    assert [a["id"] for a in starred2["artist"]] == [ids["testers"]]
    starred = fan.ok("getStarred")["starred"]
    assert {s["id"] for s in starred["song"]} == {ids["blue2"], ids["double1"]}
    assert [a["id"] for a in starred["album"]] == [ids["hits"]]
    assert starred["album"][0]["isDir"] is True
    assert [a["id"] for a in starred["artist"]] == [ids["testers"]]


def test_stars_belong_to_the_user_who_starred(fans: Callable[[], Api], ids: dict[str, str]) -> None:
    one, other = fans(), fans()
    one.ok("star", id=ids["blue3"], artistId=ids["zeta"])
    assert other.ok("getStarred2")["starred2"] == {"artist": [], "album": [], "song": []}
    assert "starred" not in other.ok("getSong", id=ids["blue3"])["song"]
    # The artist index is cached per catalog and annotations version: per user too.
    assert "starred" in _index_artists(one.ok("getArtists"), "artists")[ids["zeta"]]
    assert "starred" not in _index_artists(other.ok("getArtists"), "artists")[ids["zeta"]]


def test_starring_again_keeps_the_first_time_and_unstar_removes_the_star(
    fan: Api, ids: dict[str, str]
) -> None:
    fan.ok("star", id=ids["single1"])
    first = fan.ok("getSong", id=ids["single1"])["song"]["starred"]
    time.sleep(0.01)
    fan.ok("star", id=ids["single1"])
    assert fan.ok("getSong", id=ids["single1"])["song"]["starred"] == first
    fan.ok("unstar", id=ids["single1"])
    assert "starred" not in fan.ok("getSong", id=ids["single1"])["song"]
    assert fan.ok("getStarred2")["starred2"]["song"] == []
    fan.ok("unstar", id=ids["single1"])  # unstarring what is not starred is no error


def _named(params: dict, ids: dict[str, str]) -> dict:
    """``params`` with the short names in capitals (``BLUE1``) replaced by their ids."""

    def one(value: object) -> object:
        return ids[value.lower()] if isinstance(value, str) and value.isupper() else value

    return {
        key: [one(v) for v in value] if isinstance(value, list) else one(value)
        for key, value in params.items()
    }


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"id": ["BLUE1", "tr-999999"]}, 70),
        ({"id": ["BLUE1", "not an id"]}, 70),
        ({"id": "BLUE1", "albumId": "tr-1"}, 70),
        ({"id": "BLUE1", "artistId": "al-999999"}, 70),
        ({}, 10),
    ],
)
def test_star_with_a_bad_id_fails_and_stars_nothing(
    fan: Api, ids: dict[str, str], params: dict, code: int
) -> None:
    assert fan.error("star", **_named(params, ids)) == code
    assert fan.ok("getStarred2")["starred2"]["song"] == []
    assert fan.error("unstar", **_named(params, ids)) == code


# Ratings --------------------------------------------------------------------------------------


def test_a_rating_shows_as_user_rating_and_zero_removes_it(fan: Api, ids: dict[str, str]) -> None:
    fan.ok("setRating", id=ids["double1"], rating=4)
    fan.ok("setRating", id=ids["double"], rating=2)
    fan.ok("setRating", id=ids["zeta"], rating=5)
    assert fan.ok("getSong", id=ids["double1"])["song"]["userRating"] == 4
    assert fan.ok("getAlbum", id=ids["double"])["album"]["userRating"] == 2
    assert _index_artists(fan.ok("getIndexes"), "indexes")[ids["zeta"]]["userRating"] == 5
    assert fan.ok("getMusicDirectory", id=ids["zeta"])["directory"]["userRating"] == 5
    fan.ok("setRating", id=ids["double1"], rating=0)
    assert "userRating" not in fan.ok("getSong", id=ids["double1"])["song"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"rating": 6}, 0),
        ({"rating": -1}, 0),
        ({"rating": "four"}, 0),
        ({}, 10),
        ({"id": "tr-999999", "rating": 3}, 70),
        ({"id": None, "rating": 3}, 10),
    ],
)
def test_bad_ratings_are_errors(fan: Api, ids: dict[str, str], params: dict, code: int) -> None:
    query = {k: v for k, v in {"id": ids["blue1"], **params}.items() if v is not None}
    assert fan.error("setRating", **query) == code
    assert "userRating" not in fan.ok("getSong", id=ids["blue1"])["song"]


def test_average_rating_is_over_every_user_who_rated(own_library: MusicLibrary) -> None:
    app = create_app(own_library.settings)
    alice, bob = Api(app.test_client()), Api(app.test_client(), LISTENER, LISTENER_PASSWORD)
    song = f"tr-{own_library.items['blue1'].id}"
    alice.ok("setRating", id=song, rating=5)
    bob.ok("setRating", id=song, rating=2)
    assert alice.ok("getSong", id=song)["song"]["averageRating"] == 3.5
    assert bob.ok("getSong", id=song)["song"]["userRating"] == 2
    bob.ok("setRating", id=song, rating=0)
    assert alice.ok("getSong", id=song)["song"]["averageRating"] == 5


# Plays ----------------------------------------------------------------------------------------


def test_a_scrobble_counts_on_the_song_its_album_and_its_artists(
    fan: Api, ids: dict[str, str], shared: tuple[MusicLibrary, Flask]
) -> None:
    played = 1_700_000_000_000
    _once(fan, "scrobble", id=[ids["blue1"], ids["blue1"]], time=[played, played + 60_000])
    song = fan.ok("getSong", id=ids["blue1"])["song"]
    assert song["playCount"] == 2
    assert _epoch(song["played"]) == (played + 60_000) / 1000
    album = fan.ok("getAlbum", id=ids["blue"])["album"]
    assert album["playCount"] == 2 and _epoch(album["played"]) == (played + 60_000) / 1000
    assert fan.ok("getMusicDirectory", id=ids["testers"])["directory"]["playCount"] == 2
    # A play submitted late counts, but does not make the last play older.
    _once(fan, "scrobble", id=ids["blue1"], time=played - 3_600_000)
    song = fan.ok("getSong", id=ids["blue1"])["song"]
    assert song["playCount"] == 3 and _epoch(song["played"]) == (played + 60_000) / 1000
    library, _ = shared
    history = sidecar.connect(library.settings.db).execute(
        "SELECT item_id, played_at, client FROM user_plays WHERE user = ? ORDER BY id",
        [fan.user],
    )
    item_id = library.items["blue1"].id
    assert history.fetchall() == [
        (item_id, played / 1000, "pytest"),
        (item_id, played / 1000 + 60, "pytest"),
        (item_id, played / 1000 - 3600, "pytest"),
    ]


def test_a_scrobble_without_time_is_a_play_now(fan: Api, ids: dict[str, str]) -> None:
    before = time.time()
    _once(fan, "scrobble", id=ids["single2"])
    song = fan.ok("getSong", id=ids["single2"])["song"]
    assert song["playCount"] == 1 and before - 1 <= _epoch(song["played"]) <= time.time() + 1


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"id": ["BLUE1", "tr-999999"]}, 70),
        ({"id": ["BLUE1", "BLUE2"], "time": [1_700_000_000_000]}, 0),
        ({"id": ["BLUE1"], "time": ["yesterday"]}, 0),
        # Microseconds (a client's unit mix-up): the year 55000, not a moment of a play.
        ({"id": ["BLUE1"], "time": [1_700_000_000_000_000]}, 0),
        ({"id": ["BLUE1"], "time": [-5]}, 0),
        ({}, 10),
    ],
)
def test_a_bad_scrobble_counts_nothing(
    fan: Api, ids: dict[str, str], params: dict, code: int
) -> None:
    assert fan.error("scrobble", **_named(params, ids)) == code
    assert "playCount" not in fan.ok("getSong", id=ids["blue1"])["song"]
    assert fan.ok("getAlbumList2", type="recent")["albumList2"]["album"] == []


def test_streaming_alone_counts_no_play(fan: Api, ids: dict[str, str]) -> None:
    assert fan.get("stream", id=ids["blue2"]).status_code == 200
    assert fan.get("download", id=ids["blue2"]).status_code == 200
    assert "playCount" not in fan.ok("getSong", id=ids["blue2"])["song"]


# Album lists ----------------------------------------------------------------------------------


def _album_ids(api: Api, list_type: str, **page: int) -> list[str]:
    albums = api.ok("getAlbumList2", type=list_type, **page)["albumList2"]["album"]
    folders = api.ok("getAlbumList", type=list_type, **page)["albumList"]["album"]
    assert [a["id"] for a in folders] == [a["id"] for a in albums]
    return [album["id"] for album in albums]


def test_user_album_lists_rank_the_users_own_stars_ratings_and_plays(
    fans: Callable[[], Api], ids: dict[str, str]
) -> None:
    fan, other = fans(), fans()
    fan.ok("star", albumId=ids["hits"])
    time.sleep(0.01)
    fan.ok("star", albumId=ids["blue"])
    fan.ok("setRating", id=ids["double"], rating=5)
    fan.ok("setRating", id=ids["blue"], rating=3)
    _once(fan, "scrobble", id=[ids["blue1"], ids["blue2"], ids["double1"]], time=[1000, 2000, 3000])
    assert _album_ids(fan, "starred") == [ids["blue"], ids["hits"]]
    assert _album_ids(fan, "highest") == [ids["double"], ids["blue"]]
    assert _album_ids(fan, "frequent") == [ids["blue"], ids["double"]]
    assert _album_ids(fan, "recent") == [ids["double"], ids["blue"]]
    assert _album_ids(fan, "recent", size=1, offset=1) == [ids["blue"]]
    for list_type in ("starred", "highest", "frequent", "recent"):
        assert _album_ids(other, list_type) == []


# Now playing ----------------------------------------------------------------------------------


def test_now_playing_shows_each_users_player_until_the_song_would_have_ended(
    own_library: MusicLibrary,
) -> None:
    app = create_app(own_library.settings)
    alice, bob = Api(app.test_client()), Api(app.test_client(), LISTENER, LISTENER_PASSWORD)
    song = f"tr-{own_library.items['blue1'].id}"
    assert alice.ok("getNowPlaying")["nowPlaying"] == {"entry": []}
    alice.ok("scrobble", id=song, submission="false", c="Phone")
    (entry,) = bob.ok("getNowPlaying")["nowPlaying"]["entry"]
    assert entry["id"] == song and entry["username"] == "alice"
    assert entry["playerName"] == "Phone" and entry["minutesAgo"] == 0
    assert isinstance(entry["playerId"], int)
    assert "playCount" not in alice.ok("getSong", id=song)["song"]
    # The songs of the test library last one second.
    wait_for(lambda: not bob.ok("getNowPlaying")["nowPlaying"]["entry"], what="the song to end")


def test_a_bad_now_playing_scrobble_is_an_error(fan: Api) -> None:
    assert fan.error("scrobble", id="tr-999999", submission="false") == 70


# Playback reports (OpenSubsonic playbackReport) -----------------------------------------------


def _report(api: Api, song: str, state: str, position_ms: int, **extra: object) -> None:
    _once(
        api,
        "reportPlayback",
        mediaId=song,
        mediaType="song",
        positionMs=position_ms,
        state=state,
        c="Desk",
        **extra,
    )


def test_playback_reports_show_state_and_position_and_a_stop_counts_the_play(
    own_library: MusicLibrary,
) -> None:
    app = create_app(own_library.settings)
    alice = Api(app.test_client())
    song = f"tr-{own_library.items['blue2'].id}"
    _report(alice, song, "starting", 0)
    _report(alice, song, "paused", 400)
    (entry,) = alice.ok("getNowPlaying")["nowPlaying"]["entry"]
    assert (entry["state"], entry["positionMs"], entry["playerName"]) == ("paused", 400, "Desk")
    assert "playCount" not in alice.ok("getSong", id=song)["song"]
    _report(alice, song, "stopped", 900)
    assert alice.ok("getNowPlaying")["nowPlaying"]["entry"] == []
    assert alice.ok("getSong", id=song)["song"]["playCount"] == 1
    # A stop with no session, one too early, and one asking to be ignored count nothing.
    _report(alice, song, "stopped", 900)
    _report(alice, song, "starting", 0)
    _report(alice, song, "stopped", 100)
    _report(alice, song, "starting", 0)
    _report(alice, song, "stopped", 1000, ignoreScrobble="true")
    assert alice.ok("getSong", id=song)["song"]["playCount"] == 1


def test_a_playing_report_moves_the_position_with_the_playback_rate(
    own_library: MusicLibrary,
) -> None:
    app = create_app(own_library.settings)
    alice = Api(app.test_client())
    song = f"tr-{own_library.items['blue3'].id}"
    _report(alice, song, "playing", 0, playbackRate="0.1")
    wait_for(
        lambda: alice.ok("getNowPlaying")["nowPlaying"]["entry"][0]["positionMs"] > 0,
        what="the position to move",
    )
    (entry,) = alice.ok("getNowPlaying")["nowPlaying"]["entry"]
    assert entry["state"] == "playing" and entry["playbackRate"] == 0.1
    assert entry["positionMs"] < 1000


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"state": "rewinding"}, 0),
        ({"mediaType": "podcast"}, 0),
        ({"positionMs": -5}, 0),
        ({"playbackRate": "fast"}, 0),
        ({"playbackRate": 0}, 0),
        ({"mediaId": "tr-999999"}, 70),
        ({"state": None}, 10),
        ({"positionMs": None}, 10),
    ],
)
def test_bad_playback_reports_are_errors(
    fan: Api, ids: dict[str, str], params: dict, code: int
) -> None:
    query = {"mediaId": ids["blue1"], "mediaType": "song", "positionMs": 0, "state": "playing"}
    query = {k: v for k, v in {**query, **params}.items() if v is not None}
    assert fan.error("reportPlayback", **query) == code


def test_playback_report_is_an_advertised_extension(api: Api) -> None:
    extensions = api.ok("getOpenSubsonicExtensions", auth=False)["openSubsonicExtensions"]
    assert {"name": "playbackReport", "versions": [1]} in extensions


# Cost -----------------------------------------------------------------------------------------


def test_a_list_of_nodes_reads_its_annotations_in_two_queries(
    fan: Api, shared: tuple[MusicLibrary, Flask]
) -> None:
    _, app = shared
    statements: list[str] = []
    # The thread's read connection, which the test client's requests use.
    app.extensions["beetcrate"].library.conn.set_trace_callback(statements.append)
    try:
        body = fan.ok("search3", query="", songCount=500, albumCount=500, artistCount=500)
    finally:
        app.extensions["beetcrate"].library.conn.set_trace_callback(None)
    assert len(body["searchResult3"]["song"]) > 10
    reads = [s for s in statements if "user_annotations" in s]
    # The user's own and the average ratings, for each of the artists, albums and songs, in
    # each of XML and JSON: not one per node.
    assert len(reads) == 2 * 3 * 2


def test_a_cached_starred_list_changes_with_the_users_plays_and_anyones_ratings(
    fans: Callable[[], Api], ids: dict[str, str]
) -> None:
    fan, other = fans(), fans()
    fan.ok("star", id=ids["single2"])
    (song,) = fan.ok("getStarred2")["starred2"]["song"]
    assert "playCount" not in song and "averageRating" not in song
    _once(fan, "scrobble", id=ids["single2"])
    (song,) = fan.ok("getStarred2")["starred2"]["song"]
    assert song["playCount"] == 1
    other.ok("setRating", id=ids["single2"], rating=4)
    (song,) = fan.ok("getStarred")["starred"]["song"]
    assert song["averageRating"] == 4
    (song,) = fan.ok("getStarred2")["starred2"]["song"]
    assert song["averageRating"] == 4 and "userRating" not in song
