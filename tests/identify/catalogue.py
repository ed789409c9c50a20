"""The messy test library and the catalogue the fake services know it from.

A catalogue is releases of recordings, each recording a seeded tune (``beetcrate.synth.tunes``)
of a given length, so its audio can be rendered again at will: once for the fake AcoustID's
fingerprints, once for the files under test. The messy library holds, per set:

- a well-tagged album and a well-tagged single: the tags alone find them;
- an album with typos in its album, artist and track names: found by the tags, but weakly;
- an album without tags whose recordings are also on a compilation (two of its three tracks);
- two files without tags and two with misleading tags (another known recording's names, of a
  different length);
- two files no service knows (audio in no catalogue, names on no release).

``LibraryFile.expected`` is the recording a file really is (None for the unknown ones), so a
test or the benchmark can count items identified correctly, wrongly, or left for the user.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from mediafile import MediaFile

from beetcrate import media
from beetcrate.synth.tunes import RATE, tune

NAMESPACE = uuid.UUID("6f1d3c52-8c1e-4a47-9d7e-1d0c2f6e2b10")
VARIOUS_ARTISTS_ID = "89ad4ac3-39f7-470e-963a-56509c546377"  # MusicBrainz's own


def mbid(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(map(str, parts))))


@dataclass(frozen=True)
class Recording:
    title: str
    artist: str
    seed: int
    seconds: float

    @property
    def id(self) -> str:
        return mbid("recording", self.seed)

    @property
    def artist_id(self) -> str:
        return mbid("artist", self.artist)

    def audio(self) -> np.ndarray:
        return tune(self.seed, self.seconds)

    @property
    def length(self) -> float:
        """The rendered audio's length in seconds (whole bars of the tune)."""
        return self.audio().shape[1] / RATE


@dataclass(frozen=True)
class Release:
    title: str
    artist: str
    year: int
    recordings: tuple[Recording, ...]
    various: bool = False

    @property
    def id(self) -> str:
        return mbid("release", self.title, self.artist)

    @property
    def artist_id(self) -> str:
        return VARIOUS_ARTISTS_ID if self.various else mbid("artist", self.artist)


class Kind(enum.Enum):
    WELL_TAGGED = "well-tagged"
    TYPOS = "typos"
    TAGLESS = "tagless"
    MISLEADING = "misleading"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LibraryFile:
    path: str  # relative to the incoming folder: albums in a folder each, singles in loose/
    recording: Recording  # whose audio the file holds
    kind: Kind
    tags: dict[str, object] = field(default_factory=dict)
    expected: str | None = None  # the recording id a correct identification finds

    @property
    def singleton(self) -> bool:
        return self.path.startswith("loose/")


@dataclass(frozen=True)
class Catalogue:
    releases: tuple[Release, ...]

    @property
    def recordings(self) -> list[Recording]:
        seen: dict[str, Recording] = {}
        for release in self.releases:
            for recording in release.recordings:
                seen.setdefault(recording.id, recording)
        return list(seen.values())


WORDS = [
    "Harbour",
    "Lights",
    "Paper",
    "Engines",
    "Glass",
    "Orchard",
    "Night",
    "Ferry",
    "Lantern",
    "Copper",
    "Wire",
    "Field",
    "Notes",
    "Silver",
    "Meadow",
    "Winter",
    "Signal",
    "Amber",
    "Harvest",
    "Morning",
    "Static",
    "Coral",
    "Velvet",
    "Echo",
    "Granite",
    "Willow",
    "Cinder",
    "Drift",
    "Marble",
    "Hollow",
    "Sparrow",
    "Tundra",
]
ARTISTS = ["The Quiet Tides", "Marrow Lane", "Helio Park", "Nadia Verne", "Osric Bell", "Lumen"]


