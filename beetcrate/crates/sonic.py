"""Sonic similarity: the tracks that sound like one, and a mixable path from one to another.

OpenSubsonic's ``sonicSimilarity`` extension asks for both (``getSonicSimilarTracks``,
``findSonicPath``). A ``SonicIndex`` is built once per catalog version from the library's
``Track``s (about a second for 100k) and answers in milliseconds, all of it numpy over
``columns.Columns``.

**Similarity** is a weighted mean of one closeness per feature, each 0..1:

- tempo (``TEMPO``): a Gaussian of ``tempo_ratio`` (half and double time count as the same
  tempo), one ``MIX_TEMPO_RANGE`` wide: inside a pitch fader's reach is close;
- key (``KEY``): by moves on the Camelot wheel, ``KEY_CLOSENESS``: the keys that mix score high;
- timbre (``TIMBRE``, the largest share: it is what "sounds like" means most): a Gaussian of the
  mean squared difference of the standardized timbre dimensions; two random tracks score about
  exp(-1) = 0.37;
- energy, danceability and loudness: Gaussians one library standard deviation wide.

Weights are those of the features the seed has; a feature a candidate lacks counts as no
closeness at all, so a track with only a tempo tag still gets a score, below the analysed
tracks that match as well. ``EnergyDirection`` moves the energy target half a standard
deviation up or down (or keeps it), narrows it and doubles its weight.

**Paths** run a beam search over the steps. The targets are points on the straight line from
start to end in a feature space (standardized energy, danceability, loudness and timbre) and a
tempo glide (log tempo, start to end, the end taken at the octave nearest the start). At each
step each beam state extends only to unused tracks that mix with its last one (found through
buckets per key sorted by tempo within the octave, so a step looks at a few thousand tracks,
not the library), ranked by the number of broken steps, then whether the end can still be
reached without breaking (each mixable step moves at most one place on the Camelot wheel and
about 9 % in tempo), then the distance to the step's target. Only when no state can continue
does a step break the rules, to the best track of the whole library.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from beetcrate.crates.columns import DISTANCE, MIXES, UNKNOWN_KEY, Columns
from beetcrate.crates.mix import Mix
from beetcrate.crates.tracks import MIX_TEMPO_RANGE, Track

# Similarity weights (sum 1).
TEMPO, KEY, TIMBRE, ENERGY, DANCEABILITY, LOUDNESS = 0.25, 0.2, 0.3, 0.1, 0.08, 0.07
# Closeness of two keys by their Camelot distance (0-7 moves): the moves that mix score high.
KEY_CLOSENESS = np.array([1.0, 0.75, 0.35, 0.15, 0.05, 0.0, 0.0, 0.0])
# With an energy direction: the target moves this many standard deviations, the Gaussian
# narrows to it, and energy weighs this many times more.
ENERGY_SHIFT, ENERGY_WIDTH, ENERGY_EMPHASIS = 0.5, 0.5, 2.0

# Paths: the most a mixable step moves in log2 tempo within the octave (0.94 <= a/b <= 1.06).
MAX_TEMPO_STEP = float(-np.log2(1 - MIX_TEMPO_RANGE))
TIMBRE_SHARE = 2.0  # in the path's space, the timbre counts as much as two scalar features
BEAM = 12  # states kept per step
BRANCH = 12  # extensions tried per state
UNKNOWN_DEVIATION = 4.0  # the tempo deviation of a track without a tempo, squared steps
BREAK = 1e6  # ranks any path with fewer broken steps first


class UnknownTrack(KeyError):
    """An id the index does not hold (not in the library, or not a song)."""


class EnergyDirection(enum.Enum):
    """Which way similar tracks should lean in energy."""

    UP = "up"
    DOWN = "down"
    SAME = "same"


@dataclass(frozen=True)
class Scored:
    item_id: int
    similarity: float  # 0..1, 1 the same on every feature the seed has


@dataclass(frozen=True, eq=False)
class _Step:
    """What every track would cost at one position of a path."""

    deviation: np.ndarray  # squared distance to the position's target point and tempo
    unreachable: np.ndarray  # True where the end can no longer be reached without a break

    @property
    def cost(self) -> np.ndarray:
        return self.deviation + BREAK * self.unreachable


@dataclass(frozen=True)
class _State:
    rows: tuple[int, ...]
    breaks: tuple[int, ...]
    deviation: float


_KEY_SIMILARITY = np.where(
    np.isnan(DISTANCE), np.nan, KEY_CLOSENESS[np.nan_to_num(DISTANCE).astype(int)]
)


class SonicIndex:
    """The library's features as arrays, for similar tracks and sonic paths."""

    def __init__(self, columns: Columns) -> None:
        self.columns = columns
        self._rows = {int(item_id): row for row, item_id in enumerate(columns.ids)}
        timbre = np.nan_to_num(columns.timbre)
        self._timbre = timbre
        self._timbre_norms = (timbre**2).sum(axis=1)
        self._has_timbre = ~np.isnan(columns.timbre).any(axis=1) & (columns.timbre.shape[1] > 0)
        scalars = np.column_stack([columns.energy, columns.danceability, columns.lufs])
        timbre_scale = np.sqrt(TIMBRE_SHARE / max(1, timbre.shape[1]))
        self._space = np.nan_to_num(np.column_stack([scalars, timbre * timbre_scale]))
        self._space_norms = (self._space**2).sum(axis=1)
        self._fold = np.log2(columns.bpm) % 1.0  # tempo within the octave, NaN if unknown
        self._buckets = _tempo_buckets(columns.key, self._fold)

    @classmethod
    def build(cls, tracks: Sequence[Track]) -> SonicIndex:
        return cls(Columns.from_tracks(tracks))

    def __len__(self) -> int:
        return len(self.columns)

    def row(self, item_id: int) -> int:
        try:
            return self._rows[item_id]
        except KeyError:
            raise UnknownTrack(item_id) from None

    # Similar tracks

    def similar(
        self, item_id: int, count: int, energy: EnergyDirection | None = None
    ) -> list[Scored]:
        """The ``count`` tracks most similar to ``item_id``, best first, never itself."""
        seed = self.row(item_id)
        scores = self.similarities(seed, energy)
        scores[seed] = -np.inf
        count = min(count, len(self) - 1)
        if count <= 0:
            return []
        top = np.argpartition(-scores, count - 1)[:count]
        top = top[np.lexsort((self.columns.ids[top], -scores[top]))]
        return [Scored(int(self.columns.ids[r]), round(float(scores[r]), 4)) for r in top]

    def similarities(self, seed: int, energy: EnergyDirection | None = None) -> np.ndarray:
        """Every track's similarity to the track in row ``seed`` (itself included)."""
        c = self.columns
        parts: list[tuple[float, np.ndarray]] = []
        if not np.isnan(c.bpm[seed]):
            closeness = _gaussian(c.tempo_ratios(c.bpm[seed]) / MIX_TEMPO_RANGE)
            parts.append((TEMPO, closeness))
        if c.key[seed] != UNKNOWN_KEY:
            parts.append((KEY, _KEY_SIMILARITY[c.key[seed], c.key]))
        if self._has_timbre[seed]:
            parts.append((TIMBRE, _gaussian(np.sqrt(self._timbre_distances(seed)))))
        if not np.isnan(c.energy[seed]):
            parts.append(_energy_part(c.energy, c.energy[seed], energy))
        for weight, values in ((DANCEABILITY, c.danceability), (LOUDNESS, c.lufs)):
            if not np.isnan(values[seed]):
                parts.append((weight, _gaussian(values - values[seed])))
        if not parts:
            return np.zeros(len(self))
        total = sum(np.nan_to_num(closeness) * weight for weight, closeness in parts)
        return np.asarray(total) / sum(weight for weight, _ in parts)

    def _timbre_distances(self, seed: int) -> np.ndarray:
        """Mean squared difference of the standardized timbres; NaN where there is none."""
        vector = self._timbre[seed]
        squared = self._timbre_norms - 2 * (self._timbre @ vector) + self._timbre_norms[seed]
        distances = np.maximum(squared, 0.0) / self._timbre.shape[1]
        return np.where(self._has_timbre, distances, np.nan)

    # Sonic paths

    def path(self, start_id: int, end_id: int, count: int) -> Mix:
        """``count`` tracks from ``start_id`` to ``end_id`` (both included, at most the whole
        library), no track twice, each mixing into the next wherever the library allows."""
        start, end = self.row(start_id), self.row(end_id)
        if start == end:
            raise ValueError("a sonic path needs two different tracks")
        if count < 2:
            raise ValueError(f"a sonic path has at least its two ends, not {count}")
        count = min(count, len(self))
        states = [_State((start,), (), 0.0)]
        for position in range(1, count - 1):
            step = self._step(start, end, position, count)
            states = self._extend(states, step, end)
        best = min(states, key=lambda state: self._final_rank(state, end))
        rows = (*best.rows, end)
        breaks = best.breaks
        if not self.columns.mixable_from(rows[-2], np.array([end]))[0]:
            breaks = (*breaks, count - 1)
        return Mix(tuple(int(self.columns.ids[r]) for r in rows), breaks)

    def _final_rank(self, state: _State, end: int) -> tuple[int, float]:
        last_breaks = not self.columns.mixable_from(state.rows[-1], np.array([end]))[0]
        return len(state.breaks) + last_breaks, state.deviation

    def _step(self, start: int, end: int, position: int, count: int) -> _Step:
        """Every track's distance to the target point and tempo of ``position``, and whether
        the end can still be reached from it without breaking a step."""
        share = position / (count - 1)
        target = self._space[start] + share * (self._space[end] - self._space[start])
        cost = self._space_norms - 2 * (self._space @ target) + target @ target
        tempo_start, tempo_end = self._fold[start], self._fold[end]
        if not (np.isnan(tempo_start) or np.isnan(tempo_end)):
            glide = tempo_end - tempo_start - np.round(tempo_end - tempo_start)
            steps = _fold_distance(self._fold, tempo_start + share * glide) / MAX_TEMPO_STEP
            cost = cost + np.nan_to_num(steps**2, nan=UNKNOWN_DEVIATION)
        return _Step(cost, self._unreachable(end, count - 1 - position))

    def _unreachable(self, end: int, remaining: int) -> np.ndarray:
        """Tracks from which ``remaining`` mixable steps cannot reach ``end``."""
        c = self.columns
        if remaining == 1:
            return ~c.mixable_into(end)
        if c.key[end] == UNKNOWN_KEY or np.isnan(self._fold[end]):
            return np.zeros(len(self), dtype=bool)  # nothing mixes into the end anyway
        too_far = DISTANCE[c.key, c.key[end]] > remaining
        too_far |= _fold_distance(self._fold, self._fold[end]) > remaining * MAX_TEMPO_STEP
        return too_far | (c.key == UNKNOWN_KEY) | np.isnan(self._fold)

    def _extend(self, states: list[_State], step: _Step, end: int) -> list[_State]:
        """Each state extended by its best next tracks; the best extension per last track."""
        cost = step.cost
        extended: dict[int, tuple[float, _State]] = {}
        for state in states:
            used = np.array([*state.rows, end])
            candidates = self._mixable_rows(state.rows[-1])
            candidates = candidates[~np.isin(candidates, used)]
            breaks = state.breaks
            if not candidates.size:  # nothing mixes: break the rules, to the best track
                candidates = np.arange(len(self))
                candidates = candidates[~np.isin(candidates, used)]
                breaks = (*breaks, len(state.rows))
            best = candidates[np.argsort(cost[candidates])[:BRANCH]]
            for row in best.tolist():
                deviation = state.deviation + float(step.deviation[row])
                rank = BREAK * (len(breaks) + step.unreachable[row]) + deviation
                if row not in extended or rank < extended[row][0]:
                    extended[row] = (rank, _State((*state.rows, row), breaks, deviation))
        ranked = sorted(extended.values(), key=lambda pair: pair[0])
        return [state for _, state in ranked[:BEAM]]

    def _mixable_rows(self, row: int) -> np.ndarray:
        """The rows ``row`` mixes into: tempo buckets of the compatible keys, checked exactly."""
        c = self.columns
        if c.key[row] == UNKNOWN_KEY or np.isnan(self._fold[row]):
            return np.zeros(0, dtype=np.int64)
        fold = self._fold[row]
        found = []
        for code in np.flatnonzero(MIXES[c.key[row]]):
            folds, rows = self._buckets[code]
            for low, high in _windows(fold - MAX_TEMPO_STEP - 1e-9, fold + MAX_TEMPO_STEP + 1e-9):
                found.append(rows[np.searchsorted(folds, low) : np.searchsorted(folds, high)])
        candidates = np.concatenate(found)
        return candidates[c.mixable_from(row, candidates)]


