"""Crate rules against a real beets library, each result checked against a plain Python filter.

The library (``tests/crates/library.py``) is a few hundred seeded items with the DJ analysis'
attributes, a flexible attribute of the user's own and two listeners' annotations. Every
expected result below is computed in Python from the songs as they were written, from the
documented semantics (the issue, and Navidrome's where the issue says nothing), never from the
engine's SQL.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator

import pytest

from beetcrate.crates.engine import CrateSet
from subsonic.userdata.schema import COMPONENT as USERDATA
from tests.crates.library import DAY, NOW, CrateLibrary, Song, fold, open_library, sort_songs

Predicate = Callable[[Song], bool]


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrateLibrary]:
    root = tmp_path_factory.mktemp("crates")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BEETSDIR", str(root / "beets"))
        built = open_library(root)
    yield built
    built.engine.close()
    built.home.close()


def day(offset_days: float) -> str:
    """The UTC date ``offset_days`` from now, as a crate writes dates."""
    return datetime.datetime.fromtimestamp(NOW + offset_days * DAY, datetime.UTC).strftime(
        "%Y-%m-%d"
    )


def midnight(date: str) -> float:
    return datetime.datetime.fromisoformat(date).replace(tzinfo=datetime.UTC).timestamp()


def above(value: float | None, limit: float) -> bool:
    return value is not None and value > limit


def below(value: float | None, limit: float) -> bool:
    return value is not None and value < limit


def between(value: float | None, low: float, high: float) -> bool:
    return value is not None and low <= value <= high


# Rules over one field and what they keep. The user fields are ann's.
CONDITIONS: list[tuple[str, Predicate]] = [
    ("is: {artist: Björk}", lambda s: s.artist == "Björk"),
    # is and isNot compare text exactly, as Navidrome does: "euphoric" is not "Euphoric".
    ("is: {mood: euphoric}", lambda s: s.mood == "euphoric"),
    ("is: {mood: Euphoric}", lambda s: s.mood == "Euphoric"),
    ("isNot: {artist: Sade}", lambda s: s.artist != "Sade"),
    ("isNot: {mood: dark}", lambda s: s.mood != "dark"),
    ("is: {year: 1999}", lambda s: s.year == 1999),
    ("gt: {year: 2000}", lambda s: s.year > 2000),
    ("gt: {year: '2000'}", lambda s: s.year > 2000),
    ("lt: {year: 1990}", lambda s: s.year < 1990),
    ("gt: {energy: 0.5}", lambda s: above(s.energy, 0.5)),
    ("lt: {danceability: 0.3}", lambda s: below(s.danceability, 0.3)),
    ("gt: {lufs: -8}", lambda s: above(s.lufs, -8)),
    ("contains: {title: night}", lambda s: "night" in fold(s.title)),
    ("contains: {title: '100%'}", lambda s: "100%" in s.title),
    ("contains: {title: _}", lambda s: "_" in s.title),
    ("contains: {mood: EU}", lambda s: "eu" in fold(s.mood or "")),
    ("notContains: {comments: promo}", lambda s: "promo" not in fold(s.comments)),
    ("startsWith: {title: acid}", lambda s: fold(s.title).startswith("acid")),
    ("endsWith: {title: '7'}", lambda s: s.title.endswith("7")),
    ("inTheRange: {year: [1981, 1990]}", lambda s: 1981 <= s.year <= 1990),
    (
        "inTheRange: {energy: [0.4, 0.7]}",
        lambda s: between(s.energy, 0.4, 0.7),
    ),
    (
        "inTheRange: {danceability: [0.2, 0.6]}",
        lambda s: between(s.danceability, 0.2, 0.6),
    ),
    (f"after: {{dateadded: {day(-100)}}}", lambda s: s.added > midnight(day(-100))),
    (f"before: {{added: '{day(-100)}'}}", lambda s: s.added < midnight(day(-100))),
    (
        f"is: {{dateadded: {day(-3)}}}",
        lambda s: midnight(day(-3)) <= s.added < midnight(day(-3)) + DAY,
    ),
    ("inTheLast: {dateAdded: 30}", lambda s: s.added > NOW - 30 * DAY),
    ("notInTheLast: {added: 30}", lambda s: s.added < NOW - 30 * DAY),
    ("isMissing: {energy: true}", lambda s: s.energy is None),
    ("isPresent: {mood: true}", lambda s: s.mood is not None),
    ("isMissing: {mood: false}", lambda s: s.mood is not None),
    ("isMissing: {comments: true}", lambda s: s.comments == ""),
    ("isMissing: {genre: true}", lambda s: not s.genres),
    ("isPresent: {bpm: true}", lambda s: s.bpm != 0),
    ("is: {compilation: true}", lambda s: s.comp),
    ("is: {comp: false}", lambda s: not s.comp),
    # Navidrome's names: bitrate in kbps, duration, track and disc numbers, the file type.
    ("gt: {bitrate: 300}", lambda s: s.bitrate / 1000 > 300),
    ("lt: {duration: 120}", lambda s: s.length < 120),
    ("is: {tracknumber: 3}", lambda s: s.track == 3),
    ("is: {discnumber: 2}", lambda s: s.disc == 2),
    ("inTheRange: {releaseyear: [2000, 2009]}", lambda s: 2000 <= s.year <= 2009),
    # Multi-valued: is means one value is exactly that; isNot that none is.
    ("is: {genre: Techno}", lambda s: "Techno" in s.genres),
    ("isNot: {genres: Techno}", lambda s: "Techno" not in s.genres),
    ("contains: {genre: techno}", lambda s: any("techno" in fold(g) for g in s.genres)),
    ("notContains: {genre: jazz}", lambda s: not any("jazz" in fold(g) for g in s.genres)),
    # The listener's own data: no annotation is not loved, rating 0, played 0 times.
    ("is: {loved: true}", lambda s: s.user("ann").starred is not None),
    ("is: {loved: false}", lambda s: s.user("ann").starred is None),
    ("gt: {rating: 3}", lambda s: (s.user("ann").rating or 0) > 3),
    ("lt: {rating: 2}", lambda s: (s.user("ann").rating or 0) < 2),
    ("gt: {PlayCount: -1}", lambda s: True),
    ("lt: {playcount: 3}", lambda s: s.user("ann").play_count < 3),
    (
        "inTheLast: {lastPlayed: 30}",
        lambda s: above(s.user("ann").last_played, NOW - 30 * DAY),
    ),
    (
        "notInTheLast: {lastplayed: 60}",
        lambda s: not above(s.user("ann").last_played, NOW - 60 * DAY),
    ),
    (
        f"after: {{dateloved: {day(-50)}}}",
        lambda s: above(s.user("ann").starred, midnight(day(-50))),
    ),
    ("isPresent: {daterated: true}", lambda s: s.user("ann").rated is not None),
]


@pytest.mark.parametrize(("rule", "keep"), CONDITIONS, ids=[rule for rule, _ in CONDITIONS])
def test_a_rule_keeps_what_a_python_filter_keeps(
    lib: CrateLibrary, rule: str, keep: Predicate
) -> None:
    found = lib.evaluate(f"all:\n  - {rule}\n", user="ann")
    assert len(found) == len(set(found))
    assert set(found) == lib.matching(keep)


def test_every_rule_of_the_table_keeps_some_songs_and_leaves_some(lib: CrateLibrary) -> None:
    """The table above proves something only where a rule splits the library."""
    trivial = {rule for rule, keep in CONDITIONS if len(lib.matching(keep)) in (0, len(lib.songs))}
    assert trivial == {"is: {mood: euphoric}", "gt: {PlayCount: -1}"}


def test_nested_all_and_any(lib: CrateLibrary) -> None:
    text = """
