"""User data follows a track through what beets does to it, with real beets commands.

Stars, ratings and plays are keyed by the ids clients see, derived from beets ids: a catalog
rebuild and ``beet move`` keep them; a re-import gives the same file a new id, and
``beet dupes resolve`` removes copies of a canonical one. In each case the user data must be
found on the track where it now is.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest
from beets import ui
from beets.library import Item, Library

from beetcrate import sidecar
from beetsplug.dupes import store as dupes_store
from subsonic.app import create_app
from tests.helper import run_beet
from tests.subsonic import spec
from tests.subsonic.conftest import LISTENER, LISTENER_PASSWORD, Api, MusicLibrary


class Server:
    """An app on the test's library that syncs only when told, and its two users."""

    def __init__(self, library: MusicLibrary) -> None:
        self.library = library
        self.app = create_app(replace(library.settings, refresh_interval=3600))
        self.alice = Api(self.app.test_client())
        self.bob = Api(self.app.test_client(), LISTENER, LISTENER_PASSWORD)

    def sync(self) -> None:
        self.app.extensions["beetcrate"].catalog.sync()

    def beet(self, *args: str) -> str:
        return run_beet("-c", str(self.library.home.config_file), *args)

    def beets(self) -> Library:
        settings = self.library.settings
        return Library(str(settings.beets_library), str(settings.music_directory))


def _once(api: Api, method: str, **params: object) -> None:
    """One call in JSON (``Api.ok`` asks twice, which would count a play twice)."""
    document = json.loads(api.get(method, f="json", **params).data)
    spec.validate_json(method, document)
    assert document["subsonic-response"]["status"] == "ok", document


def _annotate(api: Api, song: str, album: str, rating: int, plays: int) -> None:
    api.ok("star", id=song, albumId=album)
    api.ok("setRating", id=song, rating=rating)
    api.ok("setRating", id=album, rating=rating)
    _once(api, "scrobble", id=[song] * plays, time=[1_700_000_000_000 + n for n in range(plays)])


def _annotations(node: dict) -> tuple:
    return (node.get("starred"), node.get("userRating"), node.get("playCount"), node.get("played"))


def _song_by_title(api: Api, title: str) -> dict:
    songs = api.ok("search3", query="", songCount=500)["searchResult3"]["song"]
    (song,) = [song for song in songs if song["title"] == title]
    return song


def _snapshot(api: Api, title: str) -> tuple[tuple, tuple]:
    song = _song_by_title(api, title)
    album = api.ok("getAlbum", id=song["albumId"])["album"]
    return _annotations(song), _annotations(album)


@pytest.fixture
def server(own_library: MusicLibrary) -> Server:
    server = Server(own_library)
    library = own_library
    _annotate(server.alice, f"tr-{library.items['blue1'].id}", f"al-{library.albums['blue']}", 4, 2)
    _annotate(server.bob, f"tr-{library.items['blue1'].id}", f"al-{library.albums['blue']}", 2, 1)
    return server


def test_user_data_survives_a_catalog_rebuild(server: Server) -> None:
    before = [_snapshot(api, "Blue Song 1") for api in (server.alice, server.bob)]
    assert before[0][0][2] == 2 and before[1][0][2] == 1
    db = sidecar.connect(server.library.settings.db)
    db.execute("UPDATE catalog_meta SET value = 'old' WHERE key = 'schema'")
    db.conn.commit()
    rebuilt = Server(server.library)
    assert [_snapshot(api, "Blue Song 1") for api in (rebuilt.alice, rebuilt.bob)] == before


def test_user_data_follows_a_beet_move(server: Server) -> None:
    before = _snapshot(server.alice, "Blue Song 1")
    old_path = _song_by_title(server.alice, "Blue Song 1")["path"]
    server.library.home.configure(paths={"default": "Moved/$album/$track $title"})
    server.beet("move", "album:Blue Album")
    server.sync()
    song = _song_by_title(server.alice, "Blue Song 1")
    assert song["path"] != old_path and song["path"].startswith("Moved/")
    assert song["id"] == f"tr-{server.library.items['blue1'].id}"
    assert _snapshot(server.alice, "Blue Song 1") == before


