"""Crates served as playlists, listening sessions from real scrobbles, and the OpenSubsonic
sonicSimilarity endpoints, through the real app and validated against the spec."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from beets.library import Library
from flask import Flask

from beetcrate.settings import CrateSettings
from subsonic.app import create_app
from subsonic.responses import NOT_AUTHORIZED, NOT_FOUND
from tests.subsonic.conftest import LISTENER, LISTENER_PASSWORD, Api, MusicLibrary

# Tempo, key and energy per track, as the DJ analysis would set them.
DJ_FIELDS = {
    "blue1": (124.0, "8A", 0.30),
    "blue2": (125.5, "9A", 0.55),
    "blue3": (62.0, "8B", 0.80),  # half time of 124
    "single1": (140.0, "3B", 0.90),
    "single2": (123.0, "2A", 0.40),  # right tempo, wrong key
}

WARMUP = """
name: Warm-up
comment: Openers
public: true
all:
  - bpm: {near: 124, tolerance: 3, halfDouble: true}
  - harmonic: {key: 8A}
sort: energy
"""

LOVED = """
{"name": "Loved", "all": [{"is": {"loved": true}}], "sort": "title", "public": true}
"""


def _with_dj_fields(library: MusicLibrary) -> None:
    lib = Library(str(library.settings.beets_library), str(library.settings.music_directory))
    for name, (bpm, camelot, energy) in DJ_FIELDS.items():
        item = lib.get_item(library.items[name].id)
        item.update({"bpm_precise": bpm, "camelot": camelot, "energy": energy})
        item.store()
    lib._close()


@pytest.fixture
def crates_dir(own_library: MusicLibrary) -> Path:
    folder = own_library.home.dir / "crates"
    folder.mkdir()
    (folder / "warmup.yaml").write_text(WARMUP)
    (folder / "loved.nsp").write_text(LOVED)
    return folder


@pytest.fixture
def crate_app(own_library: MusicLibrary, crates_dir: Path) -> Flask:
    _with_dj_fields(own_library)
    settings = dataclasses.replace(
        own_library.settings, crates=CrateSettings(crates_dir, refresh_delay=3600)
    )
    return create_app(settings)


def _song(library: MusicLibrary, name: str) -> str:
    return f"tr-{library.items[name].id}"


def _playlist(api: Api, name: str) -> dict:
    listed = api.ok("getPlaylists")["playlists"].get("playlist", [])
    return next(p for p in listed if p["name"] == name)


def test_a_crate_is_a_read_only_smart_playlist_with_its_songs_in_order(
    crate_app: Flask, own_library: MusicLibrary
) -> None:
    api = Api(crate_app.test_client())
    listed = _playlist(api, "Warm-up")
    assert listed["readonly"] is True
    assert "Smart playlist" in listed["comment"] and "Openers" in listed["comment"]
    assert listed["validUntil"] > listed["changed"]
    playlist = api.ok("getPlaylist", id=listed["id"])["playlist"]
    # 124 BPM 8A, 125.5 BPM 9A, and 62 BPM (half time) 8B; by energy. Not 123 BPM in 2A.
    assert [e["id"] for e in playlist["entry"]] == [
        _song(own_library, "blue1"),
        _song(own_library, "blue2"),
        _song(own_library, "blue3"),
    ]
    assert playlist["songCount"] == 3


def test_a_crate_cannot_be_changed_through_the_api(crate_app: Flask) -> None:
    api = Api(crate_app.test_client())
    playlist_id = _playlist(api, "Warm-up")["id"]
    assert api.error("updatePlaylist", playlistId=playlist_id, name="Mine") == NOT_AUTHORIZED
    assert api.error("deletePlaylist", id=playlist_id) == NOT_AUTHORIZED


def test_a_crate_follows_the_library_and_moves_changed_only_when_its_songs_do(
    crate_app: Flask, own_library: MusicLibrary
) -> None:
    api = Api(crate_app.test_client())
    before = _playlist(api, "Warm-up")
    assert _playlist(api, "Warm-up")["changed"] == before["changed"]
    time.sleep(1.1)  # ``changed`` is shown to the second
    lib = Library(str(own_library.settings.beets_library), str(own_library.home.music))
    item = lib.get_item(own_library.items["single2"].id)
    item["camelot"] = "8A"
    item.store()
    lib._close()
    services = crate_app.extensions["beetcrate"]
    services.catalog.sync()
    after = _playlist(api, "Warm-up")
    assert after["songCount"] == 4
    assert after["changed"] > before["changed"]


def test_user_fields_are_evaluated_for_the_listener_asking(
    crate_app: Flask, own_library: MusicLibrary
) -> None:
    admin = Api(crate_app.test_client())
    listener = Api(crate_app.test_client(), LISTENER, LISTENER_PASSWORD)
    admin.ok_once("star", id=_song(own_library, "blue1"))
    listener.ok_once("star", id=_song(own_library, "single1"))
    playlist_id = _playlist(admin, "Loved")["id"]
    mine = admin.ok("getPlaylist", id=playlist_id)["playlist"]["entry"]
    theirs = listener.ok("getPlaylist", id=playlist_id)["playlist"]
    assert [e["id"] for e in mine] == [_song(own_library, "blue1")]
    assert [e["id"] for e in theirs["entry"]] == [_song(own_library, "single1")]
    assert theirs["songCount"] == 1


def test_a_private_crate_is_seen_only_by_its_owner(crate_app: Flask, crates_dir: Path) -> None:
    (crates_dir / "mine.yaml").write_text("name: Mine\nquery: 'genres:rock'\n")
    admin = Api(crate_app.test_client())
    listener = Api(crate_app.test_client(), LISTENER, LISTENER_PASSWORD)
    private = _playlist(admin, "Mine")
    assert private["public"] is False and private["owner"] == "alice"
    listed = listener.ok("getPlaylists")["playlists"]["playlist"]
    assert "Mine" not in [p["name"] for p in listed]
    assert listener.error("getPlaylist", id=private["id"]) == NOT_FOUND


def test_a_broken_crate_is_left_out_and_the_others_still_serve(
    crate_app: Flask, crates_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (crates_dir / "broken.yaml").write_text("all:\n  - is: {nosuchfield: 1}\n")
    api = Api(crate_app.test_client())
    names = [p["name"] for p in api.ok("getPlaylists")["playlists"]["playlist"]]
    assert {"Warm-up", "Loved"} <= set(names) and "broken" not in names
    assert "broken.yaml:2: is: {nosuchfield: 1}: unknown field 'nosuchfield'" in caplog.text


def test_a_finished_listening_session_becomes_a_private_playlist_in_play_order(
    crate_app: Flask, own_library: MusicLibrary
) -> None:
    listener = Api(crate_app.test_client(), LISTENER, LISTENER_PASSWORD)
    start = time.time() - 10 * 3600  # long over: more than the 4 h gap ago
    order = ["blue1", "blue2", "blue3"]
    for offset, name in enumerate(order):
        listener.ok_once(
            "scrobble", id=_song(own_library, name), time=int((start + offset * 240) * 1000)
        )
    listener.ok_once("scrobble", id=_song(own_library, "single1"))  # a session still running
    sessions = [
        p
        for p in listener.ok("getPlaylists")["playlists"]["playlist"]
        if p["name"].startswith("Session ")
    ]
    assert len(sessions) == 1
    (session,) = sessions
    assert session["owner"] == LISTENER and session["public"] is False
    assert session["name"].endswith(", 3 tracks")
    assert "harmonic" in session["comment"]
    entries = listener.ok("getPlaylist", id=session["id"])["playlist"]["entry"]
    assert [e["id"] for e in entries] == [_song(own_library, name) for name in order]
    admin_names = [
        p["name"] for p in Api(crate_app.test_client()).ok("getPlaylists")["playlists"]["playlist"]
    ]
    assert session["name"] not in admin_names


def test_sonic_similar_tracks_rank_the_same_tempo_and_key_first(
    crate_app: Flask, own_library: MusicLibrary
) -> None:
    api = Api(crate_app.test_client())
    extensions = api.ok("getOpenSubsonicExtensions", auth=False)["openSubsonicExtensions"]
    assert {"name": "sonicSimilarity", "versions": [1]} in extensions
    matches = api.ok("getSonicSimilarTracks", id=_song(own_library, "blue1"), count=3)["sonicMatch"]
    assert len(matches) == 3
    assert _song(own_library, "blue1") not in [m["entry"]["id"] for m in matches]
    assert matches[0]["entry"]["id"] in (_song(own_library, "blue2"), _song(own_library, "blue3"))
    similarities = [m["similarity"] for m in matches]
    assert similarities == sorted(similarities, reverse=True)
    assert all(0 <= s <= 1 for s in similarities)


def test_a_sonic_path_runs_from_the_start_song_to_the_end_song(
    crate_app: Flask, own_library: MusicLibrary
) -> None:
    api = Api(crate_app.test_client())
    start, end = _song(own_library, "blue1"), _song(own_library, "single1")
    matches = api.ok("findSonicPath", startSongId=start, endSongId=end, count=4)["sonicMatch"]
    path = [m["entry"]["id"] for m in matches]
    assert path[0] == start and path[-1] == end and len(path) == 4
    assert len(set(path)) == 4
    assert matches[0]["similarity"] == pytest.approx(1.0)


def test_the_similarity_index_follows_a_library_change_after_the_catalog_sync(
    crate_app: Flask, own_library: MusicLibrary
) -> None:
    api = Api(crate_app.test_client())
    seed = _song(own_library, "blue1")
    before = api.ok("getSonicSimilarTracks", id=seed, count=1)["sonicMatch"][0]["entry"]["id"]
    assert before in (_song(own_library, "blue2"), _song(own_library, "blue3"))
    lib = Library(
        str(own_library.settings.beets_library), str(own_library.settings.music_directory)
    )
    # single2 becomes blue1's twin: same tempo, key and energy.
    item = lib.get_item(own_library.items["single2"].id)
    item.update({"bpm_precise": 124.0, "camelot": "8A", "energy": 0.30})
    item.store()
    lib._close()

    services = crate_app.extensions["beetcrate"]
    services.watcher.start()
    services.watcher.wait()

    # Asked once, straight after the sync: the index was rebuilt there, not by this request.
    answer = api.ok_once("getSonicSimilarTracks", id=seed, count=1)
    after = answer["sonicMatch"][0]["entry"]["id"]
    assert after == _song(own_library, "single2")


def test_sonic_endpoints_answer_unknown_and_missing_ids_with_the_spec_errors(
    crate_app: Flask,
) -> None:
    api = Api(crate_app.test_client())
    assert api.error("getSonicSimilarTracks", id="tr-999999") == NOT_FOUND
    assert api.error("getSonicSimilarTracks") == 10
    assert api.error("findSonicPath", startSongId="tr-999999", endSongId="tr-1") == NOT_FOUND


def test_similar_songs_of_an_analysed_song_follow_the_sonic_engine(
    crate_app: Flask, own_library: MusicLibrary
) -> None:
    api = Api(crate_app.test_client())
    seed = _song(own_library, "blue1")
    sonic = [
        m["entry"]["id"] for m in api.ok("getSonicSimilarTracks", id=seed, count=10)["sonicMatch"]
    ]
    similar = [s["id"] for s in api.ok("getSimilarSongs2", id=seed)["similarSongs2"]["song"]]
    # Same artist, same genre: between those two, the sound decides, as the engine ranks it.
    same_album = [_song(own_library, "blue2"), _song(own_library, "blue3")]
    assert [s for s in similar if s in same_album] == [s for s in sonic if s in same_album]
    assert seed not in similar


def test_a_crate_file_that_stops_loading_keeps_its_playlist_and_id(
    crate_app: Flask, crates_dir: Path
) -> None:
    api = Api(crate_app.test_client())
    before = _playlist(api, "Warm-up")
    (crates_dir / "warmup.yaml").write_text(WARMUP.replace("harmonic", "harmonik"))
    kept = _playlist(api, "Warm-up")
    assert (kept["id"], kept["songCount"]) == (before["id"], before["songCount"])
    (crates_dir / "warmup.yaml").write_text(WARMUP + "limit: 1\n")
    fixed = _playlist(api, "Warm-up")
    assert (fixed["id"], fixed["songCount"]) == (before["id"], 1)


def test_a_crate_follows_the_playlist_it_reads(
    crate_app: Flask, crates_dir: Path, own_library: MusicLibrary
) -> None:
    api = Api(crate_app.test_client())
    made = api.ok_once("createPlaylist", name="Gig", songId=_song(own_library, "blue1"))
    (crates_dir / "gig.yaml").write_text("name: From the gig\ninPlaylist: {name: Gig}\n")
    assert _playlist(api, "From the gig")["songCount"] == 1
    api.ok_once(
        "updatePlaylist", playlistId=made["playlist"]["id"], songIdToAdd=_song(own_library, "blue2")
    )
    assert _playlist(api, "From the gig")["songCount"] == 2


def test_a_running_session_becomes_a_playlist_once_its_gap_has_passed_and_others_stay(
    own_library: MusicLibrary, crates_dir: Path
) -> None:
    settings = dataclasses.replace(
        own_library.settings, crates=CrateSettings(crates_dir, session_gap=1.0)
    )
    app = create_app(settings)
    admin = Api(app.test_client())
    listener = Api(app.test_client(), LISTENER, LISTENER_PASSWORD)
    listener.ok_once(
        "scrobble", id=_song(own_library, "blue1"), time=int((time.time() - 60) * 1000)
    )
    listener.ok_once("scrobble", id=_song(own_library, "blue2"))

    def sessions(api: Api) -> list[str]:
        listed = api.ok("getPlaylists")["playlists"].get("playlist", [])
        return [p["name"] for p in listed if p["name"].startswith("Session ")]

    assert len(sessions(listener)) == 1  # the one a minute ago; the other is still running
    time.sleep(1.1)
    admin.ok_once("scrobble", id=_song(own_library, "blue3"))  # someone else's play
    assert len(sessions(listener)) == 2
    assert sessions(admin) == []  # alice's session is still running
