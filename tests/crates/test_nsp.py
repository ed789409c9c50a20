"""Navidrome's documented smart playlists (``tests/crates/nsp``), dropped into the crates folder
unchanged: each loads and gives the songs a plain Python filter implementing Navidrome's
semantics for it gives (``/work/notes/nsp.md``), evaluated for the listener asking.

Where beetcrate follows its own rule the difference is named: ``inTheLast`` counts whole
seconds back from now where Navidrome counts back to a day's midnight (the library's times
sit half a day from any such edge, so both give the same songs here), and the tie-break of a
sort is the beets item id.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from beets.library import Album

from beetcrate.crates.engine import CrateSet
from tests.crates.library import (
    DAY,
    NOW,
    CrateLibrary,
    Order,
    Song,
    fold,
    open_library,
    sort_songs,
)

FIXTURES = Path(__file__).parent / "nsp"
USER = "ann"
# Navidrome's id of another playlist in two examples: a playlist of the server of that name.
PLAYLIST_ID = "dVX0hgcj4JJFjTs66xpEqI"


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrateLibrary]:
    root = tmp_path_factory.mktemp("nsp")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BEETSDIR", str(root / "beets"))
        built = open_library(root)
        make_albums(built)
    for fixture in FIXTURES.glob("*.nsp"):
        shutil.copy(fixture, built.crates_dir)
    # The two playlists overplayed_favorites.nsp names by path, beside it.
    (built.crates_dir / "most-played-favorites.nsp").write_text(
        '{"all": [{"is": {"loved": true}}, {"gt": {"playCount": 5}}]}'
    )
    (built.crates_dir / "favorites-not-played-in-4-yrs.nsp").write_text(
        '{"all": [{"is": {"loved": true}}, {"notInTheLast": {"lastPlayed": 100}}]}'
    )
    # The playlist in_playlist_shuffled.nsp names by Navidrome's id: a playlist of the server.
    conn = built.engine.conn
    playlist = conn.execute(
        "INSERT INTO playlists (owner, name, created, changed) VALUES (?, ?, 0, 0)",
        [USER, PLAYLIST_ID],
    ).lastrowid
    conn.executemany(
        "INSERT INTO playlist_entries (playlist_id, position, item_id) VALUES (?, ?, ?)",
        [(playlist, n, song.id) for n, song in enumerate(built.songs[::3])],
    )
    yield built
    built.engine.close()
    built.home.close()


# The album each song is on, and when that album was added: one album of twelve every five
# days, so five are "recently added".
ALBUM_ADDED = {f"Album {n}": NOW - (5 * n + 0.5) * DAY for n in range(12)}


def make_albums(lib: CrateLibrary) -> None:
    beets = lib.home.lib
    for name, added in ALBUM_ADDED.items():
        album = Album(album=name, albumartist="Various Artists")
        beets.add(album)
        album.added = added  # beets stamps ``added`` with the time of ``add``
        album.store()
        for song in lib.songs:
            if song.album == name:
                item = beets.get_item(song.id)
                item.album_id = album.id
                item.store()


@pytest.fixture(scope="module")
def crates(lib: CrateLibrary) -> CrateSet:
    found = lib.engine.load()
    assert not found.errors, [str(error) for error in found.errors]
    return found


def evaluate(lib: CrateLibrary, crates: CrateSet, file: str) -> list[int]:
    (crate,) = [c for c in crates.crates.values() if c.path.name == file]
    return lib.engine.evaluate(crate, crates, USER)


def played(song: Song) -> float | None:
    return song.user(USER).last_played


def loved(song: Song) -> bool:
    return song.user(USER).starred is not None


def rating(song: Song) -> int:
    return song.user(USER).rating or 0


def in_the_last(value: float | None, days: float) -> bool:
    return value is not None and value > NOW - days * DAY


def test_every_documented_playlist_loads(crates: CrateSet) -> None:
    files = {crate.path.name for crate in crates.crates.values()}
    assert {path.name for path in FIXTURES.glob("*.nsp")} <= files


def test_names_come_from_the_file_or_its_name(crates: CrateSet) -> None:
    assert crates.find("Recently Played") is not None
    assert crates.find("eighties_top_songs") is not None


def test_recently_played(lib: CrateLibrary, crates: CrateSet) -> None:
    songs = [s for s in lib.songs if in_the_last(played(s), 30)]
    assert songs
    expected = sort_songs(songs, (played, True))[:100]
    assert evaluate(lib, crates, "recently_played.nsp") == expected


def test_eighties_top_songs(lib: CrateLibrary, crates: CrateSet) -> None:
    songs = [s for s in lib.songs if (loved(s) or rating(s) > 3) and 1981 <= s.year <= 1990]
    assert songs
    expected = sort_songs(songs, (lambda s: s.year, True))[:25]
    assert evaluate(lib, crates, "eighties_top_songs.nsp") == expected


def test_favourites(lib: CrateLibrary, crates: CrateSet) -> None:
    songs = [s for s in lib.songs if loved(s)]
    expected = sort_songs(songs, (lambda s: s.user(USER).starred, True))[:500]
    assert evaluate(lib, crates, "favourites.nsp") == expected


def test_all_songs_random_despite_its_comment(lib: CrateLibrary, crates: CrateSet) -> None:
    found = evaluate(lib, crates, "all_songs_random.nsp")
    assert sorted(found) == sorted(s.id for s in lib.songs)
    assert found != sorted(found)


def test_multi_field_sorting(lib: CrateLibrary, crates: CrateSet) -> None:
    songs = [s for s in lib.songs if 2000 <= s.year <= 2009]
    keys: list[Order] = [(lambda s: s.year, True), (rating, True), (lambda s: fold(s.title), False)]
    expected = sort_songs(songs, *keys)[:200]
    assert evaluate(lib, crates, "multi_field_sorting.nsp") == expected


def test_library_specific_finds_nothing_in_the_one_library(
    lib: CrateLibrary, crates: CrateSet
) -> None:
    """beetcrate serves one library, Navidrome's library 1: library 2 has no songs."""
    assert evaluate(lib, crates, "library_specific.nsp") == []
    first = lib.evaluate('{"all": [{"is": {"library_id": 1}}, {"gt": {"rating": 4}}]}', USER)
    assert set(first) == lib.matching(lambda s: rating(s) > 4)