any:
  - all:
      - gt: {energy: 0.6}
      - any:
          - is: {genre: House}
          - contains: {title: acid}
  - all:
      - lt: {year: 1985}
      - isPresent: {year: true}
      - is: {loved: true}
"""

    def keep(s: Song) -> bool:
        first = (
            s.energy is not None
            and s.energy > 0.6
            and ("House" in s.genres or "acid" in fold(s.title))
        )
        return first or (0 < s.year < 1985 and s.user("bob").starred is not None)

    assert set(lib.evaluate(text, user="bob")) == lib.matching(keep)


def test_rules_beside_each_other_at_the_top_must_all_hold(lib: CrateLibrary) -> None:
    text = "gt: {energy: 0.3}\nquery: 'format:FLAC'\n"
    keep = lib.matching(lambda s: s.energy is not None and s.energy > 0.3 and s.format == "FLAC")
    assert set(lib.evaluate(text)) == keep


def test_an_empty_any_keeps_nothing_and_an_empty_all_everything(lib: CrateLibrary) -> None:
    assert lib.evaluate("any: []\n") == []
    assert len(lib.evaluate("all: []\n")) == len(lib.songs)


# Sorting


def test_without_a_sort_a_crate_lists_like_beet_ls(lib: CrateLibrary) -> None:
    expected = sort_songs(
        [s for s in lib.songs if s.year > 2010],
        (lambda s: fold(s.albumartist), False),
        (lambda s: fold(s.album), False),
        (lambda s: s.disc, False),
        (lambda s: s.track, False),
    )
    assert lib.evaluate("all: [{gt: {year: 2010}}]\n") == expected


@pytest.mark.parametrize(
    ("sort", "keys"),
    [
        ("title", [(lambda s: fold(s.title), False)]),
        ("-year, +title", [(lambda s: s.year, True), (lambda s: fold(s.title), False)]),
        ("energy", [(lambda s: s.energy, False)]),
        ("-energy", [(lambda s: s.energy, True)]),
        (
            "-rating,playcount,-lastplayed",
            [
                (lambda s: s.user("ann").rating or 0, True),
                (lambda s: s.user("ann").play_count, False),
                (lambda s: s.user("ann").last_played, True),
            ],
        ),
        ("camelot,-bpm_precise", [(lambda s: s.camelot, False), (lambda s: s.bpm_precise, True)]),
        (
            "mood,track",
            [(lambda s: fold(s.mood) if s.mood else None, False), (lambda s: s.track, False)],
        ),
    ],
)
def test_sort_by_several_fields(lib: CrateLibrary, sort: str, keys: list) -> None:
    songs = [s for s in lib.songs if s.year > 1989]
    found = lib.evaluate(f"all: [{{gt: {{year: 1989}}}}]\nsort: '{sort}'\n", user="ann")
    assert found == sort_songs(songs, *keys)


def test_order_desc_turns_every_sort_field_round(lib: CrateLibrary) -> None:
    """As in Navidrome: ``-year`` with ``order: desc`` is by year ascending."""
    found = lib.evaluate("all: [{gt: {year: 1989}}]\nsort: -year,title\norder: desc\n")
    songs = [s for s in lib.songs if s.year > 1989]
    assert found == sort_songs(songs, (lambda s: s.year, False), (lambda s: fold(s.title), True))


def test_random_order_shuffles_the_same_songs_and_stays_put_between_refreshes(
    lib: CrateLibrary,
) -> None:
    text = "all: [{gt: {energy: 0.2}}]\nsort: random\n"
    first, second = lib.evaluate(text), lib.evaluate(text)
    assert first == second
    assert set(first) == lib.matching(lambda s: s.energy is not None and s.energy > 0.2)
    assert first != sorted(first)


# Cutting


@pytest.mark.parametrize(
    ("settings", "cut"),
    [
        ("limit: 10", slice(0, 10)),
        ("offset: 5", slice(5, None)),
        ("offset: 5\nlimit: 10", slice(5, 15)),
        # As in Navidrome, 0 is no limit.
        ("limit: 0", slice(0, None)),
        # limit wins over limitPercent, as in Navidrome.
        ("limitPercent: 10\nlimit: 3", slice(0, 3)),
    ],
)
def test_limit_and_offset(lib: CrateLibrary, settings: str, cut: slice) -> None:
    assert analysed(lib, settings) == by_energy(lib)[cut]


def test_limit_percent_is_a_share_of_the_matches(lib: CrateLibrary) -> None:
    ordered = by_energy(lib)
    assert analysed(lib, "limitPercent: 10") == ordered[: round(len(ordered) / 10)]


def analysed(lib: CrateLibrary, settings: str) -> list[int]:
    return lib.evaluate(f"all: [{{isPresent: {{energy: true}}}}]\nsort: -energy\n{settings}\n")


def by_energy(lib: CrateLibrary) -> list[int]:
    return sort_songs([s for s in lib.songs if s.energy is not None], (lambda s: s.energy, True))


def test_a_percentage_of_a_few_matches_is_at_least_one_track(lib: CrateLibrary) -> None:
    title = lib.songs[7].title
    assert lib.evaluate(f"all: [{{is: {{title: '{title}'}}}}]\nlimitPercent: 1\n") == [
        lib.songs[7].id
    ]


# DJ rules


def in_window(tempo: float | None, near: float, tolerance: float, half_double: bool) -> bool:
    if tempo is None:
        return False
    low, high = near * (1 - tolerance / 100), near * (1 + tolerance / 100)
    factors = (1, 2, 0.5) if half_double else (1,)
    return any(low <= tempo * factor <= high for factor in factors)


@pytest.mark.parametrize(
    ("rule", "near", "tolerance", "half_double"),
    [
        ("bpm: {near: 124, tolerance: 3}", 124, 3, False),
        ("bpm: {near: 124}", 124, 3, False),
        ("bpm: {near: 172, tolerance: 2, halfDouble: true}", 172, 2, True),
        ("tempo: {near: 90, tolerance: 10, halfDouble: false}", 90, 10, False),
    ],
)
def test_tempo_near(
    lib: CrateLibrary, rule: str, near: float, tolerance: float, half_double: bool
) -> None:
    keep = lib.matching(lambda s: in_window(s.tempo, near, tolerance, half_double))
    assert set(lib.evaluate(f"all:\n  - {rule}\n")) == keep
    assert keep


def test_half_and_double_time_count_as_the_same_tempo(lib: CrateLibrary) -> None:
    """86 and 344 are 172 in half and double time."""
    plain = set(lib.evaluate("all: [{bpm: {near: 172, tolerance: 2}}]\n"))
    both = set(lib.evaluate("all: [{bpm: {near: 172, tolerance: 2, halfDouble: true}}]\n"))
    half = lib.matching(lambda s: s.tempo is not None and 86 * 0.98 <= s.tempo <= 86 * 1.02)
    assert half and half <= both and not half & plain


def wheel(number: int) -> int:
    return (number - 1) % 12 + 1


def compatible(key: str, boost: bool, diagonal: bool) -> set[str]:
    number, letter = int(key[:-1]), key[-1]
    other = "B" if letter == "A" else "A"
    keys = {key, f"{wheel(number + 1)}{letter}", f"{wheel(number - 1)}{letter}", f"{number}{other}"}
    if boost:
        keys.add(f"{wheel(number + 2)}{letter}")
    if diagonal:
        keys.add(f"{wheel(number + 1)}B" if letter == "A" else f"{wheel(number - 1)}A")
    return keys


@pytest.mark.parametrize(
    ("written", "camelot"),
    [("8A", "8A"), ("1m", "8A"), ("Am", "8A"), ("F# minor", "11A"), ("Bb", "6B"), ("12B", "12B")],
)
@pytest.mark.parametrize(("boost", "diagonal"), [(False, False), (True, False), (False, True)])
def test_harmonic(
    lib: CrateLibrary, written: str, camelot: str, boost: bool, diagonal: bool
) -> None:
    flags = f"boost: {str(boost).lower()}, diagonal: {str(diagonal).lower()}"
    rule = f"harmonic: {{key: '{written}', {flags}}}"
    wanted = compatible(camelot, boost, diagonal)
    assert set(lib.evaluate(f"all:\n  - {rule}\n")) == lib.matching(lambda s: s.wheel_key in wanted)


def test_a_harmonic_and_tempo_crate_with_an_energy_range(lib: CrateLibrary) -> None:
    text = """
