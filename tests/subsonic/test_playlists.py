"""Playlists through the API: creating, listing, changing and deleting, who may do what, songs
that leave beets, duplicates merged by ``beet dupes``, and concurrent changes.

Tests on the shared app create playlists of their own and assert only on those (other tests'
playlists may be listed too); tests that change the library take a library of their own.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from beets import ui
from flask import Flask

from subsonic.app import create_app
from subsonic.responses import GENERIC, MISSING_PARAMETER, NOT_AUTHORIZED, NOT_FOUND
from subsonic.userdata.playlists import seed_playlists
from tests.helper import run_beet
from tests.subsonic import spec
from tests.subsonic.conftest import LISTENER, LISTENER_PASSWORD, Api, MusicLibrary


def song(library: MusicLibrary, name: str) -> str:
    return f"tr-{library.items[name].id}"


def write(api: Api, method: str, **params) -> dict:
    """Call a method that changes something once (``ok`` calls twice: XML, then JSON), in JSON
    checked against its schema; the ``subsonic-response``."""
    response = api.get(method, f="json", **params)
    document = json.loads(response.data)
    spec.validate_json(method, document)
    return document["subsonic-response"]


def write_ok(api: Api, method: str, **params) -> dict:
    body = write(api, method, **params)
    assert body["status"] == "ok", body
    return body


def write_error(api: Api, method: str, **params) -> int:
    body = write(api, method, **params)
    assert body["status"] == "failed", body
    return body["error"]["code"]


def create(api: Api, name: str, *song_ids: str) -> dict:
    return write_ok(api, "createPlaylist", name=name, songId=list(song_ids))["playlist"]


def entry_ids(api: Api, playlist_id: str) -> list[str]:
    return [entry["id"] for entry in api.ok("getPlaylist", id=playlist_id)["playlist"]["entry"]]


def listed(api: Api, **params) -> dict[str, dict]:
    playlists = api.ok("getPlaylists", **params)["playlists"]["playlist"]
    return {playlist["id"]: playlist for playlist in playlists}


def stored_entries(db: Path, playlist_id: str) -> list[tuple[int, int]]:
    """(position, item id) of a playlist's rows in the sidecar, shown or not."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT position, item_id FROM playlist_entries WHERE playlist_id = ?"
            " ORDER BY position",
            [int(playlist_id.removeprefix("pl-"))],
        ).fetchall()


@pytest.fixture
def bob(listener_api: Api) -> Api:
    return listener_api


# Creating and reading


def test_a_created_playlist_holds_its_songs_in_the_order_given_repeats_included(
    api: Api, music_library: MusicLibrary
) -> None:
    songs = [song(music_library, n) for n in ("blue2", "single1", "blue2")]
    created = create(api, "Road trip", *songs)
    assert created["id"].startswith("pl-")
    assert [entry["id"] for entry in created["entry"]] == songs
    playlist = api.ok("getPlaylist", id=created["id"])["playlist"]
    assert [entry["id"] for entry in playlist["entry"]] == songs
    assert playlist["name"] == "Road trip"
    assert playlist["owner"] == "alice"
    assert playlist["public"] is False
    assert playlist["readonly"] is False
    assert playlist["songCount"] == 3
    assert playlist["duration"] == 3  # three one-second songs
    assert playlist["coverArt"] == songs[0]
    assert playlist["created"] == playlist["changed"]
    assert listed(api)[created["id"]]["songCount"] == 3


def test_create_playlist_answers_valid_xml(api: Api, music_library: MusicLibrary) -> None:
    response = api.get("createPlaylist", name="In XML", songId=[song(music_library, "blue1")])
    spec.validate_xml(response.data)
    assert b'name="In XML"' in response.data
    assert b"<entry " in response.data


def test_an_empty_playlist_has_no_songs_and_no_cover(api: Api) -> None:
    created = create(api, "Empty for now")
    playlist = api.ok("getPlaylist", id=created["id"])["playlist"]
    assert playlist["songCount"] == 0
    assert playlist["duration"] == 0
    assert "entry" not in playlist or playlist["entry"] == []
    assert "coverArt" not in playlist