def test_percentage_limit(lib: CrateLibrary, crates: CrateSet) -> None:
    favourites = lib.matching(loved)
    found = evaluate(lib, crates, "percentage_limit.nsp")
    assert len(found) == max(1, round(len(favourites) / 10))
    assert set(found) <= favourites


def test_recently_added_albums_in_album_order(lib: CrateLibrary, crates: CrateSet) -> None:
    def added(s: Song) -> float:
        return ALBUM_ADDED[s.album]

    songs = [s for s in lib.songs if added(s) > NOW - 30 * DAY]
    keys: list[Order] = [
        (added, True),
        (lambda s: fold(s.album), False),
        (lambda s: s.disc, False),
        (lambda s: s.track, False),
    ]
    assert songs
    expected = sort_songs(songs, *keys)
    assert evaluate(lib, crates, "recently_added_albums.nsp") == expected


@pytest.mark.parametrize(
    ("file", "keep", "limit"),
    [
        ("daily_mix.nsp", lambda s: in_the_last(played(s), 30), 20),
        ("weekly_discoveries.nsp", lambda s: not in_the_last(played(s), 90), 50),
    ],
)
def test_random_mixes_with_a_limit(
    lib: CrateLibrary, crates: CrateSet, file: str, keep: Callable[[Song], bool], limit: int
) -> None:
    matching = lib.matching(keep)
    found = evaluate(lib, crates, file)
    assert len(found) == min(limit, len(matching))
    assert set(found) <= matching


def test_missing_genre(lib: CrateLibrary, crates: CrateSet) -> None:
    assert set(evaluate(lib, crates, "missing_genre.nsp")) == lib.matching(lambda s: not s.genres)


def test_in_playlist_shuffled(lib: CrateLibrary, crates: CrateSet) -> None:
    found = evaluate(lib, crates, "in_playlist_shuffled.nsp")
    assert len(found) == 50
    assert set(found) <= {song.id for song in lib.songs[::3]}


def test_a_playlist_id_that_names_nothing_is_one_clear_error(lib: CrateLibrary) -> None:
    """Not an empty crate: the other crates still load."""
    conn = lib.engine.conn
    conn.execute("UPDATE playlists SET name = 'renamed' WHERE name = ?", [PLAYLIST_ID])
    try:
        found = lib.engine.load()
    finally:
        conn.execute("UPDATE playlists SET name = ? WHERE name = 'renamed'", [PLAYLIST_ID])
    assert [str(e) for e in found.errors] == [
        f"in_playlist_shuffled.nsp:2: inPlaylist: {PLAYLIST_ID}:"
        f" no playlist or crate named {PLAYLIST_ID!r}"
    ]
    assert len(found.crates) == len(list(lib.crates_dir.iterdir())) - 1


def test_overplayed_favorites_reads_the_playlists_beside_it(
    lib: CrateLibrary, crates: CrateSet
) -> None:
    def keep(s: Song) -> bool:
        most_played = loved(s) and s.user(USER).play_count > 5
        forgotten = loved(s) and not in_the_last(played(s), 100)
        return most_played and not forgotten

    songs = [s for s in lib.songs if keep(s)]
    assert songs
    keys: list[Order] = [(lambda s: s.user(USER).play_count, False), (played, False)]
    assert evaluate(lib, crates, "overplayed_favorites.nsp") == sort_songs(songs, *keys)
