"""Every change stored through beets is recorded: field, old and new value, source, time."""

from __future__ import annotations

from collections.abc import Callable

from beets.library import Item

from tests.helper import BeetsHome
from tests.provenance.conftest import changes_of, log, show


def test_library_found_before_the_plugin_is_recorded_as_found(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    make_item(title="karma police", artist="Radiohead")
    entries = log(home)
    assert changes_of(entries, "title") == [(None, "karma police", "found")]
    assert changes_of(entries, "artist") == [(None, "Radiohead", "found")]
    assert not changes_of(entries, "mtime")


def test_modify_records_old_value_new_value_and_source(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    item = make_item(title="karma police", artist="Radiohead")
    home("modify", "-y", f"id:{item.id}", "title=Karma Police", "mood=dark")
    entries = log(home, f"id:{item.id}")
    assert changes_of(entries, "title")[-1] == ("karma police", "Karma Police", "modify")
    assert changes_of(entries, "mood") == [(None, "dark", "modify")]
    shown = show(home, f"id:{item.id}")[0]["fields"]["title"]
    assert shown["value"] == "Karma Police"
    assert shown["source"] == "modify"
    assert "'Karma Police' set by beet modify" in shown["explanation"]
    assert (
        "before that 'karma police' from the library as provenance first found it"
        in (shown["explanation"])
    )
