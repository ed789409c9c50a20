"""Play queues and bookmarks through py-sonic, knuckles and py-opensonic, alice and bob side by
side on a gunicorn of this module's own (these tests write user data).

The tests share the server, so each uses songs no other test here bookmarks, and saves a whole
queue before reading it back: what one asserts, no other test's writes can change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import knuckles
import libopensonic
import libsonic
import pytest

from tests.subsonic.clients.conftest import assert_no_errors
from tests.subsonic.conftest import ADMIN, ADMIN_PASSWORD, LISTENER, LISTENER_PASSWORD
from tests.subsonic.server import HttpApi, RunningServer, running_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def writable_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("bookmarks")) as running:
        yield running
        assert_no_errors(running.log())


def _song(server: RunningServer, name: str) -> str:
    return f"tr-{server.library.items[name].id}"


def _pysonic(server: RunningServer, user: str, password: str) -> libsonic.Connection:
    return libsonic.Connection("http://127.0.0.1", user, password, port=server.port)


def _knuckles(server: RunningServer, user: str, password: str) -> knuckles.Subsonic:
    return knuckles.Subsonic(
        f"127.0.0.1:{server.port}", user, password, "knuckles-test", use_https=False
    )


def _opensonic(server: RunningServer, user: str, password: str) -> libopensonic.AsyncConnection:
    return libopensonic.AsyncConnection(
        "http://127.0.0.1", username=user, password=password, port=server.port
    )


def test_pysonic_and_knuckles_users_each_resume_their_own_queue(
    writable_server: RunningServer,
) -> None:
    server = writable_server
    alice = _pysonic(server, ADMIN, ADMIN_PASSWORD)
    bob = _knuckles(server, LISTENER, LISTENER_PASSWORD)
    alice_queue = [_song(server, name) for name in ("blue1", "double1", "blue1")]
    bob_queue = [_song(server, name) for name in ("single1", "single2")]

    alice.savePlayQueue(alice_queue, current=_song(server, "double1"), position=61_500)
    bob.bookmarks.save_play_queue(bob_queue, _song(server, "single2"), 2_000)

    saved = alice.getPlayQueue()["playQueue"]
    assert [entry["id"] for entry in saved["entry"]] == alice_queue
    assert (saved["current"], saved["position"], saved["username"]) == (
        _song(server, "double1"),
        61_500,
        ADMIN,
    )
    resumed = bob.bookmarks.get_play_queue()
    assert [song.id for song in resumed.songs or []] == bob_queue
    assert resumed.current is not None and resumed.current.id == _song(server, "single2")
    assert resumed.position == 2_000
    assert resumed.changed_by == "knuckles-test"


def test_opensonic_saves_by_index_and_a_copy_of_a_song_stays_current(
    writable_server: RunningServer,
) -> None:
    server = writable_server
    queue = [_song(server, name) for name in ("blue2", "blue3", "blue2")]

    async def scenario() -> tuple[object, object]:
        client = _opensonic(server, LISTENER, LISTENER_PASSWORD)
        try:
            await client.save_play_queue_by_index(queue, current_index=2, position=750)
            return await client.get_play_queue_by_index(), await client.get_play_queue()
        finally:
            await client.cleanup()

    by_index, by_id = asyncio.run(scenario())
    assert [child.id for child in by_index.entry] == queue  # type: ignore[attr-defined]
    assert (by_index.current_index, by_index.position) == (2, 750)  # type: ignore[attr-defined]
    assert by_id.current == _song(server, "blue2")  # type: ignore[attr-defined]


def test_a_cleared_queue_reads_back_empty(writable_server: RunningServer) -> None:
    server = writable_server
    alice = _pysonic(server, ADMIN, ADMIN_PASSWORD)
    alice.savePlayQueue([_song(server, "blue3")], current=_song(server, "blue3"))
    cleared = HttpApi(server.url).post("savePlayQueue", f="json")  # no ids: clear the queue
    assert cleared.json()["subsonic-response"]["status"] == "ok"
    assert alice.getPlayQueue()["playQueue"]["entry"] == []


def test_bookmarks_of_alice_and_bob_stay_apart_across_clients(
    writable_server: RunningServer,
) -> None:
    server = writable_server
    song = _song(server, "double1")
    alice = _pysonic(server, ADMIN, ADMIN_PASSWORD)
    bob = _knuckles(server, LISTENER, LISTENER_PASSWORD)

    alice.createBookmark(song, 90_000, comment="chapter 3")
    bob.bookmarks.create_bookmark(song, 12_000)

    mark = next(
        b for b in alice.getBookmarks()["bookmarks"]["bookmark"] if b["entry"]["id"] == song
    )
    assert (mark["position"], mark["comment"], mark["username"]) == (90_000, "chapter 3", ADMIN)
    bob_mark = bob.bookmarks.get_bookmark(song)
    assert bob_mark is not None and bob_mark.position == 12_000 and bob_mark.comment is None

    bob.bookmarks.delete_bookmark(song)
    assert bob.bookmarks.get_bookmark(song) is None
    alice_songs = [b["entry"]["id"] for b in alice.getBookmarks()["bookmarks"]["bookmark"]]
    assert song in alice_songs


def test_opensonic_bookmarks_a_song_and_an_unknown_id_is_refused(
    writable_server: RunningServer,
) -> None:
    server = writable_server
    song = _song(server, "single1")

    async def scenario() -> list:
        client = _opensonic(server, ADMIN, ADMIN_PASSWORD)
        try:
            await client.create_bookmark(song, 33_000, "resume here")
            with pytest.raises(libopensonic.errors.DataNotFoundError):
                await client.create_bookmark("tr-987654", 1)
            return await client.get_bookmarks()
        finally:
            await client.cleanup()

    marks = {mark.entry.id: mark for mark in asyncio.run(scenario())}
    assert (marks[song].position, marks[song].comment) == (33_000, "resume here")
    assert "tr-987654" not in marks


def test_the_queue_and_bookmarks_validate_over_http(writable_server: RunningServer) -> None:
    http = HttpApi(writable_server.url)
    queue = http.ok("getPlayQueue")["playQueue"]
    assert queue["username"] == ADMIN
    http.ok("getPlayQueueByIndex")
    http.ok("getBookmarks")
    assert http.error("savePlayQueueByIndex", id=_song(writable_server, "blue1")) == 10
