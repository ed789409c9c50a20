"""py-opensonic (``libopensonic``, aiohttp) against the served library: form POST or GET, token,
``enc:`` or ``apiKey`` logins, extensions, scans, streams resumed with Range and downloads."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import libopensonic
import pytest

from tests.subsonic.clients.expected import ALBUM_TRACKS, SONG_COUNT, song_file
from tests.subsonic.conftest import ADMIN, ADMIN_PASSWORD, LISTENER, LISTENER_PASSWORD
from tests.subsonic.server import RunningServer

T = TypeVar("T")

pytestmark = pytest.mark.integration


def with_opensonic(
    server: RunningServer,
    scenario: Callable[[libopensonic.AsyncConnection], Awaitable[T]],
    **options: Any,
) -> T:
    """Run ``scenario`` with a py-opensonic connection (its async API: binary answers are
    aiohttp responses, read with ``await``), closing the connection afterwards."""
    if "api_key" not in options:
        options = {"username": ADMIN, "password": ADMIN_PASSWORD, **options}

    async def run() -> T:
        connection = libopensonic.AsyncConnection("http://127.0.0.1", port=server.port, **options)
        try:
            return await scenario(connection)
        finally:
            await connection.cleanup()

    return asyncio.run(run())


def test_opensonic_sees_the_advertised_extensions(server: RunningServer) -> None:
    async def scenario(client: libopensonic.AsyncConnection) -> list[str]:
        return [extension.name for extension in await client.get_open_subsonic_extensions()]

    names = with_opensonic(server, scenario)
    assert {"formPost", "apiKeyAuthentication"} <= set(names)


def test_opensonic_browses_indexes_directories_and_albums(server: RunningServer) -> None:
    async def scenario(client: libopensonic.AsyncConnection) -> tuple[list[str], list[str]]:
        indexes = await client.get_indexes()
        blue_artist = next(a for i in indexes.index for a in i.artist if a.name == "The Testers")
        directory = await client.get_music_directory(blue_artist.id)
        album = await client.get_album(directory.child[0].id)
        return [child.title for child in directory.child], [song.title for song in album.song]

    albums, songs = with_opensonic(server, scenario)
    assert albums == ["Blue Album"]
    assert songs == ALBUM_TRACKS["Blue Album"]


def test_opensonic_search3_finds_a_compilation_and_album_list2_lists_all(
    server: RunningServer,
) -> None:
    async def scenario(client: libopensonic.AsyncConnection) -> tuple[Any, Any]:
        hits = await client.search3("hit")
        newest = await client.get_album_list2("newest", size=50)
        return hits, newest

    hits, newest = with_opensonic(server, scenario)
    assert sorted(song.title for song in hits.song) == ["Hit 1", "Hit 2"]
    assert [album.name for album in hits.album] == ["Summer Hits"]
    assert hits.album[0].is_compilation is True
    assert sorted(album.name for album in newest) == sorted(ALBUM_TRACKS)


def test_opensonic_logs_in_with_a_legacy_password_and_gets_random_songs_by_genre(
    server: RunningServer,
) -> None:
    async def scenario(client: libopensonic.AsyncConnection) -> list[str]:
        return [song.title for song in await client.get_random_songs(size=50, genre="Rock")]

    titles = with_opensonic(server, scenario, legacy_auth=True)
    assert sorted(titles) == ALBUM_TRACKS["Blue Album"]


def test_opensonic_logs_in_with_an_api_key_as_its_user(
    server: RunningServer, bob_api_key: str
) -> None:
    async def scenario(client: libopensonic.AsyncConnection) -> Any:
        assert await client.ping() is True
        return await client.get_user(LISTENER)

    user = with_opensonic(server, scenario, api_key=bob_api_key)
    assert user.username == LISTENER
    assert user.admin_role is False


def test_opensonic_start_scan_is_for_admins_and_reports_the_song_count(
    own_server: RunningServer,
) -> None:
    # A scan syncs the catalog (and may move the index's lastModified): a server of its own.
    async def scenario(client: libopensonic.AsyncConnection) -> Any:
        started = await client.start_scan()
        assert started.scanning is True
        return await client.get_scan_status()

    status = with_opensonic(own_server, scenario)
    assert status.count == SONG_COUNT

    async def listener_scan(client: libopensonic.AsyncConnection) -> Any:
        return await client.start_scan()

    with pytest.raises(libopensonic.errors.AuthError):
        with_opensonic(own_server, listener_scan, username=LISTENER, password=LISTENER_PASSWORD)


def test_opensonic_streams_the_file_and_resumes_with_range(
    server: RunningServer, song_ids: dict[str, str]
) -> None:
    song = song_ids["Chanson 1"]

    async def scenario(client: libopensonic.AsyncConnection) -> tuple[bytes, int, bytes]:
        whole = await (await client.stream(song)).read()
        partial = await client.stream(song, byte_range="bytes=1000-")
        return whole, partial.status, await partial.read()

    # GET: RFC 9110 defines Range for GET only, so resuming needs use_get (see the next test).
    whole, status, rest = with_opensonic(server, scenario, use_get=True)
    original = song_file(server, "single1")
    assert whole == original
    assert status == 206
    assert rest == original[1000:]


def test_opensonic_stream_by_form_post_ignores_range_and_sends_the_whole_file(
    server: RunningServer, song_ids: dict[str, str]
) -> None:
    # py-opensonic POSTs by default, Range header included. RFC 9110 §14.2 says a server MUST
    # ignore Range on methods other than GET, so the answer is the complete file with 200:
    # correct, and still playable (a client that assumed 206 here would be wrong).
    song = song_ids["Chanson 2"]

    async def scenario(client: libopensonic.AsyncConnection) -> tuple[int, bytes]:
        answer = await client.stream(song, byte_range="bytes=1000-")
        return answer.status, await answer.read()

    status, body = with_opensonic(server, scenario)
    assert status == 200
    assert body == song_file(server, "single2")


def test_opensonic_downloads_the_original_as_an_attachment(
    server: RunningServer, song_ids: dict[str, str]
) -> None:
    async def scenario(client: libopensonic.AsyncConnection) -> tuple[str, bytes]:
        answer = await client.download(song_ids["Blue Song 2"])
        return answer.headers["Content-Disposition"], await answer.read()

    disposition, body = with_opensonic(server, scenario)
    assert disposition.startswith("attachment")
    assert body == song_file(server, "blue2")
