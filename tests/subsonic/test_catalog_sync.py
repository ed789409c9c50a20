"""The server follows changes that beets makes to its database, without a restart."""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest
from beets import ui
from beets.library import Item, Library

from beetcrate import sidecar
from beetsplug.dupes.store import hidden_item_ids
from subsonic.app import create_app
from tests.helper import run_beet, wait_for
from tests.subsonic.conftest import Api, MusicLibrary


def _beets(music_library: MusicLibrary) -> Library:
    settings = music_library.settings
    return Library(str(settings.beets_library), str(settings.music_directory))


def _song_ids(api: Api) -> set[str]:
    songs = api.ok("search3", query="", songCount=500)["searchResult3"]["song"]
    return {song["id"] for song in songs}


def _song_titles(api: Api) -> set[str]:
    songs = api.ok("search3", query="", songCount=500)["searchResult3"]["song"]
    return {song["title"] for song in songs}


def test_retag_add_and_remove_in_beets_show_up_while_serving(own_library: MusicLibrary) -> None:
    api = Api(create_app(own_library.settings).test_client())
    lib = _beets(own_library)
    item = lib.get_item(own_library.items["blue1"].id)
    item.title = "Retitled In Beets"
    item.store()
    wait_for(lambda: "Retitled In Beets" in _song_titles(api), what="the retitled song")
    lib.get_item(own_library.items["single2"].id).remove()
    wait_for(lambda: "Chanson 2" not in _song_titles(api), what="the removed song to go")
    assert api.ok("search3", query="retitled")["searchResult3"]["song"][0]["title"] == (
        "Retitled In Beets"
    )
    assert api.ok("search3", query="chanson")["searchResult3"]["song"][0]["title"] == "Chanson 1"
    lib._close()


def test_start_scan_reports_counts(own_library: MusicLibrary) -> None:
    app = create_app(own_library.settings)
    api = Api(app.test_client())
    body = api.ok("startScan")
    assert body["scanStatus"]["scanning"] is True
    app.extensions["beetcrate"].watcher.wait(10)
    status = api.ok("getScanStatus")["scanStatus"]
    assert status == {"scanning": False, "count": 13}


def test_ids_are_stable_across_rescans_and_restarts(own_library: MusicLibrary) -> None:
    first = Api(create_app(own_library.settings).test_client())
    before = first.ok("search3", query="", songCount=500, albumCount=500, artistCount=500)
    services = create_app(own_library.settings).extensions["beetcrate"]
    report = services.catalog.sync(force=True)
    assert report is not None and report.changed == 0
    again = Api(create_app(own_library.settings).test_client())
    after = again.ok("search3", query="", songCount=500, albumCount=500, artistCount=500)
    assert before["searchResult3"] == after["searchResult3"]


def test_a_failed_sync_leaves_the_previous_catalog_intact(own_library: MusicLibrary) -> None:
    # No automatic refresh: this test drives the sync itself.
    app = create_app(replace(own_library.settings, refresh_interval=3600))
    services = app.extensions["beetcrate"]
    api = Api(app.test_client())
    titles = _song_titles(api)
    catalog = services.catalog
    original = catalog._rebuild_aggregates

    def fail_after_the_aggregates() -> None:
        original()
        raise RuntimeError("disk full")

    catalog._rebuild_aggregates = fail_after_the_aggregates
    lib = _beets(own_library)
    item = lib.get_item(own_library.items["blue2"].id)
    item.title = "Half Written"
    item.store()
    with pytest.raises(RuntimeError):
        catalog.sync()
    assert _song_titles(api) == titles
    catalog._rebuild_aggregates = original
    assert catalog.sync() is not None
    assert "Half Written" in _song_titles(api)
    lib._close()


def test_last_modified_moves_only_when_the_catalog_changed(own_library: MusicLibrary) -> None:
    app = create_app(replace(own_library.settings, refresh_interval=3600))
    api = Api(app.test_client())
    catalog = app.extensions["beetcrate"].catalog
    first = api.ok("getIndexes")["indexes"]["lastModified"]
    catalog.sync(force=True)
    assert api.ok("getIndexes")["indexes"]["lastModified"] == first
    lib = _beets(own_library)
    item = lib.get_item(own_library.items["blue3"].id)
    item.title = "Changed"
    item.store()
    # lastModified is the sync's time in milliseconds: let the clock pass the first one.
    wait_for(lambda: int(time.time() * 1000) > first, interval=0.001, what="the clock to move")
    catalog.sync()
    assert api.ok("getIndexes")["indexes"]["lastModified"] > first
    lib._close()


def test_hide_duplicates_leaves_exact_copies_out_of_browsing_and_search(
    own_library: MusicLibrary,
) -> None:
    settings = own_library.settings
    original = Path(own_library.items["blue1"].path.decode())
    copy = original.with_name("copy of blue 1.flac")
    shutil.copyfile(original, copy)
    lib = _beets(own_library)
    duplicate = Item.from_path(str(copy))
    duplicate.title = "Retagged Copy"
    duplicate.write()
    lib.add(duplicate)
    lib._close()
    home = own_library.home
    home.configure(plugins=["dupes"], dupes={"fingerprint": False})
    # The library's ghost track has no file: the scan says so, exits 1 and groups the rest.
    with pytest.raises(ui.UserError, match="could not be scanned"):
        run_beet("-c", str(home.config_file), "dupes", "scan")

    # One server at a time: both share the sidecar, and each would re-sync it its own way.
    settings = replace(settings, refresh_interval=3600)
    shown = Api(create_app(settings).test_client())
    assert {"Blue Song 1", "Retagged Copy"} <= _song_titles(shown)
    every_song = _song_ids(shown)
    hidden = Api(create_app(replace(settings, hide_duplicates=True)).test_client())
    assert len({"Blue Song 1", "Retagged Copy"} & _song_titles(hidden)) == 1
    # The two discs of "Double Trouble" repeat the same tones: exact duplicates too.
    left_out = hidden_item_ids(sidecar.connect(settings.db))
    assert len(left_out) == 3
    assert len(_song_ids(hidden)) == len(every_song) - len(left_out)


def test_a_catalog_of_another_schema_version_is_rebuilt_from_beets(
    own_library: MusicLibrary,
) -> None:
    settings = own_library.settings
    api = Api(create_app(settings).test_client())
    before = _song_ids(api)
    db = sidecar.connect(settings.db)
    db.execute("UPDATE catalog_meta SET value = 'old' WHERE key = 'schema'")
    db.execute("DROP TABLE catalog_genres")
    db.conn.commit()
    rebuilt = Api(create_app(settings).test_client())
    assert _song_ids(rebuilt) == before
    assert rebuilt.ok("getGenres")["genres"]["genre"]


def test_a_sync_that_keeps_failing_is_logged_once_and_recovery_too(
    own_library: MusicLibrary, caplog: pytest.LogCaptureFixture
) -> None:
    import sqlite3

    app = create_app(replace(own_library.settings, refresh_interval=0.0))
    watcher = app.extensions["beetcrate"].watcher
    original = watcher.catalog.sync

    def locked(force: bool = False) -> None:
        raise sqlite3.OperationalError("database is locked")

    watcher.catalog.sync = locked
    for _ in range(3):
        assert watcher.start()
        watcher.wait()
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "catalog sync failed, retrying at the next request: OperationalError: database is locked"
    ]
    watcher.catalog.sync = original
    assert watcher.start()
    watcher.wait()
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"][-1] == (
        "catalog sync works again"
    )