all:
  - harmonic: {key: 8A}
  - bpm: {near: 124, tolerance: 6, halfDouble: true}
  - inTheRange: {energy: [0.2, 0.9]}
sort: -energy
"""
    wanted = compatible("8A", False, False)
    songs = [
        s
        for s in lib.songs
        if s.wheel_key in wanted
        and in_window(s.tempo, 124, 6, True)
        and s.energy is not None
        and 0.2 <= s.energy <= 0.9
    ]
    assert songs
    assert lib.evaluate(text) == sort_songs(songs, (lambda s: s.energy, True))


# beets query strings


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        # Fields beets keeps in columns: beets writes the query as SQL.
        (
            "genres:techno year:2000..",
            lambda s: any("techno" in fold(g) for g in s.genres) and s.year >= 2000,
        ),
        ("artist:björk", lambda s: s.artist == "Björk"),
        ("title::^acid", lambda s: s.title.startswith("acid")),
        # Flexible attributes: beets matches them in Python, typed like ``beet ls`` with ``dj``.
        ("mood:dark", lambda s: s.mood == "dark"),
        ("energy:0.4..0.7", lambda s: s.energy is not None and 0.4 <= s.energy <= 0.7),
        (
            "mood:deep energy:..0.5 format:MP3",
            lambda s: (
                s.mood == "deep" and s.energy is not None and s.energy <= 0.5 and s.format == "MP3"
            ),
        ),
        ("camelot:8A , camelot:9A", lambda s: s.camelot in ("8A", "9A")),
    ],
)
def test_a_beets_query_string(lib: CrateLibrary, query: str, keep: Predicate) -> None:
    found = set(lib.evaluate(f'all:\n  - query: "{query}"\n  - gt: {{year: 0}}\n'))
    assert found == lib.matching(lambda s: keep(s) and s.year > 0)
    assert found


# Playlists


def test_in_and_not_in_another_crate(lib: CrateLibrary) -> None:
    high = lib.crate("all: [{gt: {energy: 0.7}}]\n", name="high")
    loved = lib.crate("name: Loved\nall: [{is: {loved: true}}]\n", name="loved")
    both = lib.crate(
        "all:\n  - inPlaylist: {name: high}\n  - notInPlaylist: {id: Loved}\n", name="both"
    )
    crates = CrateSet({crate.name: crate for crate in (high, loved, both)})
    for user in ("ann", "bob"):

        def keep(s: Song, user: str = user) -> bool:
            return s.energy is not None and s.energy > 0.7 and s.user(user).starred is None

        assert set(lib.engine.evaluate(both, crates, user)) == lib.matching(keep)


def test_in_a_playlist_of_the_server_by_id_or_name(lib: CrateLibrary) -> None:
    chosen = [s.id for s in lib.songs[10:20]]
    conn = lib.engine.conn
    assert USERDATA
    cursor = conn.execute(
        "INSERT INTO playlists (owner, name, created, changed) VALUES ('ann', 'Warm-up', 0, 0)"
    )
    playlist = cursor.lastrowid
    conn.executemany(
        "INSERT INTO playlist_entries (playlist_id, position, item_id) VALUES (?, ?, ?)",
        [(playlist, n, item) for n, item in enumerate(chosen)],
    )
    try:
        by_name = lib.evaluate("all: [{inPlaylist: {name: warm-up}}]\n")
        by_id = lib.evaluate(f"all: [{{notInPlaylist: {{id: '{playlist}'}}}}]\n")
    finally:
        conn.execute("DELETE FROM playlists WHERE id = ?", [playlist])
        conn.execute("DELETE FROM playlist_entries WHERE playlist_id = ?", [playlist])
    assert set(by_name) == set(chosen)
    assert set(by_id) == {s.id for s in lib.songs} - set(chosen)


# Listeners


def test_user_fields_are_the_listeners_not_the_owners(lib: CrateLibrary) -> None:
    text = "owner: ann\nall: [{is: {loved: true}}, {gt: {rating: 2}}]\n"
    for user in ("ann", "bob"):

        def keep(s: Song, user: str = user) -> bool:
            a = s.user(user)
            return a.starred is not None and (a.rating or 0) > 2

        assert set(lib.evaluate(text, user=user)) == lib.matching(keep)
    assert set(lib.evaluate(text, user="ann")) != set(lib.evaluate(text, user="bob"))


def test_nobody_asking_has_loved_nothing(lib: CrateLibrary) -> None:
    assert lib.evaluate("all: [{is: {loved: true}}]\n") == []
    assert len(lib.evaluate("all: [{is: {loved: false}}]\n")) == len(lib.songs)