def _gaussian(deviations: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * deviations**2)


def _energy_part(
    energy: np.ndarray, seed: float, direction: EnergyDirection | None
) -> tuple[float, np.ndarray]:
    if direction is None:
        return ENERGY, _gaussian(energy - seed)
    shift = {EnergyDirection.UP: 1, EnergyDirection.DOWN: -1, EnergyDirection.SAME: 0}[direction]
    target = seed + shift * ENERGY_SHIFT
    return ENERGY * ENERGY_EMPHASIS, _gaussian((energy - target) / ENERGY_WIDTH)


def _fold_distance(folds: np.ndarray, fold: float) -> np.ndarray:
    """Distance within the octave (0..0.5) between log2 tempos: half or double time is 0."""
    difference = np.abs(folds - fold) % 1.0
    return np.minimum(difference, 1.0 - difference)


def _windows(low: float, high: float) -> list[tuple[float, float]]:
    """The interval [low, high) of the octave (0..1) as one or two intervals, wrapping round."""
    if low < 0:
        return [(0.0, high), (low + 1.0, 1.0)]
    if high > 1:
        return [(low, 1.0), (0.0, high - 1.0)]
    return [(low, high)]


def _tempo_buckets(keys: np.ndarray, folds: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per key code, the rows with a known tempo sorted by tempo within the octave (and those
    tempos), so the tracks a step may go to are found by binary search."""
    buckets = []
    for code in range(UNKNOWN_KEY):
        rows = np.flatnonzero((keys == code) & ~np.isnan(folds))
        order = np.argsort(folds[rows], kind="stable")
        buckets.append((folds[rows][order], rows[order]))
    return buckets
