"""Odd input the crate engine must survive: beets queries beets runs its own way (album fields,
``path:`` from any thread, regular expressions on paths), file names that are not UTF-8,
numbers against text fields, dates in ``show --json``, another user's private playlist, and
``isMissing`` on the listener's fields."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from beets.library import Item

from beetcrate import sidecar
from beetcrate.crates.engine import CrateEngine, CrateSet
from beetcrate.crates.rules import read_crate
from beetcrate.settings import CrateSettings
from subsonic.catalog import Catalog
from subsonic.userdata.schema import COMPONENT as USERDATA
from subsonic.userdata.schema import MIGRATIONS as USERDATA_MIGRATIONS
from tests.helper import BeetsHome


@pytest.fixture
def home(beets_home: BeetsHome) -> Iterator[BeetsHome]:
    lib = beets_home.lib
    titles = ["100% Drive", "100", "Acid Rain", "Blue"]
    for n, title in enumerate(titles):
        folder = "Koze" if n < 2 else "Other"
        item = Item(path=str(beets_home.music / folder / f"{n}.flac"), title=title, artist="A")
        item["energy"] = 0.2 * (n + 1)
        lib.add(item)
        if n == 0:
            album = lib.add_album([item])
            album.artpath = str(beets_home.music / "Koze" / "cover.jpg")
            album.store()
    beets_home.close()
    (beets_home.dir / "crates").mkdir()
    yield beets_home


def _engine(home: BeetsHome) -> CrateEngine:
    return CrateEngine(
        home.sidecar, home.library_path, home.music, CrateSettings(home.dir / "crates")
    )


def _titles(home: BeetsHome, rules: str, user: str | None = None) -> list[str]:
    path = home.dir / "crates" / "test.yaml"
    path.write_text(rules, encoding="utf-8")
    crate = read_crate(path)
    engine = _engine(home)
    try:
        tracks = engine.tracks(engine.evaluate(crate, CrateSet({crate.name: crate}), user))
    finally:
        engine.close()
    return sorted(track.title for track in tracks)


def test_a_query_on_an_album_field_is_run_by_beets(home: BeetsHome) -> None:
    # beets writes album fields without their table: its own join must run them.
    assert _titles(home, "query: 'artpath::cover'\n") == ["100% Drive"]


def test_a_path_query_matches_from_any_thread(home: BeetsHome) -> None:
    rules = f"query: 'path:{home.music / 'Koze'}'\n"
    found: list[list[str]] = []
    thread = threading.Thread(target=lambda: found.append(_titles(home, rules)))
    thread.start()
    thread.join()
    assert found == [["100", "100% Drive"]]


def test_a_regular_expression_matches_paths(home: BeetsHome) -> None:
    assert _titles(home, "query: 'path::Other/[23]\\.flac$'\n") == ["Acid Rain", "Blue"]


def test_a_number_against_a_text_field_compares_as_text(home: BeetsHome) -> None:
    assert _titles(home, "is: {title: 100}\n") == ["100"]


def test_a_file_name_that_is_not_utf8_stops_neither_the_index_nor_the_catalog(
    home: BeetsHome,
) -> None:
    lib = home.lib
    lib.add(Item(path=bytes(home.music) + b"/Caf\xe9/x.flac", title="Latin-1", artist="A"))
    home.close()
    assert "Latin-1" in _titles(home, "isPresent: {title: true}\n")
    catalog = Catalog(home.sidecar, home.library_path, home.music)
    try:
        assert catalog.sync().songs == 5
    finally:
        catalog.close()


def test_show_json_writes_the_rules_dates_as_text(home: BeetsHome) -> None:
    home.configure(plugins=["crates"])
    (home.dir / "crates" / "new.yaml").write_text("name: New\nafter: {added: 2024-01-31}\n")
    shown = json.loads(home("crate", "show", "New", "--json"))
    assert shown["rules"]["after"] == {"added": "2024-01-31"}
    assert len(shown["items"]) == 4


def test_a_crate_does_not_reach_another_users_private_playlist(home: BeetsHome) -> None:
    db = sidecar.connect(home.sidecar)
    sidecar.migrate(db, USERDATA, USERDATA_MIGRATIONS)
    with db.conn:
        for name, owner, public in (("Secret", "ann", 0), ("Shared", "ann", 1)):
            db.conn.execute(
                "INSERT INTO playlists (owner, name, public, created, changed)"
                " VALUES (?, ?, ?, 0, 0)",
                [owner, name, public],
            )
            db.conn.execute(
                "INSERT INTO playlist_entries VALUES ((SELECT max(id) FROM playlists), 0, 1)"
            )
    db.conn.close()
    assert _titles(home, "inPlaylist: {name: Shared}\n", user="bob") == ["100% Drive"]
    assert _titles(home, "inPlaylist: {name: Secret}\n", user="ann") == ["100% Drive"]
    with pytest.raises(Exception, match="no playlist or crate named 'Secret'"):
        _titles(home, "inPlaylist: {name: Secret}\n", user="bob")


def test_is_missing_on_the_listeners_fields_means_never_rated_or_played(
    home: BeetsHome,
) -> None:
    db = sidecar.connect(home.sidecar)
    sidecar.migrate(db, USERDATA, USERDATA_MIGRATIONS)
    with db.conn:
        db.conn.execute(
            "INSERT INTO user_annotations (user, target, kind, rating, play_count)"
            " VALUES ('ann', 'tr-2', 'song', 4, 3)"
        )
    db.conn.close()
    assert _titles(home, "isMissing: {rating: true}\n", user="ann") == [
        "100% Drive",
        "Acid Rain",
        "Blue",
    ]
    assert _titles(home, "isPresent: {playcount: true}\n", user="ann") == ["100"]


def test_limit_zero_is_no_limit_as_in_navidrome(home: BeetsHome) -> None:
    assert len(_titles(home, "isPresent: {title: true}\nlimit: 0\n")) == 4
