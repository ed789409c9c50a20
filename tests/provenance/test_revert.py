"""``beet provenance revert`` sets values back, writes the tags, and is itself revertible."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from beets import ui
from beets.library import Item

from tests.helper import BeetsHome
from tests.provenance.conftest import changes_of, log, tagged_file


def _title(home: BeetsHome, item_id: int) -> str:
    item = home.lib.get_item(item_id)
    assert item is not None
    return item.title


def test_revert_of_a_field_restores_it_and_a_revert_can_be_reverted(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    item = make_item(title="karma police", comments="Rock")
    home("modify", "-y", f"id:{item.id}", "title=Karma Police", "comments=Pop")
    printed = home("provenance", "revert", f"id:{item.id}", "title")
    assert "title 'Karma Police' -> 'karma police'" in printed
    assert _title(home, item.id) == "karma police"
    assert home.lib.get_item(item.id).comments == "Pop"  # not named: left
    assert changes_of(log(home), "title")[-1] == ("Karma Police", "karma police", "revert")
    home("provenance", "revert", f"id:{item.id}", "title")
    assert _title(home, item.id) == "Karma Police"


def test_revert_without_fields_takes_back_the_last_store(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    item = make_item(title="a", comments="Rock")
    home("modify", "-y", f"id:{item.id}", "title=b")
    home("modify", "-y", f"id:{item.id}", "comments=Pop", "mood=dark")
    home("provenance", "revert", f"id:{item.id}")
    reverted = home.lib.get_item(item.id)
    assert (reverted.title, reverted.comments, reverted.get("mood")) == ("b", "Rock", None)


def test_revert_of_a_source_takes_back_only_its_changes(
    importing: BeetsHome, tmp_path: Path
) -> None:
    incoming = tmp_path / "incoming" / "okc"
    for n, title in enumerate(["Airbg", "Paranoid Androd"], start=1):
        tagged_file(
            incoming / f"{n:02d}.flac",
            title=title,
            artist="Radiohead",
            album="OK Computer",
            track=n,
        )
    importing("import", "-q", str(incoming))
    importing("modify", "-y", "--nomove", "title:Airbag", "comments=Rock")
    importing("provenance", "revert", "album:OK Computer", "--source", "import:musicbrainz")
    items = {item.track: item for item in importing.lib.items()}
    assert (items[1].title, items[2].title) == ("Airbg", "Paranoid Androd")
    assert items[1].comments == "Rock"  # modify's, not the import's
    assert items[1].get("mb_trackid", "") == ""


def test_revert_to_a_time_restores_the_values_of_that_time(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    item = make_item(title="first")
    home("modify", "-y", f"id:{item.id}", "title=second")
    home("modify", "-y", f"id:{item.id}", "title=third", "comments=Pop")
    second = next(e for e in log(home) if e["new"] == "second")["time"]
    home("provenance", "revert", f"id:{item.id}", "--to", second)
    reverted = home.lib.get_item(item.id)
    assert (reverted.title, reverted.comments) == ("second", "")
    stamp = datetime.fromisoformat(second).timestamp()
    assert all(
        datetime.fromisoformat(e["time"]).timestamp() >= stamp for e in log(home, "--since", second)
    )


def test_revert_writes_the_tags_when_import_write_is_on(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    item = make_item(title="karma police")
    home.configure(**{"import": {"write": True}})
    home("modify", "-y", f"id:{item.id}", "title=Karma Police")
    assert Item.from_path(home.lib.get_item(item.id).path).title == "Karma Police"
    home("provenance", "revert", f"id:{item.id}", "title")
    assert Item.from_path(home.lib.get_item(item.id).path).title == "karma police"


def test_album_revert_restores_the_album_and_its_items(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    album = home.lib.add_album([make_item(), make_item()])
    album.album = "ok computer"
    album.store()
    home("modify", "-y", "-a", f"id:{album.id}", "album=OK Computer")
    assert {i.album for i in home.lib.items()} == {"OK Computer"}
    home("provenance", "revert", "-a", f"id:{album.id}", "album")
    assert home.lib.get_album(album.id).album == "ok computer"
    assert {i.album for i in home.lib.items()} == {"ok computer"}
    assert changes_of(log(home, "-a"), "album")[-1] == ("OK Computer", "ok computer", "revert")


def test_nothing_to_revert_is_said(home: BeetsHome, make_item: Callable[..., Item]) -> None:
    item = make_item(title="karma police")
    assert "nothing to revert" in home("provenance", "revert", f"id:{item.id}")
    assert "title left: came with it (found)" in home(
        "provenance", "revert", f"id:{item.id}", "title"
    )


@pytest.mark.parametrize(
    "action", [["revert", "id:1", "--to", "last tuesday"], ["log", "--since", "soon"]]
)
def test_a_time_that_is_not_one_is_a_one_line_error(
    home: BeetsHome, make_item: Callable[..., Item], action: list[str]
) -> None:
    make_item()
    with pytest.raises(ui.UserError, match=r"not a time: .*write 2026-11-30"):
        home("provenance", *action)


def test_revert_of_a_source_leaves_a_field_changed_since_by_another_and_says_so(
    importing: BeetsHome, tmp_path: Path
) -> None:
    incoming = tmp_path / "incoming" / "okc"
    for n, title in enumerate(["Airbg", "Paranoid Androd"], start=1):
        tagged_file(
            incoming / f"{n:02d}.flac",
            title=title,
            artist="Radiohead",
            album="OK Computer",
            track=n,
        )
    importing("import", "-q", str(incoming))
    importing("modify", "-y", "--nomove", "title:Airbag", "title=Airbag (remaster)")
    printed = importing(
        "provenance", "revert", "album:OK Computer", "title", "--source", "import:musicbrainz"
    )
    assert "title left: changed since by modify" in printed
    titles = {item.track: item.title for item in importing.lib.items()}
    assert titles == {1: "Airbag (remaster)", 2: "Paranoid Androd"}


def test_revert_of_an_import_keeps_when_the_item_was_added(
    importing: BeetsHome, tmp_path: Path
) -> None:
    incoming = tmp_path / "incoming" / "okc"
    for n, title in enumerate(["Airbg", "Paranoid Androd"], start=1):
        tagged_file(
            incoming / f"{n:02d}.flac",
            title=title,
            artist="Radiohead",
            album="OK Computer",
            track=n,
        )
    importing("import", "-q", str(incoming))
    added = {item.track: item.added for item in importing.lib.items()}
    assert len(added) == 2 and all(added.values())
    printed = importing(
        "provenance", "revert", "album:OK Computer", "--source", "import:musicbrainz"
    )
    assert "added left: when beets took it in" in printed
    items = {item.track: item for item in importing.lib.items()}
    assert items[1].title == "Airbg"
    assert {track: item.added for track, item in items.items()} == added


def test_an_item_without_artist_or_title_is_named_as_such(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    item = make_item(title="", artist="")
    home("modify", "-y", f"id:{item.id}", "comments=Rock")
    shown = home("provenance", "show", f"id:{item.id}")
    assert shown.startswith(f"(no artist, no title)  (item {item.id})")
    printed = home("provenance", "revert", f"id:{item.id}")
    assert "(no artist, no title): comments 'Rock' -> empty" in printed
