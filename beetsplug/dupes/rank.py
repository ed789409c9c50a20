"""Choosing the canonical copy of a group, and saying why.

Each criterion maps an item to a number where higher is better; the configured order is
compared lexicographically, the earliest-added item (then the lowest id) breaking ties. The
explanation names, for every other member, the first criterion on which the canonical won.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from beets.library import Item

LOSSLESS = {"FLAC", "ALAC", "WAVE", "WAV", "AIFF", "APE", "WavPack", "TTA", "DSD", "Shorten"}
TAG_FIELDS = ("title", "artist", "album", "albumartist", "year", "track", "genre", "label")
MB_FIELDS = ("mb_trackid", "mb_albumid", "mb_artistid", "mb_releasegroupid")
DEFAULT_RANKING = [
    "lossless",
    "bitrate",
    "samplerate",
    "bitdepth",
    "tags",
    "musicbrainz",
    "art",
    "directory",
    "added",
]


def _path(item: Item) -> str:
    return os.fsdecode(item.path)


def _lossless(item: Item, _: Sequence[str]) -> float:
    return 1.0 if item.format in LOSSLESS else 0.0


def _tags(item: Item, _: Sequence[str]) -> float:
    return float(sum(1 for field in TAG_FIELDS if item.get(field)))


def _musicbrainz(item: Item, _: Sequence[str]) -> float:
    return float(sum(1 for field in MB_FIELDS if item.get(field)))


def _art(item: Item, _: Sequence[str]) -> float:
    """Embedded art (found by the scan) or album art that beets knows about."""
    album = item.get_album()
    return 1.0 if item.get("dupes_art") or (album is not None and album.artpath) else 0.0


def _directory(item: Item, preferred: Sequence[str]) -> float:
    """Earlier preferred directories score higher; paths in none of them score zero."""
    path = _path(item)
    for index, directory in enumerate(preferred):
        if path.startswith(os.path.join(os.path.abspath(os.path.expanduser(directory)), "")):
            return float(len(preferred) - index)
    return 0.0


CRITERIA: dict[str, Callable[[Item, Sequence[str]], float]] = {
    "lossless": _lossless,
    "bitrate": lambda item, _: float(item.bitrate or 0),
    "samplerate": lambda item, _: float(item.samplerate or 0),
    "bitdepth": lambda item, _: float(item.bitdepth or 0),
    "tags": _tags,
    "musicbrainz": _musicbrainz,
    "art": _art,
    "directory": _directory,
    "added": lambda item, _: -float(item.added or 0),
}


def _describe(name: str, item: Item, preferred: Sequence[str]) -> str:
    value = CRITERIA[name](item, preferred)
    if name == "lossless":
        return f"{item.format} ({'lossless' if value else 'lossy'})"
    if name == "bitrate":
        return f"{round(value / 1000)} kbps"
    if name == "samplerate":
        return f"{value / 1000:g} kHz"
    if name == "bitdepth":
        return f"{int(value)} bit"
    if name in ("tags", "musicbrainz"):
        return f"{int(value)} {name} fields"
    if name == "art":
        return "cover art" if value else "no cover art"
    if name == "directory":
        return "a preferred directory" if value else "no preferred directory"
    return "added earlier"


@dataclass(frozen=True)
class Ranking:
    order: Sequence[str]
    preferred_directories: Sequence[str] = ()

    def __post_init__(self) -> None:
        unknown = [name for name in self.order if name not in CRITERIA]
        if unknown:
            raise ValueError(f"unknown ranking criteria {', '.join(unknown)}")

    def key(self, item: Item) -> tuple[float, ...]:
        scores = [CRITERIA[name](item, self.preferred_directories) for name in self.order]
        return (*scores, -float(item.added or 0), -float(item.id or 0))

    def sort(self, items: Sequence[Item]) -> list[Item]:
        """Best first."""
        return sorted(items, key=self.key, reverse=True)

    def explain(self, canonical: Item, others: Sequence[Item]) -> list[str]:
        """One line per other member: the criterion that put the canonical ahead of it."""
        lines = []
        for other in others:
            reason = "identical on every criterion; lower id"
            for name in [*self.order, "added"]:
                mine = CRITERIA[name](canonical, self.preferred_directories)
                theirs = CRITERIA[name](other, self.preferred_directories)
                if mine != theirs:
                    reason = (
                        f"{name}: {_describe(name, canonical, self.preferred_directories)}"
                        f" vs {_describe(name, other, self.preferred_directories)}"
                    )
                    break
            lines.append(f"over {_path(other)}: {reason}")
        return lines