def _names() -> Iterator[str]:
    """Distinct two-word names, in an order that does not put similar names side by side."""
    count = len(WORDS)
    for n in range(count * count):
        first, second = (n * 7) % count, (n * 13 + n // count) % count
        if first != second:
            yield f"{WORDS[first]} {WORDS[second]}"


def _typo(text: str) -> str:
    """One letter dropped and two swapped: what a hurried tagger leaves."""
    middle = len(text) // 2
    text = text[:middle] + text[middle + 1 :]
    return text[:2] + text[3] + text[2] + text[4:] if len(text) > 4 else text


def messy_library(sets: int = 1) -> tuple[Catalogue, list[LibraryFile]]:
    """The catalogue and the files of ``sets`` sets of the messy library (16 files a set, 14
    of them knowable)."""
    releases: list[Release] = []
    files: list[LibraryFile] = []
    names = _names()
    for s in range(sets):
        base = 1000 * (s + 1)

        def recording(n: int, artist: str, seconds: float, base: int = base) -> Recording:
            return Recording(next(names), artist, base + n, seconds)

        def album(n: int, artist: str) -> Release:
            tracks = tuple(recording(10 * n + t, artist, 20 + 6 * ((n + t) % 4)) for t in range(3))
            return Release(next(names), artist, 2000 + n, tracks)

        artist = [ARTISTS[(s + i) % len(ARTISTS)] + (f" {s}" if s else "") for i in range(4)]
        well, typos, tagless = album(1, artist[0]), album(2, artist[1]), album(3, artist[2])
        compilation = Release(
            f"Coastal Hits {s}",
            "Various Artists",
            2010,
            (tagless.recordings[0], tagless.recordings[1], well.recordings[2]),
            various=True,
        )
        singles = [
            recording(40 + i, artist[3], seconds)
            for i, seconds in enumerate([30.0, 36.0, 40.0, 20.0, 52.0])
        ]
        releases += [well, typos, tagless, compilation]
        releases += [Release(single.title, single.artist, 2015, (single,)) for single in singles]

        def album_files(folder: str, release: Release, kind: Kind, names: bool) -> None:
            for number, rec in enumerate(release.recordings, 1):
                tags: dict[str, object] = {}
                if names:
                    typo = _typo if kind is Kind.TYPOS else str
                    tags = {
                        "title": typo(rec.title),
                        "artist": typo(rec.artist),
                        "album": typo(release.title),
                        "albumartist": typo(release.artist),
                        "track": number,
                        "tracktotal": len(release.recordings),
                        "year": release.year,
                    }
                files.append(LibraryFile(f"{folder}/{number:02d}.flac", rec, kind, tags, rec.id))

        album_files(f"set{s}-well", well, Kind.WELL_TAGGED, True)
        album_files(f"set{s}-typos", typos, Kind.TYPOS, True)
        album_files(f"set{s}-tagless", tagless, Kind.TAGLESS, False)
        loose = f"loose/set{s}"
        single_well, bare_a, bare_b, liar_a, liar_b = singles
        files.append(
            LibraryFile(
                f"{loose}-single.flac",
                single_well,
                Kind.WELL_TAGGED,
                {"title": single_well.title, "artist": single_well.artist},
                single_well.id,
            )
        )
        for name, rec in (("bare-a", bare_a), ("bare-b", bare_b)):
            files.append(LibraryFile(f"{loose}-{name}.flac", rec, Kind.TAGLESS, {}, rec.id))
        # Each misleading file carries the names of the other, whose length differs by 30 s.
        for name, rec, other in (("liar-a", liar_a, liar_b), ("liar-b", liar_b, liar_a)):
            files.append(
                LibraryFile(
                    f"{loose}-{name}.flac",
                    rec,
                    Kind.MISLEADING,
                    {"title": other.title, "artist": other.artist},
                    rec.id,
                )
            )
        for i in range(2):
            stranger = Recording(f"Demo Take {s}{i}", f"Unsigned {s}{i}", base + 900 + i, 28.0)
            files.append(
                LibraryFile(
                    f"{loose}-unknown-{i}.flac",
                    stranger,
                    Kind.UNKNOWN,
                    {"title": stranger.title, "artist": stranger.artist},
                )
            )
    return Catalogue(tuple(releases)), files


def write_files(files: list[LibraryFile], folder: Path) -> dict[str, LibraryFile]:
    """Write the files under ``folder``; returns them by absolute path."""
    written = {}
    for spec in files:
        path = folder / spec.path
        path.parent.mkdir(parents=True, exist_ok=True)
        media.write_audio(path, spec.recording.audio(), RATE)
        if spec.tags:
            tagged = MediaFile(path)
            for key, value in spec.tags.items():
                setattr(tagged, key, value)
            tagged.save()
        written[str(path)] = spec
    return written


class Outcome(enum.Enum):
    CORRECT = "correct"  # tagged with the recording the file really is
    WRONG = "wrong"  # tagged with another recording
    LEFT = "left"  # not identified: imported as-is or skipped, left for the user


def outcome(spec: LibraryFile, mb_trackid: str | None) -> Outcome:
    """How an import treated a file, from the recording id it ended with (None: not imported)."""
    if not mb_trackid:
        return Outcome.LEFT
    return Outcome.CORRECT if mb_trackid == spec.expected else Outcome.WRONG
