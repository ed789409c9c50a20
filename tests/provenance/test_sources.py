"""Changes made by beets' commands and by other plugins are recorded under their names."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from beets.library import Item

from beetcrate.attribution import Attribution, attributed
from beetsplug.provenance.sources import UNKNOWN, SourceFinder
from tests.helper import BeetsHome
from tests.provenance.conftest import PLUGINS, changes_of, log


def test_edit_is_recorded_as_edit(
    home: BeetsHome,
    make_item: Callable[..., Item],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item = make_item(title="karma police")
    home.configure(plugins=["provenance", "edit"])
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/karma police/Karma Police/' \"$1\"\n")
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.setattr("sys.stdin", io.StringIO("a\n"))  # beet edit's "apply"
    home("edit", f"id:{item.id}", "-f", "title")
    assert changes_of(log(home), "title")[-1] == ("karma police", "Karma Police", "edit")


def test_update_records_what_is_read_back_from_the_file(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    item = make_item(title="karma police")
    home("provenance", "log")  # provenance sees the library as it is
    retagged = Item.from_path(item.path)
    retagged.title = "Karma Police (live)"
    retagged.write()
    later = time.time() + 10  # beet update reads files whose mtime moved past the item's
    os.utime(item.path, (later, later))
    home("update")
    assert changes_of(log(home), "title")[-1] == (
        "karma police",
        "Karma Police (live)",
        "update",
    )


def test_mbsync_is_recorded_as_mbsync(home: BeetsHome, make_item: Callable[..., Item]) -> None:
    item = make_item(title="karma", mb_trackid="rec-karma")
    home.configure(pluginpath=[str(PLUGINS)], plugins=["provenance", "fakerelease", "mbsync"])
    home("mbsync", f"id:{item.id}")
    assert changes_of(log(home), "title")[-1] == ("karma", "Karma Police", "mbsync")


def test_another_plugins_command_is_recorded_under_its_name(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    item = make_item(seconds=8.0)
    home.configure(plugins=["provenance", "dj"])
    home("dj", "analyze", "--now", f"id:{item.id}")
    entries = log(home, f"id:{item.id}")
    bpm = changes_of(entries, "bpm")
    assert bpm and bpm[-1][2] == "dj"
    assert changes_of(entries, "title") == [(None, item.title, "found")]


def test_move_records_the_new_path_and_the_item_keeps_its_history(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    item = make_item(title="karma police")
    home("modify", "-y", "--nomove", f"id:{item.id}", "title=Karma Police")
    home("move", f"id:{item.id}")
    entries = log(home, f"id:{item.id}")
    assert changes_of(entries, "title")[-1] == ("karma police", "Karma Police", "modify")
    paths = changes_of(entries, "path")
    assert paths[-1][2] == "move" and paths[-1][1] != paths[-2][1]


def test_a_removed_items_history_is_kept_until_purged(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    kept, removed = make_item(title="kept"), make_item(title="removed")
    home("modify", "-y", f"id:{removed.id}", "title=Removed")
    home("remove", "-f", f"id:{removed.id}")
    entries = [e for e in log(home) if e["id"] == removed.id]
    assert changes_of(entries, "title")[-1] == ("removed", "Removed", "modify")
    assert all(e["removed"] for e in entries)
    assert "forgot the history of 1 removed" in home("provenance", "purge")
    assert {e["id"] for e in log(home)} == {kept.id}


def store_from_here(finder: SourceFinder) -> Attribution | None:
    """A store's listener, always called from the same place: the same call stack."""
    return finder.source_of_store()


def _remove(finder: SourceFinder) -> Attribution | None:
    """As beets' ``LibModel._remove`` sends ``database_change``."""
    return store_from_here(finder)


def test_a_remembered_call_stack_still_yields_to_an_attributed_block_and_to_a_removal() -> None:
    finder = SourceFinder()
    assert store_from_here(finder) == UNKNOWN  # no command, no plugin, no import on the stack
    with attributed("identify", candidate_id="rec-1"):
        assert store_from_here(finder) == Attribution("identify", candidate_id="rec-1")
    assert store_from_here(finder) == UNKNOWN
    assert _remove(finder) is None
    with attributed("identify"):
        assert _remove(finder) is None
