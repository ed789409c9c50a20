"""Bookmarks and the saved play queue, by song id and by index, per user.

These tests write user data. All of it is per user, so each test gets users of its own on a
library its module shares; the tests that take songs out of beets get a library of their own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from beets.library import Library
from flask import Flask

from subsonic.app import create_app
from tests.subsonic.conftest import Api, MusicLibrary, build_library

NOT_FOUND, MISSING_PARAMETER, GENERIC = 70, 10, 0
_user_numbers = itertools.count()


def _new_user(app: Flask, admin: bool) -> Api:
    name = f"{'admin' if admin else 'listener'}{next(_user_numbers)}"
    app.extensions["beetcrate"].users.add(name, "secret", admin=admin)
    return Api(app.test_client(), name, "secret")


@pytest.fixture(scope="module")
def shared_library(tmp_path_factory: pytest.TempPathFactory) -> MusicLibrary:
    return build_library(tmp_path_factory.mktemp("bookmarks"))


@pytest.fixture(scope="module")
def shared_app(shared_library: MusicLibrary) -> Flask:
    return create_app(shared_library.settings)


@pytest.fixture
def alice(shared_app: Flask) -> Api:
    """An admin of the test's own."""
    return _new_user(shared_app, admin=True)


@pytest.fixture
def bob(shared_app: Flask) -> Api:
    """A listener of the test's own."""
    return _new_user(shared_app, admin=False)


@pytest.fixture
def song(shared_library: MusicLibrary) -> dict[str, str]:
    """Song ids by the library's short names (blue1, double1, single1…)."""
    return {name: f"tr-{item.id}" for name, item in shared_library.items.items()}


@pytest.fixture
def own(tmp_path: Path) -> tuple[MusicLibrary, Flask, Api, dict[str, str]]:
    """A library of the test's own, its app, a user and its song ids: for taking songs out."""
    library = build_library(tmp_path)
    app = create_app(library.settings)
    ids = {name: f"tr-{item.id}" for name, item in library.items.items()}
    return library, app, _new_user(app, admin=False), ids


def _remove_from_beets(app: Flask, library: MusicLibrary, *names: str) -> None:
    """``beet remove`` the songs, and bring the catalog up to date now."""
    lib = Library(str(library.settings.beets_library), str(library.settings.music_directory))
    for name in names:
        lib.get_item(library.items[name].id).remove()
    lib._close()
    app.extensions["beetcrate"].catalog.sync()


def _queue(api: Api) -> dict:
    return api.ok("getPlayQueue")["playQueue"]


def _queue_by_index(api: Api) -> dict:
    return api.ok("getPlayQueueByIndex")["playQueueByIndex"]


def _entry_ids(queue: dict) -> list[str]:
    return [entry["id"] for entry in queue["entry"]]


def _recent(iso: str) -> bool:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return abs(datetime.now(UTC) - moment) < timedelta(minutes=5)


# The play queue


def test_a_queue_never_saved_is_empty_and_older_than_any_save(bob: Api) -> None:
    queue = _queue(bob)
    assert queue["entry"] == [] and "current" not in queue
    assert queue["username"] == bob.user
    assert queue["changed"] == "1970-01-01T00:00:00.000Z"
    assert "currentIndex" not in _queue_by_index(bob)


def test_a_saved_queue_comes_back_with_its_songs_current_position_and_client(
    alice: Api, song: dict[str, str]
) -> None:
    ids = [song["blue1"], song["double1"], song["single1"]]
    alice.ok("savePlayQueue", id=ids, current=song["double1"], position=83_250)
    queue = _queue(alice)
    assert _entry_ids(queue) == ids
    assert queue["entry"][1]["title"] == "Disc 1 Track 1"
    assert (queue["current"], queue["position"]) == (song["double1"], 83_250)
    assert (queue["username"], queue["changedBy"]) == (alice.user, "pytest")
    assert _recent(queue["changed"])


def test_a_queue_may_hold_a_song_twice_and_by_index_tells_the_copies_apart(
    alice: Api, song: dict[str, str]
) -> None:
    ids = [song["blue1"], song["blue2"], song["blue1"]]
    alice.ok("savePlayQueueByIndex", id=ids, currentIndex=2, position=10)
    by_index = _queue_by_index(alice)
    assert _entry_ids(by_index) == ids
    assert (by_index["currentIndex"], by_index["position"]) == (2, 10)
    assert _queue(alice)["current"] == song["blue1"]


def test_a_queue_saved_by_id_is_current_at_the_first_copy_of_the_current_song(
    alice: Api, song: dict[str, str]
) -> None:
    ids = [song["blue2"], song["blue1"], song["blue2"]]
    alice.ok("savePlayQueue", id=ids, current=song["blue2"])
    assert _queue_by_index(alice)["currentIndex"] == 0
    assert _queue(alice)["position"] == 0


