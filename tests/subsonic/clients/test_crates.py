"""Crates, listening sessions and sonic similarity with real clients over gunicorn: py-opensonic
reads a crate as a read-only smart playlist and asks for sonically similar tracks and a path,
py-sonic scrobbles a listening session that becomes a playlist; every answer also checked
against the XSD and the OpenSubsonic schemas.

The module has a gunicorn of its own: its library carries DJ fields and a crates folder.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import libopensonic
import libsonic
import pytest
from beets.library import Library

from tests.subsonic.clients.conftest import assert_no_errors
from tests.subsonic.conftest import LISTENER, LISTENER_PASSWORD, MusicLibrary
from tests.subsonic.server import HttpApi, RunningServer, running_server

pytestmark = pytest.mark.integration

# Title -> (tempo, Camelot key, energy), as the DJ analysis would set them.
DJ_FIELDS = {
    "Blue Song 1": (124.0, "8A", 0.3),
    "Blue Song 2": (125.0, "9A", 0.5),
    "Blue Song 3": (124.5, "9A", 0.7),
    "Chanson 1": (140.0, "3B", 0.9),
    "Chanson 2": (123.5, "2A", 0.4),
}
WARMUP = """\
name: Warm-up
comment: Openers
public: true
all:
  - bpm: {near: 124, tolerance: 3}
  - harmonic: {key: 8A}
sort: energy
"""


def with_dj_fields_and_crates(library: MusicLibrary) -> None:
    lib = Library(str(library.settings.beets_library), str(library.settings.music_directory))
    for item in lib.items():
        if item.title in DJ_FIELDS:
            bpm, camelot, energy = DJ_FIELDS[item.title]
            item.update({"bpm_precise": bpm, "camelot": camelot, "energy": energy})
            item.store()
    lib._close()
    folder = library.home.dir / "crates"
    folder.mkdir()
    (folder / "warmup.yaml").write_text(WARMUP, encoding="utf-8")
    # Sessions end after a minute of silence, so a test can make one that is over.
    library.home.configure(crates={"directory": str(folder), "session_gap": "60s"})


@pytest.fixture(scope="module")
def crates_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("crates"), with_dj_fields_and_crates) as running:
        yield running
        assert_no_errors(running.log())


@pytest.fixture(scope="module")
def song_ids(crates_server: RunningServer) -> dict[str, str]:
    http = HttpApi(crates_server.url)
    albums = http.ok("getAlbumList2", type="alphabeticalByName", size=500)["albumList2"]["album"]
    return {
        song["title"]: song["id"]
        for album in albums
        for song in http.ok("getAlbum", id=album["id"])["album"]["song"]
    }


def with_opensonic(server: RunningServer, scenario: Any) -> Any:
    async def run() -> Any:
        connection = libopensonic.AsyncConnection(
            "http://127.0.0.1", port=server.port, username=LISTENER, password=LISTENER_PASSWORD
        )
        try:
            return await scenario(connection)
        finally:
            await connection.cleanup()

    return asyncio.run(run())


def test_opensonic_reads_a_crate_as_a_read_only_smart_playlist(
    crates_server: RunningServer,
) -> None:
    async def as_bob(client: libopensonic.AsyncConnection) -> tuple[Any, list[str]]:
        crate = {p.name: p for p in await client.get_playlists()}["Warm-up"]
        titles = [song.title for song in (await client.get_playlist(crate.id)).entry or []]
        with pytest.raises(libopensonic.errors.AuthError):
            await client.update_playlist(crate.id, name="Mine now")
        return crate, titles

    crate, titles = with_opensonic(crates_server, as_bob)
    assert (crate.public, crate.readonly) == (True, True)
    assert "Smart playlist" in crate.comment
    # 124, 125 and 124.5 BPM in 8A and 9A, by energy; 123.5 BPM in 2A does not mix into 8A.
    assert titles == ["Blue Song 1", "Blue Song 2", "Blue Song 3"]
    listed = HttpApi(crates_server.url).ok("getPlaylists")["playlists"]["playlist"]
    assert next(p for p in listed if p["name"] == "Warm-up")["validUntil"]


def test_opensonic_finds_sonically_similar_tracks_and_a_path(
    crates_server: RunningServer, song_ids: dict[str, str]
) -> None:
    async def scenario(client: libopensonic.AsyncConnection) -> tuple[list[Any], list[Any]]:
        similar = await client.get_sonic_similar_tracks(song_ids["Blue Song 1"], count=3)
        path = await client.find_sonic_path(song_ids["Blue Song 1"], song_ids["Chanson 1"], count=4)
        return similar, path

    similar, path = with_opensonic(crates_server, scenario)
    assert len(similar) == 3
    assert similar[0].entry.title in ("Blue Song 2", "Blue Song 3")
    assert [m.similarity for m in similar] == sorted((m.similarity for m in similar), reverse=True)
    titles = [match.entry.title for match in path]
    assert titles[0] == "Blue Song 1" and titles[-1] == "Chanson 1" and len(set(titles)) == 4
    http = HttpApi(crates_server.url, LISTENER, LISTENER_PASSWORD)
    http.ok("getSonicSimilarTracks", id=song_ids["Blue Song 1"], count=2)
    http.ok("findSonicPath", startSongId=song_ids["Blue Song 1"], endSongId=song_ids["Chanson 1"])


def test_pysonic_scrobbles_a_listening_session_that_becomes_a_playlist(
    crates_server: RunningServer, song_ids: dict[str, str]
) -> None:
    bob = libsonic.Connection(
        "http://127.0.0.1",
        port=crates_server.port,
        username=LISTENER,
        password=LISTENER_PASSWORD,
    )
    played = ["Blue Song 3", "Blue Song 2", "Blue Song 1"]
    start = time.time() - 3600
    for offset, title in enumerate(played):
        # py-sonic takes the time in seconds and sends milliseconds.
        bob.scrobble(song_ids[title], listenTime=int(start + offset * 30))
    sessions = [
        p for p in bob.getPlaylists()["playlists"]["playlist"] if p["name"].startswith("Session ")
    ]
    assert len(sessions) == 1
    assert sessions[0]["name"].endswith("3 tracks") and sessions[0]["owner"] == LISTENER
    entries = bob.getPlaylist(sessions[0]["id"])["playlist"]["entry"]
    assert [song["title"] for song in entries] == played
    HttpApi(crates_server.url, LISTENER, LISTENER_PASSWORD).ok("getPlaylist", id=sessions[0]["id"])
