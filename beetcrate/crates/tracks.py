"""What the crate engine knows of a track: who it is and the DJ analysis' features."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from beetcrate.crates.keys import Key


@dataclass(frozen=True)
class Track:
    """One beets item, with the features mixing and similarity read (None when not analysed)."""

    id: int  # the beets item id
    path: str
    title: str
    artist: str
    bpm: float | None = None
    key: Key | None = None
    energy: float | None = None
    danceability: float | None = None
    lufs: float | None = None
    # The DJ analysis' timbre description (``analysis.timbre``), None before it was computed.
    timbre: tuple[float, ...] | None = None
    length: float | None = None  # seconds

    def as_json(self) -> dict[str, Any]:
        """The track as every ``--json`` output of ``beet crate`` lists it (``docs/crates.md``)."""
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "artist": self.artist,
            "bpm": self.bpm,
            "camelot": self.key.camelot if self.key else None,
            "openkey": self.key.openkey if self.key else None,
            "energy": self.energy,
            "danceability": self.danceability,
            "lufs": self.lufs,
        }


def tempo_ratio(a: float | None, b: float | None) -> float | None:
    """How far apart two tempos are as a DJ hears them: the relative difference after taking
    half or double time when that is closer (86 and 172 are the same tempo). None if unknown."""
    if not a or not b:
        return None
    return min(abs(a * factor - b) / b for factor in (0.5, 1.0, 2.0))


# Two tracks mix when their tempos are this close (a pitch fader's ±6 %) and their keys mix.
MIX_TEMPO_RANGE = 0.06


def mixable(a: Track, b: Track) -> bool:
    """Whether ``b`` can follow ``a`` in a mix: keys compatible on the wheel and tempos within
    ``MIX_TEMPO_RANGE`` (or half/double time). Unknown tempo or key never mixes."""
    ratio = tempo_ratio(a.bpm, b.bpm)
    if ratio is None or ratio > MIX_TEMPO_RANGE or a.key is None or b.key is None:
        return False
    return b.key in a.key.mixes_into()