def test_create_with_a_playlist_id_replaces_the_songs_and_the_name_if_given(
    api: Api, music_library: MusicLibrary
) -> None:
    created = create(api, "Before", song(music_library, "blue1"), song(music_library, "blue2"))
    new_songs = [song(music_library, "double1"), song(music_library, "single2")]
    replaced = write_ok(api, "createPlaylist", playlistId=created["id"], songId=new_songs)
    assert replaced["playlist"]["name"] == "Before"
    assert entry_ids(api, created["id"]) == new_songs
    write_ok(api, "createPlaylist", playlistId=created["id"], name="After", songId=new_songs[:1])
    playlist = api.ok("getPlaylist", id=created["id"])["playlist"]
    assert playlist["name"] == "After"
    assert [entry["id"] for entry in playlist["entry"]] == new_songs[:1]


def test_create_without_a_name_or_a_playlist_id_is_error_10(api: Api) -> None:
    assert api.error("createPlaylist") == MISSING_PARAMETER


def test_an_unknown_song_is_error_70_and_nothing_is_written(
    api: Api, music_library: MusicLibrary
) -> None:
    name = "Never created"
    code = api.error("createPlaylist", name=name, songId=[song(music_library, "blue1"), "tr-9999"])
    assert code == NOT_FOUND
    assert name not in {playlist["name"] for playlist in listed(api).values()}

    created = create(api, "Kept as it was", song(music_library, "blue1"))
    code = write_error(
        api, "updatePlaylist", playlistId=created["id"], name="Renamed", songIdToAdd=["tr-9999"]
    )
    assert code == NOT_FOUND
    playlist = api.ok("getPlaylist", id=created["id"])["playlist"]
    assert playlist["name"] == "Kept as it was"
    assert [entry["id"] for entry in playlist["entry"]] == [song(music_library, "blue1")]
    code = write_error(api, "createPlaylist", playlistId=created["id"], songId=["al-1"])
    assert code == NOT_FOUND
    assert entry_ids(api, created["id"]) == [song(music_library, "blue1")]


@pytest.mark.parametrize("playlist_id", ["pl-999999", "al-1", "tr-1", "nonsense"])
def test_an_unknown_or_malformed_playlist_id_is_error_70(api: Api, playlist_id: str) -> None:
    assert api.error("getPlaylist", id=playlist_id) == NOT_FOUND
    assert api.error("updatePlaylist", playlistId=playlist_id, name="x") == NOT_FOUND
    assert api.error("deletePlaylist", id=playlist_id) == NOT_FOUND
    assert api.error("createPlaylist", playlistId=playlist_id) == NOT_FOUND


def test_a_missing_playlist_id_is_error_10(api: Api) -> None:
    assert api.error("getPlaylist") == MISSING_PARAMETER
    assert api.error("updatePlaylist") == MISSING_PARAMETER
    assert api.error("deletePlaylist") == MISSING_PARAMETER


# Changing


def test_update_removes_by_index_then_appends_and_keeps_positions_dense(
    api: Api, music_library: MusicLibrary
) -> None:
    a, b, c, d, e = (
        song(music_library, n) for n in ("blue1", "blue2", "blue3", "double1", "single1")
    )
    created = create(api, "Edited", a, b, c, d)
    write_ok(
        api,
        "updatePlaylist",
        playlistId=created["id"],
        songIndexToRemove=["3", "1"],
        songIdToAdd=[e],
    )
    assert entry_ids(api, created["id"]) == [a, c, e]
    positions = [
        position for position, _ in stored_entries(music_library.settings.db, created["id"])
    ]
    assert positions == [0, 1, 2]


def test_update_changes_name_comment_and_public_only_when_given(api: Api) -> None:
    created = create(api, "Named")
    write_ok(api, "updatePlaylist", playlistId=created["id"], comment="for Sundays", public="true")
    playlist = api.ok("getPlaylist", id=created["id"])["playlist"]
    assert (playlist["name"], playlist["comment"], playlist["public"]) == (
        "Named",
        "for Sundays",
        True,
    )
    assert playlist["changed"] >= playlist["created"]
    write_ok(api, "updatePlaylist", playlistId=created["id"], name="Renamed", comment="")
    playlist = api.ok("getPlaylist", id=created["id"])["playlist"]
    assert (playlist["name"], playlist.get("comment"), playlist["public"]) == (
        "Renamed",
        None,
        True,
    )


def test_removing_an_index_past_the_end_is_error_70_and_removes_nothing(
    api: Api, music_library: MusicLibrary
) -> None:
    songs = [song(music_library, "blue1"), song(music_library, "blue2")]
    created = create(api, "Two songs", *songs)
    code = write_error(
        api, "updatePlaylist", playlistId=created["id"], songIndexToRemove=["0", "2"]
    )
    assert code == NOT_FOUND
    assert entry_ids(api, created["id"]) == songs


