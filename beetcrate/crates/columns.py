"""Tracks as numpy columns: the vectorized side of ``tracks.mixable`` and of the features.

``sonic`` (similar tracks, paths) and ``mix`` (playable orders) compare one track with
thousands at a time; a Python loop over ``Track`` objects costs about a microsecond per pair,
so both work on these columns instead. Each rule here is the one in ``tracks`` and ``keys``,
computed over arrays (the tests check them against those functions).

numpy is imported here and in the modules that use these columns only: the server imports them
lazily, when a sonic endpoint or a mix order is first asked for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from beetcrate.crates.keys import Key
from beetcrate.crates.tracks import MIX_TEMPO_RANGE, Track

# Keys as their ``Key.code`` (0-23); UNKNOWN_KEY for a track without one.
KEYS = tuple(Key.from_code(code) for code in range(24))
UNKNOWN_KEY = len(KEYS)
# MIXES[a, b]: key b is in key a's mixes_into(); never for an unknown key.
MIXES = np.zeros((UNKNOWN_KEY + 1, UNKNOWN_KEY + 1), dtype=bool)
# DISTANCE[a, b]: Key.distance (0-7); NaN when either is unknown.
DISTANCE = np.full((UNKNOWN_KEY + 1, UNKNOWN_KEY + 1), np.nan)
for _a, _key in enumerate(KEYS):
    for _b, _other in enumerate(KEYS):
        MIXES[_a, _b] = _other in _key.mixes_into()
        DISTANCE[_a, _b] = _key.distance(_other)
_TEMPO_FACTORS = (0.5, 1.0, 2.0)


def key_code(key: Key | None) -> int:
    return UNKNOWN_KEY if key is None else key.code


def standardized(values: np.ndarray) -> np.ndarray:
    """Values (NaN where unknown) in standard deviations from the library's mean, per column:
    the features have different units, and distances should weigh each by how much it varies."""
    mean = np.nanmean(values, axis=0) if np.isfinite(values).any() else 0.0
    spread = np.nanstd(values, axis=0) if np.isfinite(values).any() else 1.0
    return (values - mean) / np.where(spread > 1e-9, spread, 1.0)


@dataclass(frozen=True, eq=False)
class Columns:
    """One array per feature, a row per track, in the order of the tracks given."""

    ids: np.ndarray  # (n,) beets item ids
    bpm: np.ndarray  # (n,) NaN where unknown
    key: np.ndarray  # (n,) key codes, UNKNOWN_KEY where unknown
    # (n,) in standard deviations over the library, NaN where unknown:
    energy: np.ndarray
    danceability: np.ndarray
    lufs: np.ndarray
    timbre: np.ndarray  # (n, d) standardized per dimension; rows of NaN where unknown

    @classmethod
    def from_tracks(cls, tracks: Sequence[Track]) -> Columns:
        def column(values: list[float | None]) -> np.ndarray:
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        return cls(
            ids=np.array([t.id for t in tracks], dtype=np.int64),
            bpm=column([t.bpm if t.bpm and t.bpm > 0 else None for t in tracks]),
            key=np.array([key_code(t.key) for t in tracks], dtype=np.int64),
            energy=standardized(column([t.energy for t in tracks])),
            danceability=standardized(column([t.danceability for t in tracks])),
            lufs=standardized(column([t.lufs for t in tracks])),
            timbre=_timbre_matrix(tracks),
        )

    def __len__(self) -> int:
        return int(self.ids.size)

    def tempo_ratios(self, bpm: float, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """``tempo_ratio(bpm, b)`` for the tempo b of each row (NaN where unknown)."""
        others = self.bpm[rows]
        return np.min([np.abs(bpm * f - others) for f in _TEMPO_FACTORS], axis=0) / others

    def mixable_from(self, row: int, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """``mixable(track[row], track[r])`` for each r of ``rows``."""
        keys_mix = MIXES[self.key[row], self.key[rows]]
        return keys_mix & (self.tempo_ratios(self.bpm[row], rows) <= MIX_TEMPO_RANGE)

    def mixable_into(self, row: int) -> np.ndarray:
        """``mixable(track[r], track[row])`` for every row r."""
        target = self.bpm[row]
        ratios = np.min([np.abs(self.bpm * f - target) for f in _TEMPO_FACTORS], axis=0) / target
        return MIXES[self.key, self.key[row]] & (ratios <= MIX_TEMPO_RANGE)


def _timbre_matrix(tracks: Sequence[Track]) -> np.ndarray:
    """The timbres as rows, standardized per dimension. The length most tracks have is the
    engine's; a timbre of another length (an older engine) counts as unknown."""
    lengths = Counter(len(t.timbre) for t in tracks if t.timbre)
    if not lengths:
        return np.full((len(tracks), 0), np.nan)
    size = lengths.most_common(1)[0][0]
    matrix = np.full((len(tracks), size), np.nan)
    for row, track in enumerate(tracks):
        if track.timbre and len(track.timbre) == size:
            matrix[row] = track.timbre
    return standardized(matrix)