@pytest.mark.parametrize("method", ["savePlayQueue", "savePlayQueueByIndex"])
def test_saving_without_ids_clears_the_queue(alice: Api, song: dict[str, str], method: str):
    alice.ok("savePlayQueue", id=[song["blue1"]], current=song["blue1"], position=5)
    alice.ok(method)
    queue = _queue(alice)
    assert queue["entry"] == [] and "current" not in queue and queue["position"] == 0
    assert _recent(queue["changed"])


def test_each_user_has_a_queue_of_their_own(alice: Api, bob: Api, song: dict[str, str]) -> None:
    alice.ok("savePlayQueue", id=[song["blue1"]], current=song["blue1"])
    bob.ok("savePlayQueueByIndex", id=[song["single1"], song["single2"]], currentIndex=1)
    assert _entry_ids(_queue(alice)) == [song["blue1"]]
    assert _entry_ids(_queue(bob)) == [song["single1"], song["single2"]]
    assert _queue(bob)["username"] == bob.user


def test_songs_that_left_the_library_are_skipped_and_the_next_one_becomes_current(
    own: tuple[MusicLibrary, Flask, Api, dict[str, str]],
) -> None:
    library, app, alice, song = own
    ids = [song[name] for name in ("blue1", "blue2", "blue3")]
    alice.ok("savePlayQueue", id=ids, current=song["blue2"], position=4000)
    _remove_from_beets(app, library, "blue2")
    queue = _queue(alice)
    assert _entry_ids(queue) == [song["blue1"], song["blue3"]]
    # The position was a position in the song that left; the next one starts from its start.
    assert (queue["current"], queue["position"]) == (song["blue3"], 0)
    assert _queue_by_index(alice)["currentIndex"] == 1


def test_when_the_songs_after_current_left_the_last_remaining_one_is_current(
    own: tuple[MusicLibrary, Flask, Api, dict[str, str]],
) -> None:
    library, app, alice, song = own
    ids = [song[name] for name in ("blue1", "blue2", "blue3")]
    alice.ok("savePlayQueueByIndex", id=ids, currentIndex=1, position=4000)
    _remove_from_beets(app, library, "blue2", "blue3")
    assert _queue_by_index(alice)["currentIndex"] == 0
    assert _queue(alice)["current"] == song["blue1"]


def test_a_song_leaving_elsewhere_in_the_queue_keeps_current_and_position(
    own: tuple[MusicLibrary, Flask, Api, dict[str, str]],
) -> None:
    library, app, alice, song = own
    ids = [song[name] for name in ("blue1", "blue2", "blue3")]
    alice.ok("savePlayQueue", id=ids, current=song["blue3"], position=700)
    _remove_from_beets(app, library, "blue1")
    queue = _queue_by_index(alice)
    assert (queue["currentIndex"], queue["position"]) == (1, 700)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        (lambda s: {"id": ["tr-999999"], "current": "tr-999999"}, NOT_FOUND),
        (lambda s: {"id": [s["blue1"], "tr-999999"], "current": s["blue1"]}, NOT_FOUND),
        (lambda s: {"id": ["al-1"], "current": "al-1"}, NOT_FOUND),
        (lambda s: {"id": ["../../etc/passwd"], "current": "../../etc/passwd"}, NOT_FOUND),
        (lambda s: {"id": [s["blue1"]]}, MISSING_PARAMETER),
        (lambda s: {"id": [s["blue1"]], "current": s["blue2"]}, MISSING_PARAMETER),
        (lambda s: {"id": [s["blue1"]], "current": s["blue1"], "position": "-1"}, GENERIC),
        (lambda s: {"id": [s["blue1"]], "current": s["blue1"], "position": "soon"}, GENERIC),
    ],
    ids=[
        "unknown song",
        "one unknown among known",
        "an album id",
        "a path",
        "no current",
        "current not queued",
        "negative position",
        "position not a number",
    ],
)
def test_a_bad_save_by_id_is_refused_and_writes_nothing(
    alice: Api, song: dict[str, str], params: Callable[[dict], dict], code: int
) -> None:
    alice.ok("savePlayQueue", id=[song["double1"]], current=song["double1"], position=9)
    assert alice.error("savePlayQueue", **params(song)) == code
    queue = _queue(alice)
    assert (_entry_ids(queue), queue["position"]) == ([song["double1"]], 9)


@pytest.mark.parametrize("current_index", [None, "2", "-1", "one", ""])
def test_a_save_by_index_without_a_valid_current_index_is_error_10(
    alice: Api, song: dict[str, str], current_index: str | None
) -> None:
    params = {"currentIndex": current_index} if current_index is not None else {}
    code = alice.error("savePlayQueueByIndex", id=[song["blue1"], song["blue2"]], **params)
    assert code == MISSING_PARAMETER
    assert _queue(alice)["entry"] == []