def test_an_index_that_is_not_a_number_is_error_0(api: Api) -> None:
    created = create(api, "Indexes")
    assert api.error("updatePlaylist", playlistId=created["id"], songIndexToRemove="-1") == GENERIC
    assert api.error("updatePlaylist", playlistId=created["id"], songIndexToRemove="x") == GENERIC


def test_delete_removes_the_playlist_and_its_songs(api: Api, music_library: MusicLibrary) -> None:
    created = create(api, "Short-lived", song(music_library, "blue1"))
    write_ok(api, "deletePlaylist", id=created["id"])
    assert api.error("getPlaylist", id=created["id"]) == NOT_FOUND
    assert created["id"] not in listed(api)
    assert stored_entries(music_library.settings.db, created["id"]) == []


# Who sees and changes what


def test_a_listener_sees_own_and_public_playlists_but_not_private_ones(
    api: Api, bob: Api, music_library: MusicLibrary
) -> None:
    private = create(api, "Alice's secret", song(music_library, "blue1"))
    public = create(api, "Alice's party", song(music_library, "blue2"))
    write_ok(api, "updatePlaylist", playlistId=public["id"], public="true")
    own = create(bob, "Bob's own", song(music_library, "blue3"))

    seen = listed(bob)
    assert private["id"] not in seen
    assert seen[public["id"]]["readonly"] is True
    assert seen[public["id"]]["owner"] == "alice"
    assert seen[own["id"]]["readonly"] is False
    assert bob.error("getPlaylist", id=private["id"]) == NOT_FOUND
    assert entry_ids(bob, public["id"]) == [song(music_library, "blue2")]
    assert own["id"] not in listed(api)  # bob's is private: not in alice's list…
    assert (
        api.ok("getPlaylist", id=own["id"])["playlist"]["readonly"] is False
    )  # …but admins see it


def test_only_the_owner_or_an_admin_changes_a_playlist(
    api: Api, bob: Api, music_library: MusicLibrary
) -> None:
    alices = create(api, "Alice's, shared", song(music_library, "blue1"))
    write_ok(api, "updatePlaylist", playlistId=alices["id"], public="true")
    assert (
        write_error(bob, "updatePlaylist", playlistId=alices["id"], name="Mine") == NOT_AUTHORIZED
    )
    assert write_error(bob, "createPlaylist", playlistId=alices["id"]) == NOT_AUTHORIZED
    assert write_error(bob, "deletePlaylist", id=alices["id"]) == NOT_AUTHORIZED
    assert api.ok("getPlaylist", id=alices["id"])["playlist"]["name"] == "Alice's, shared"

    alice_private = create(api, "Alice's, private")
    assert write_error(bob, "deletePlaylist", id=alice_private["id"]) == NOT_FOUND

    bobs = create(bob, "Bob's")
    write_ok(api, "updatePlaylist", playlistId=bobs["id"], name="Tidied by an admin")
    assert bob.ok("getPlaylist", id=bobs["id"])["playlist"]["name"] == "Tidied by an admin"
    write_ok(api, "deletePlaylist", id=bobs["id"])
    assert bob.error("getPlaylist", id=bobs["id"]) == NOT_FOUND


def test_the_username_parameter_is_for_admins(api: Api, bob: Api) -> None:
    bobs = create(bob, "Bob's, asked for by an admin")
    assert bob.error("getPlaylists", username="alice") == NOT_AUTHORIZED
    as_bob = listed(api, username=LISTENER)
    assert as_bob[bobs["id"]]["readonly"] is False  # the admin asking may change it
    assert bobs["id"] in listed(bob, username=LISTENER)
    assert api.error("getPlaylists", username="nobody") == NOT_FOUND


# Songs that leave beets, duplicates merged


