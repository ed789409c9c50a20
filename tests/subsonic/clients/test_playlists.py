"""Playlists with real clients over gunicorn, two users side by side: with py-sonic and knuckles
they share a playlist only its owner changes, py-opensonic sees an M3U file as a read-only playlist,
and clients adding songs at once through both workers lose none.

The module has a gunicorn of its own (its tests create playlists, and it serves an M3U folder).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import knuckles
import libopensonic
import libsonic
import pytest

from tests.subsonic.clients.conftest import assert_no_errors
from tests.subsonic.conftest import (
    ADMIN,
    ADMIN_PASSWORD,
    LISTENER,
    LISTENER_PASSWORD,
    MusicLibrary,
)
from tests.subsonic.server import HttpApi, RunningServer, running_server

pytestmark = pytest.mark.integration

M3U_NAME = "Blue favourites"


def serve_an_m3u_folder(library: MusicLibrary) -> None:
    folder = library.home.dir / "playlists"
    folder.mkdir()
    # Paths relative to the music directory, as beets' playlist plugin writes them by default.
    (folder / f"{M3U_NAME}.m3u").write_text(
        "#EXTM3U\nThe Testers/Blue Album (2001)/02 - Blue 2.flac\n"
        "The Testers/Blue Album (2001)/01 - Blue 1.flac\n",
        encoding="utf-8",
    )
    library.home.configure(beetcrate={"playlists": {"import_dir": str(folder)}})


@pytest.fixture(scope="module")
def playlists_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("playlists"), serve_an_m3u_folder) as running:
        yield running
        assert_no_errors(running.log())


@pytest.fixture(scope="module")
def song_ids(playlists_server: RunningServer) -> dict[str, str]:
    """Song title -> id, as a client discovers them."""
    http = HttpApi(playlists_server.url)
    albums = http.ok("getAlbumList2", type="alphabeticalByName", size=500)["albumList2"]["album"]
    return {
        song["title"]: song["id"]
        for album in albums
        for song in http.ok("getAlbum", id=album["id"])["album"]["song"]
    }


def pysonic(server: RunningServer, user: str, password: str) -> libsonic.Connection:
    return libsonic.Connection(
        "http://127.0.0.1", port=server.port, username=user, password=password
    )


def knuckles_client(server: RunningServer, user: str, password: str) -> knuckles.Subsonic:
    return knuckles.Subsonic(
        f"127.0.0.1:{server.port}", user, password, "knuckles-test", use_https=False
    )


def test_a_pysonic_owner_shares_a_playlist_that_a_knuckles_listener_cannot_change(
    playlists_server: RunningServer, song_ids: dict[str, str]
) -> None:
    # knuckles' Playlist model takes no OpenSubsonic ``readonly`` (a TypeError on every playlist
    # a server sends it with, as the spec asks): a client bug. knuckles is used here for what
    # reads no playlist back; bob reads with py-sonic.
    alice = pysonic(playlists_server, ADMIN, ADMIN_PASSWORD)
    bob_reads = pysonic(playlists_server, LISTENER, LISTENER_PASSWORD)
    bob = knuckles_client(playlists_server, LISTENER, LISTENER_PASSWORD)
    songs = [song_ids["Blue Song 1"], song_ids["Blue Song 2"]]
    playlist_id = alice.createPlaylist(name="Shared", songIds=songs)["playlist"]["id"]
    assert playlist_id not in {p["id"] for p in bob_reads.getPlaylists()["playlists"]["playlist"]}

    # py-sonic cannot make a playlist public; the owner does it with knuckles.
    knuckles_client(playlists_server, ADMIN, ADMIN_PASSWORD).playlists.update_playlist(
        playlist_id, public=True
    )
    shared = {p["id"]: p for p in bob_reads.getPlaylists()["playlists"]["playlist"]}[playlist_id]
    assert (shared["owner"], shared["songCount"], shared["readonly"]) == (ADMIN, 2, True)
    with pytest.raises(knuckles.exceptions.ErrorCode50):
        bob.playlists.update_playlist(playlist_id, name="Bob's now")
    with pytest.raises(knuckles.exceptions.ErrorCode50):
        bob.playlists.delete_playlist(playlist_id)

    alice.updatePlaylist(playlist_id, songIndexesToRemove=[0], songIdsToAdd=[song_ids["Chanson 1"]])
    entries = bob_reads.getPlaylist(playlist_id)["playlist"]["entry"]
    assert [song["title"] for song in entries] == ["Blue Song 2", "Chanson 1"]

    alice.deletePlaylist(playlist_id)
    with pytest.raises(libsonic.errors.DataNotFoundError):
        bob_reads.getPlaylist(playlist_id)


def with_opensonic(server: RunningServer, user: str, password: str, scenario: Any) -> Any:
    async def run() -> Any:
        connection = libopensonic.AsyncConnection(
            "http://127.0.0.1", port=server.port, username=user, password=password
        )
        try:
            return await scenario(connection)
        finally:
            await connection.cleanup()

    return asyncio.run(run())


def test_opensonic_sees_an_m3u_file_as_a_read_only_playlist_beside_its_own(
    playlists_server: RunningServer, song_ids: dict[str, str]
) -> None:
    async def as_bob(client: libopensonic.AsyncConnection) -> tuple[Any, Any, list[str]]:
        await client.create_playlist(name="Bob's mix", song_ids=[song_ids["Hit 1"]])
        playlists = {p.name: p for p in await client.get_playlists()}
        m3u, own = playlists[M3U_NAME], playlists["Bob's mix"]
        titles = [song.title for song in (await client.get_playlist(m3u.id)).entry or []]
        with pytest.raises(libopensonic.errors.AuthError):
            await client.update_playlist(m3u.id, name="Renamed")
        return m3u, own, titles

    m3u, own, titles = with_opensonic(playlists_server, LISTENER, LISTENER_PASSWORD, as_bob)
    assert (m3u.owner, m3u.public, m3u.readonly) == (ADMIN, True, True)
    assert titles == ["Blue Song 2", "Blue Song 1"]
    assert (own.owner, own.readonly) == (LISTENER, False)

    async def as_alice(client: libopensonic.AsyncConnection) -> list[Any]:
        return await client.get_playlists(username=LISTENER)

    bobs = {p.name: p for p in with_opensonic(playlists_server, ADMIN, ADMIN_PASSWORD, as_alice)}
    assert bobs["Bob's mix"].readonly is False  # the admin asking may change it
    assert bobs[M3U_NAME].readonly is True  # nobody changes a file's playlist


def test_clients_adding_songs_at_once_through_both_workers_lose_none(
    playlists_server: RunningServer, song_ids: dict[str, str]
) -> None:
    http = HttpApi(playlists_server.url)
    playlist_id = http.post("createPlaylist", f="json", name="Busy").json()["subsonic-response"][
        "playlist"
    ]["id"]
    songs = [song_ids[title] for title in ("Blue Song 1", "Blue Song 2", "Chanson 1", "Hit 1")]
    clients, rounds = 4, 5
    failures: list[str] = []

    def add_songs() -> None:
        client = HttpApi(playlists_server.url)  # a session of its own
        for added in songs * rounds:
            answer = client.post(
                "updatePlaylist", f="json", playlistId=playlist_id, songIdToAdd=added
            )
            if answer.json()["subsonic-response"]["status"] != "ok":
                failures.append(answer.text)

    threads = [threading.Thread(target=add_songs) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    added = clients * rounds * len(songs)
    assert http.ok("getPlaylist", id=playlist_id)["playlist"]["songCount"] == added
    with sqlite3.connect(playlists_server.library.settings.db) as conn:
        positions = [
            position
            for (position,) in conn.execute(
                "SELECT position FROM playlist_entries WHERE playlist_id = ? ORDER BY position",
                [int(playlist_id.removeprefix("pl-"))],
            )
        ]
    assert positions == list(range(added))