def test_a_current_index_without_ids_is_error_10(alice: Api) -> None:
    assert alice.error("savePlayQueueByIndex", currentIndex=0) == MISSING_PARAMETER


def test_a_save_by_index_naming_an_unknown_song_is_error_70(
    alice: Api, song: dict[str, str]
) -> None:
    code = alice.error("savePlayQueueByIndex", id=[song["blue1"], "tr-424242"], currentIndex=0)
    assert code == NOT_FOUND


# Bookmarks


def _bookmarks(api: Api) -> dict[str, dict]:
    marks = api.ok("getBookmarks")["bookmarks"].get("bookmark", [])
    return {mark["entry"]["id"]: mark for mark in marks}


def test_a_bookmark_keeps_position_comment_user_and_times(alice: Api, song: dict[str, str]) -> None:
    alice.ok("createBookmark", id=song["double1"], position=125_000, comment="chapter 2")
    mark = _bookmarks(alice)[song["double1"]]
    assert (mark["position"], mark["comment"], mark["username"]) == (
        125_000,
        "chapter 2",
        alice.user,
    )
    assert mark["entry"]["title"] == "Disc 1 Track 1"
    assert _recent(mark["created"]) and mark["changed"] >= mark["created"]


def test_a_second_bookmark_in_a_song_replaces_the_first_but_keeps_its_creation(
    alice: Api, song: dict[str, str]
) -> None:
    alice.ok("createBookmark", id=song["blue1"], position=1000, comment="first")
    created = _bookmarks(alice)[song["blue1"]]["created"]
    alice.ok("createBookmark", id=song["blue1"], position=2000)
    marks = _bookmarks(alice)
    assert list(marks) == [song["blue1"]]
    assert marks[song["blue1"]]["position"] == 2000
    assert "comment" not in marks[song["blue1"]]
    assert marks[song["blue1"]]["created"] == created


def test_bookmarks_are_per_user_and_list_the_latest_first(
    alice: Api, bob: Api, song: dict[str, str]
) -> None:
    alice.ok("createBookmark", id=song["blue1"], position=1)
    alice.ok("createBookmark", id=song["blue2"], position=2)
    bob.ok("createBookmark", id=song["blue3"], position=3)
    assert list(_bookmarks(alice)) == [song["blue2"], song["blue1"]]
    assert list(_bookmarks(bob)) == [song["blue3"]]
    assert _bookmarks(bob)[song["blue3"]]["username"] == bob.user


def test_deleting_a_bookmark_leaves_other_users_bookmarks(
    alice: Api, bob: Api, song: dict[str, str]
) -> None:
    alice.ok("createBookmark", id=song["blue1"], position=1)
    bob.ok("createBookmark", id=song["blue1"], position=2)
    bob.ok("deleteBookmark", id=song["blue1"])  # twice: deleting what is gone is no error
    assert _bookmarks(bob) == {}
    assert _bookmarks(alice)[song["blue1"]]["position"] == 1


def test_a_bookmark_in_a_song_that_left_is_not_listed_but_can_be_deleted(
    own: tuple[MusicLibrary, Flask, Api, dict[str, str]],
) -> None:
    library, app, alice, song = own
    alice.ok("createBookmark", id=song["blue1"], position=1)
    alice.ok("createBookmark", id=song["blue2"], position=2)
    _remove_from_beets(app, library, "blue2")
    assert list(_bookmarks(alice)) == [song["blue1"]]
    deleted = alice.get("deleteBookmark", id=song["blue2"], f="json").json
    assert deleted["subsonic-response"]["status"] == "ok"
    # Now the id names neither a song of the library nor a bookmark.
    assert alice.error("deleteBookmark", id=song["blue2"]) == NOT_FOUND


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"id": "tr-999999", "position": "1"}, NOT_FOUND),
        ({"id": "ar-0123456789abcdef", "position": "1"}, NOT_FOUND),
        ({"position": "1"}, MISSING_PARAMETER),
        ({"id": "SONG"}, MISSING_PARAMETER),
        ({"id": "SONG", "position": "-5"}, GENERIC),
    ],
)
def test_a_bad_bookmark_is_refused_and_writes_nothing(
    alice: Api, song: dict[str, str], params: dict, code: int
) -> None:
    params = {key: song["blue1"] if value == "SONG" else value for key, value in params.items()}
    assert alice.error("createBookmark", **params) == code
    assert _bookmarks(alice) == {}


@pytest.mark.parametrize(("params", "code"), [({}, MISSING_PARAMETER), ({"id": "x"}, NOT_FOUND)])
def test_deleting_a_bookmark_of_no_song_is_an_error(alice: Api, params: dict, code: int) -> None:
    assert alice.error("deleteBookmark", **params) == code