def test_a_song_removed_from_beets_drops_out_without_breaking_the_playlist(
    own_library: MusicLibrary,
) -> None:
    services_app = create_app(own_library.settings)
    api = Api(services_app.test_client())
    songs = [song(own_library, n) for n in ("blue1", "blue2", "blue3")]
    created = create(api, "Losing one", *songs)
    assert listed(api)[created["id"]]["songCount"] == 3

    own_library.home.lib.get_item(own_library.items["blue2"].id).remove()
    own_library.home.close()
    services_app.extensions["beetcrate"].catalog.sync()

    playlist = api.ok("getPlaylist", id=created["id"])["playlist"]
    assert [entry["id"] for entry in playlist["entry"]] == [songs[0], songs[2]]
    assert (playlist["songCount"], playlist["duration"]) == (2, 2)
    assert listed(api)[created["id"]]["songCount"] == 2  # counted again after the sync
    # Indexes count the songs shown: 1 is blue3 now. The gone song keeps its place.
    write_ok(api, "updatePlaylist", playlistId=created["id"], songIndexToRemove="1")
    assert entry_ids(api, created["id"]) == [songs[0]]
    stored = stored_entries(own_library.settings.db, created["id"])
    assert stored == [(0, own_library.items["blue1"].id), (1, own_library.items["blue2"].id)]


@dataclass
class Duplicate:
    """blue1 and a copy of it in beets, grouped by ``beet dupes scan``."""

    group: str  # the group's id
    keep: str  # the song id of the canonical copy…
    extra: str  # …and of the other
    extra_path: str


def duplicate_blue1(library: MusicLibrary) -> Duplicate:
    """Add a copy of blue1 and group it with ``beet dupes scan`` (BEETSDIR must name the
    library's home)."""
    home = library.home
    # Exact-audio copies need no fingerprints (and one-second tones have none to compare).
    home.configure(plugins=["dupes"], dupes={"fingerprint": False})
    original = library.items["blue1"]
    copy = home.add_file(Path(os.fsdecode(original.path)), "Copies/blue1.flac", title="Blue copy")
    home.close()
    # The library's ghost track has no file: the scan says so, exits 1 and groups the rest.
    with pytest.raises(ui.UserError, match="1 file\\(s\\) could not be scanned"):
        run_beet("dupes", "scan")
    # The copy's group (the library has others: its double album repeats its tones).
    (group_id,) = re.findall(r"group (\d+):", run_beet("dupes", "list", "title:Blue copy"))
    (group,) = json.loads(run_beet("dupes", "list", "--json", "title:Blue copy"))["groups"]
    by_path = {os.fsdecode(item.path): f"tr-{item.id}" for item in (original, copy)}
    keep = by_path.pop(group["canonical"])
    ((extra_path, extra),) = by_path.items()
    return Duplicate(group_id, keep, extra, extra_path)


@dataclass
class Duplicated(Duplicate):
    app: Flask  # serving the library


@pytest.fixture
def duplicated(own_library: MusicLibrary, monkeypatch: pytest.MonkeyPatch) -> Duplicated:
    monkeypatch.setenv("BEETSDIR", str(own_library.home.dir))
    duplicate = duplicate_blue1(own_library)
    return Duplicated(**vars(duplicate), app=create_app(own_library.settings))


def test_beet_dupes_resolve_repoints_a_playlist_at_the_canonical_copy_and_undo_puts_it_back(
    own_library: MusicLibrary, duplicated: Duplicated
) -> None:
    catalog = duplicated.app.extensions["beetcrate"].catalog
    api = Api(duplicated.app.test_client())
    other = song(own_library, "blue2")
    created = create(api, "Holding a copy", duplicated.extra, other)

    run_beet("dupes", "resolve", duplicated.group, "--apply")
    catalog.sync()
    assert entry_ids(api, created["id"]) == [duplicated.keep, other]

    run_beet("dupes", "undo")
    catalog.sync()
    assert entry_ids(api, created["id"]) == [duplicated.extra, other]


def test_beet_dupes_undo_leaves_alone_an_entry_the_playlist_replaced_since(
    own_library: MusicLibrary, duplicated: Duplicated
) -> None:
    catalog = duplicated.app.extensions["beetcrate"].catalog
    api = Api(duplicated.app.test_client())
    created = create(api, "Holding a copy", duplicated.extra)
    run_beet("dupes", "resolve", duplicated.group, "--apply")
    catalog.sync()
    # New songs: the rows are deleted and new ones written, which may reuse their rowids.
    replacement = song(own_library, "single1")
    write_ok(api, "createPlaylist", playlistId=created["id"], songId=[replacement])

    run_beet("dupes", "undo")
    catalog.sync()
    assert entry_ids(api, created["id"]) == [replacement]


# Concurrency, and the benchmark's seeding


