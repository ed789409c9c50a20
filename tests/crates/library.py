"""A seeded library for the crate tests: a few hundred beets items with the DJ attributes, two
listeners' annotations, and the same songs as plain Python values for the expected results.

The rules are checked against what a plain Python filter over ``Song``s returns; ``Song``
holds exactly what was written through the beets API, so the filter never reads the engine's
tables. No audio: rules read only the database.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from beets.library import Item

from beetcrate import sidecar
from beetcrate.crates.engine import CrateEngine, CrateSet
from beetcrate.crates.rules import Crate, read_crate
from beetcrate.settings import CrateSettings
from subsonic.userdata.schema import COMPONENT as USERDATA
from subsonic.userdata.schema import MIGRATIONS as USERDATA_MIGRATIONS
from tests.helper import BeetsHome

DAY = 86400.0
NOW = time.time()
USERS = ("ann", "bob")
T = TypeVar("T")

ARTISTS = ["Aphex Twin", "Björk", "Carl Craig", "DJ Koze", "Moodymann", "Robert Hood", "Sade"]
WORDS = ["Night", "night", "Drive", "acid", "House", "100%", "under_score", "Ölfarben", "Blue"]
# "Techno" and "techno" differ for ``is``; "Dub Techno" contains "Techno" but is not it.
GENRES = ["Techno", "techno", "House", "Ambient", "Dub Techno", "Jazz"]
CAMELOT = [f"{n}{mode}" for n in range(1, 13) for mode in "AB"]
MOODS = ["dark", "Euphoric", "deep"]


# The tag's key names, on the wheel (written independently of beetcrate.crates.keys).
NAMED_KEYS = {"Am": "8A", "F#m": "11A", "Bb": "6B", "C major": "8B"}


@dataclass
class Annotation:
    starred: float | None = None
    rating: int | None = None
    play_count: int = 0
    last_played: float | None = None
    rated: float | None = None


@dataclass
class Song:
    """One item as written: its beets fields and flexible attributes (None when not set)."""

    title: str
    artist: str
    album: str
    albumartist: str
    genres: list[str]
    year: int
    month: int
    day: int
    track: int
    disc: int
    bpm: int  # beets' tag: 0 when unknown
    length: float
    bitrate: int  # bps
    format: str
    comp: bool
    added: float
    comments: str
    initial_key: str
    # Flexible attributes: the DJ analysis' and one of the user's own.
    bpm_precise: float | None
    camelot: str | None
    openkey: str | None
    energy: float | None
    danceability: float | None
    lufs: float | None
    mood: str | None
    annotations: dict[str, Annotation] = field(default_factory=dict)
    id: int = 0
    path: str = ""

    def user(self, name: str | None) -> Annotation:
        return self.annotations.get(name or "", Annotation())

    @property
    def tempo(self) -> float | None:
        """The tag where it is not the analysis' tempo rounded (the user corrected it), else the
        precise tempo the analysis measured; None when neither is known (a tag of 0)."""
        if self.bpm and (self.bpm_precise is None or abs(self.bpm - self.bpm_precise) > 0.5):
            return self.bpm
        return self.bpm_precise

    @property
    def wheel_key(self) -> str | None:
        """The key on the Camelot wheel: the tag where it names one (the analysis writes the key
        it read there too, and the user may have corrected it), else the analysis' Camelot or
        Open Key."""
        if self.initial_key in NAMED_KEYS:
            return NAMED_KEYS[self.initial_key]
        if self.camelot:
            return self.camelot
        if self.openkey:
            number, mode = int(self.openkey[:-1]), self.openkey[-1]
            return f"{(number + 6) % 12 + 1}{'A' if mode == 'm' else 'B'}"
        return None


def _ago(rng: random.Random, days: int) -> float:
    # Half a day off every whole number of days, so no "in the last N days" sits on its edge.
    return NOW - (rng.randrange(days) + 0.5) * DAY


def _maybe(rng: random.Random, share: float, value: T) -> T | None:
    return value if rng.random() < share else None


def make_songs(count: int, seed: int = 12) -> list[Song]:
    rng = random.Random(seed)
    songs = []
    for n in range(count):
        artist = rng.choice(ARTISTS)
        key = rng.choice(CAMELOT)
        notation = rng.random()
        songs.append(
            Song(
                title=f"{rng.choice(WORDS)} {rng.choice(WORDS)} {n}",
                artist=artist,
                album=f"Album {rng.randrange(12)}",
                albumartist=artist if rng.random() < 0.8 else "Various Artists",
                genres=rng.sample(GENRES, rng.randrange(3)),
                year=rng.choice([0, *range(1975, 2025)]),
                month=rng.randrange(13),
                day=rng.randrange(29),
                track=rng.randrange(1, 15),
                disc=rng.randrange(1, 3),
                bpm=rng.choice([0, 0, *range(80, 180)]),
                length=round(rng.uniform(60, 600), 2),
                bitrate=rng.choice([128000, 256000, 320000, 1000000]),
                format=rng.choice(["MP3", "FLAC", "Opus"]),
                comp=rng.random() < 0.2,
                added=_ago(rng, 400),
                comments=rng.choice(["", "", "promo copy", "Vinyl rip", "PROMO"]),
                initial_key=rng.choice(["", *NAMED_KEYS]),
                bpm_precise=_maybe(rng, 0.85, round(rng.uniform(60, 190), 2)),
                # The key in one notation or another, as different analysers write it.
                camelot=key if notation < 0.6 else None,
                openkey=_openkey(key) if 0.6 <= notation < 0.8 else None,
                energy=_maybe(rng, 0.85, round(rng.random(), 3)),
                danceability=_maybe(rng, 0.85, round(rng.random(), 3)),
                lufs=_maybe(rng, 0.85, round(rng.uniform(-20, -5), 2)),
                mood=_maybe(rng, 0.5, rng.choice(MOODS)),
                annotations={user: _annotation(rng) for user in USERS if rng.random() < 0.6},
            )
        )
    return songs


def _openkey(camelot: str) -> str:
    number, minor = int(camelot[:-1]), camelot[-1] == "A"
    return f"{(number - 8) % 12 + 1}{'m' if minor else 'd'}"


def _annotation(rng: random.Random) -> Annotation:
    plays = rng.choice([0, 0, 1, 3, 10, 40])
    rated = rng.random() < 0.5
    return Annotation(
        starred=_ago(rng, 300) if rng.random() < 0.4 else None,
        rating=rng.randrange(1, 6) if rated else None,
        play_count=plays,
        last_played=_ago(rng, 200) if plays else None,
        rated=_ago(rng, 300) if rated else None,
    )


_FLEXIBLE = ("bpm_precise", "camelot", "openkey", "energy", "danceability", "lufs", "mood")


def add_songs(home: BeetsHome, songs: Iterable[Song]) -> None:
    """Add ``songs`` through the beets API and set their ids and paths."""
    lib = home.lib
    with lib.transaction():
        for n, song in enumerate(songs):
            path = home.music / song.artist / f"{n:04d} {song.title}.{song.format.lower()}"
            item = Item(
                path=str(path),
                **{
                    name: getattr(song, name)
                    for name in Song.__dataclass_fields__
                    if name not in (*_FLEXIBLE, "annotations", "id", "path")
                },
            )
            for name in _FLEXIBLE:
                if getattr(song, name) is not None:
                    item[name] = getattr(song, name)
            lib.add(item)
            item.added = song.added  # beets stamps ``added`` with the time of ``add``
            item.store()
            song.id, song.path = item.id or 0, str(path)


def write_annotations(db_path: Path, songs: Iterable[Song]) -> None:
    """The listeners' stars, ratings and plays, in the server's own user-data tables."""
    db = sidecar.connect(db_path)
    sidecar.migrate(db, USERDATA, USERDATA_MIGRATIONS)
    rows = [
        (user, f"tr-{song.id}", a.starred, a.rating, a.play_count, a.last_played, a.rated)
        for song in songs
        for user, a in song.annotations.items()
    ]
    with db.conn:
        db.conn.executemany(
            "INSERT INTO user_annotations"
            " (user, target, kind, starred, rating, play_count, last_played, rated)"
            " VALUES (?, ?, 'song', ?, ?, ?, ?, ?)",
            rows,
        )
    db.conn.close()


@dataclass
class CrateLibrary:
    """The seeded library, its songs and an engine over it."""

    home: BeetsHome
    songs: list[Song]
    engine: CrateEngine
    crates_dir: Path

    def crate(self, text: str, name: str = "test", suffix: str = ".yaml") -> Crate:
        path = self.crates_dir / f"{name}{suffix}"
        path.write_text(text, encoding="utf-8")
        return read_crate(path)

    def evaluate(self, text: str, user: str | None = None, suffix: str = ".yaml") -> list[int]:
        crate = self.crate(text, suffix=suffix)
        return self.engine.evaluate(crate, CrateSet({crate.name: crate}), user)

    def matching(self, keep: Callable[[Song], bool]) -> set[int]:
        return {song.id for song in self.songs if keep(song)}


def open_library(root: Path, count: int = 300) -> CrateLibrary:
    home = BeetsHome(root)
    songs = make_songs(count)
    add_songs(home, songs)
    write_annotations(home.sidecar, songs)
    crates_dir = root / "crates"
    crates_dir.mkdir()
    engine = CrateEngine(
        home.sidecar, home.library_path, home.music, CrateSettings(directory=crates_dir)
    )
    return CrateLibrary(home, songs, engine, crates_dir)


def fold(text: str) -> str:
    """What SQLite's LIKE and NOCASE fold: ASCII letters only."""
    return text.translate({c: c + 32 for c in range(ord("A"), ord("Z") + 1)})


# A sort key of the expected results: the value to sort by, and whether descending.
Order = tuple[Callable[[Song], Any], bool]


def sort_songs(songs: Sequence[Song], *keys: Order) -> list[int]:
    """``songs`` sorted by each (value, descending) key in turn, unknown values last whichever
    the direction, then by id: one stable pass per key, the last key first."""
    ordered = sorted(songs, key=lambda s: s.id)
    for value, descending in reversed(keys):
        known = [s for s in ordered if value(s) is not None]
        unknown = [s for s in ordered if value(s) is None]
        ordered = sorted(known, key=value, reverse=descending) + unknown
    return [s.id for s in ordered]