def test_user_data_follows_a_reimport_of_the_same_files(server: Server) -> None:
    before = [_snapshot(api, "Blue Song 1") for api in (server.alice, server.bob)]
    old_song = _song_by_title(server.alice, "Blue Song 1")
    server.library.home.configure(**{"import": {"copy": False, "write": False}})
    album_dir = server.library.settings.music_directory / "The Testers" / "Blue Album (2001)"
    server.beet("import", "-A", "-q", str(album_dir))
    server.sync()
    song = _song_by_title(server.alice, "Blue Song 1")
    # beets gave the file a new item id, and its album a new album id.
    assert song["id"] != old_song["id"] and song["path"] == old_song["path"]
    assert song["albumId"] != old_song["albumId"]
    assert [_snapshot(api, "Blue Song 1") for api in (server.alice, server.bob)] == before
    starred = server.alice.ok("getStarred2")["starred2"]
    assert [s["id"] for s in starred["song"]] == [song["id"]]
    assert [a["id"] for a in starred["album"]] == [song["albumId"]]
    assert server.alice.error("getSong", id=old_song["id"]) == 70
    # The listening history names the new item too.
    history = sidecar.connect(server.library.settings.db).execute(
        "SELECT DISTINCT item_id FROM user_plays"
    )
    assert [f"tr-{item_id}" for (item_id,) in history] == [song["id"]]


def test_user_data_waits_for_a_removed_track_to_come_back_with_its_musicbrainz_id(
    server: Server,
) -> None:
    lib = server.beets()
    item = lib.get_item(server.library.items["blue1"].id)
    item.mb_trackid = "5b11f4ce-a62d-471e-81fc-a69a8278c7da"
    item.store()
    server.sync()
    before = _snapshot(server.alice, "Blue Song 1")
    server.beet("remove", "-f", "title:Blue Song 1")
    server.sync()
    assert server.alice.ok("getStarred2")["starred2"]["song"] == []
    source = Path(item.path.decode())
    copy = server.library.settings.music_directory / "Elsewhere" / "blue one.flac"
    copy.parent.mkdir()
    shutil.copyfile(source, copy)
    again = Item.from_path(str(copy))
    again.update({"title": "Blue Song 1", "mb_trackid": item.mb_trackid})
    again.album_id = server.library.albums["blue"]
    lib.add(again)
    lib._close()
    server.sync()
    song = _song_by_title(server.alice, "Blue Song 1")
    assert song["id"] == f"tr-{again.id}"
    assert _snapshot(server.alice, "Blue Song 1") == before


def test_a_dupes_resolve_merges_the_removed_copys_user_data_into_the_canonical_copy(
    server: Server,
) -> None:
    original = Path(server.library.items["blue1"].path.decode())
    copy = original.with_name("copy of blue 1.flac")
    shutil.copyfile(original, copy)
    lib = server.beets()
    duplicate = Item.from_path(str(copy))
    duplicate.title = "Blue Copy"
    lib.add(duplicate)
    lib._close()
    server.sync()
    copy_id, blue1_id = f"tr-{duplicate.id}", f"tr-{server.library.items['blue1'].id}"
    # alice: a later star, no rating and three plays on the copy; bob only plays it.
    server.alice.ok("unstar", id=blue1_id)
    server.alice.ok("star", id=copy_id)
    server.alice.ok("star", id=blue1_id)
    server.alice.ok("setRating", id=blue1_id, rating=0)
    server.alice.ok("setRating", id=copy_id, rating=3)
    # An hour ahead (a client's clock may run ahead): later than any play the library has.
    latest = int(time.time() + 3600)
    _once(server.alice, "scrobble", id=[copy_id] * 3, time=[latest * 1000] * 3)
    _once(server.bob, "scrobble", id=copy_id)
    alice_first_star = server.alice.ok("getSong", id=copy_id)["song"]["starred"]

    home = server.library.home
    home.configure(plugins=["dupes"], dupes={"fingerprint": False})
    # The library's ghost track has no file: the scan says so, exits 1 and groups the rest.
    with pytest.raises(ui.UserError, match="could not be scanned"):
        server.beet("dupes", "scan")
    groups = dupes_store.load_groups(dupes_store.open_store(server.library.settings.db))
    (group,) = [group for group in groups if duplicate.id in group.item_ids]
    server.beet("dupes", "resolve", str(group.id), "--apply")
    server.sync()
    songs = server.alice.ok("search3", query="blue", songCount=50)["searchResult3"]["song"]
    kept = [s for s in songs if s["id"] in {copy_id, blue1_id}]
    assert len(kept) == 1
    merged = server.alice.ok("getSong", id=kept[0]["id"])["song"]
    # Plays add up (2 + 3), the last play is the latest, the star the earliest, and the rating
    # the canonical copy's (alice removed hers from blue1, so the copy's 3 stays).
    assert merged["playCount"] == 5
    assert merged["played"].startswith(time.strftime("%Y-%m-%dT%H:%M", time.gmtime(latest)))
    assert merged["starred"] == alice_first_star
    assert merged["userRating"] == 3
    bob = server.bob.ok("getSong", id=kept[0]["id"])["song"]
    assert (bob["playCount"], bob["userRating"]) == (2, 2)