def test_concurrent_updates_of_one_playlist_lose_nothing(
    app, api: Api, music_library: MusicLibrary
) -> None:
    created = create(api, "Busy")
    songs = [song(music_library, n) for n in ("blue1", "blue2", "blue3", "double1", "single1")]
    rounds, clients = 4, 4
    errors: list[BaseException] = []

    def add_songs(client: Api) -> None:
        try:
            for added in songs * rounds:
                write_ok(client, "updatePlaylist", playlistId=created["id"], songIdToAdd=added)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=add_songs, args=(Api(app.test_client()),)) for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    added = clients * rounds * len(songs)
    stored = stored_entries(music_library.settings.db, created["id"])
    assert [position for position, _ in stored] == list(range(added))
    assert api.ok("getPlaylist", id=created["id"])["playlist"]["songCount"] == added


def test_seeded_playlists_are_listed_with_their_counts(own_library: MusicLibrary) -> None:
    services_app = create_app(own_library.settings)
    ids = [own_library.items[name].id for name in ("blue1", "blue2", "single1")]
    with services_app.extensions["beetcrate"].userdata.transaction() as conn:
        numbers = seed_playlists(conn, "bob", [ids, ids[:1]])
    bob = Api(services_app.test_client(), LISTENER, LISTENER_PASSWORD)
    seen = listed(bob)
    assert [seen[f"pl-{n}"]["songCount"] for n in numbers] == [3, 1]
    assert entry_ids(bob, f"pl-{numbers[0]}") == [f"tr-{item_id}" for item_id in ids]


def test_a_playlist_asked_for_again_shows_every_change_since(own_library: MusicLibrary) -> None:
    """getPlaylist answers are rendered once and reused: nothing a user does may go unseen."""
    from subsonic.app import create_app

    api = Api(create_app(own_library.settings).test_client())
    songs = [f"tr-{own_library.items[name].id}" for name in ("blue1", "blue2", "double1")]
    playlist = api.ok_once("createPlaylist", name="Cached", songId=songs[:2])["playlist"]["id"]
    assert api.ok("getPlaylist", id=playlist) == api.ok("getPlaylist", id=playlist)
    api.ok_once("updatePlaylist", playlistId=playlist, songIdToAdd=songs[2])
    entries = api.ok("getPlaylist", id=playlist)["playlist"]["entry"]
    assert [entry["id"] for entry in entries] == songs
    api.ok("star", id=songs[0])
    api.ok("setRating", id=songs[1], rating=3)
    first, second, _ = api.ok("getPlaylist", id=playlist)["playlist"]["entry"]
    assert "starred" in first and second["userRating"] == 3
    api.ok("updatePlaylist", playlistId=playlist, name="Renamed")
    assert api.ok("getPlaylist", id=playlist)["playlist"]["name"] == "Renamed"


def test_an_admin_demoted_since_is_not_served_a_private_playlist_from_the_cache(
    own_library: MusicLibrary,
) -> None:
    from subsonic.app import create_app
    from tests.subsonic.conftest import ADMIN, ADMIN_PASSWORD, LISTENER, LISTENER_PASSWORD

    app = create_app(own_library.settings)
    admin = Api(app.test_client(), ADMIN, ADMIN_PASSWORD)
    listener = Api(app.test_client(), LISTENER, LISTENER_PASSWORD)
    admin.ok_once("createUser", username="carol", password="pw", adminRole="true")
    carol = Api(app.test_client(), "carol", "pw")
    song = f"tr-{own_library.items['blue1'].id}"
    private = listener.ok_once("createPlaylist", name="Mine", songId=song)["playlist"]["id"]
    assert carol.ok("getPlaylist", id=private)["playlist"]["entry"]
    admin.ok_once("updateUser", username="carol", adminRole="false")
    assert carol.error("getPlaylist", id=private) == 70


def test_a_user_without_playlist_role_sees_their_playlists_as_read_only(
    own_library: MusicLibrary,
) -> None:
    from subsonic.app import create_app
    from tests.subsonic.conftest import ADMIN, ADMIN_PASSWORD

    app = create_app(own_library.settings)
    admin = Api(app.test_client(), ADMIN, ADMIN_PASSWORD)
    admin.ok_once("createUser", username="dave", password="pw")
    dave = Api(app.test_client(), "dave", "pw")
    song = f"tr-{own_library.items['blue1'].id}"
    playlist = dave.ok_once("createPlaylist", name="Mine", songId=song)["playlist"]["id"]
    admin.ok_once("updateUser", username="dave", playlistRole="false")
    assert dave.ok("getPlaylist", id=playlist)["playlist"]["readonly"] is True
