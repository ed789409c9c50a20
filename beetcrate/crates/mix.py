"""``order: mix``: all of a crate's tracks in an order a DJ can play, following an energy curve.

Each step should mix (``tracks.mixable``: keys compatible on the Camelot wheel, tempos within a
pitch fader's 6 % or at half/double time); finding an order where every step mixes is a
Hamiltonian path, hard in general, so two cheap passes do most of it:

1. **A greedy walk** picks, at each position, among the unused tracks the current one mixes
   into, the one whose energy is nearest the curve's target there, tempo closeness deciding
   near ties. Like Warnsdorff's rule for a knight's tour it prefers tracks with few onward
   options left, which would otherwise be stranded and end up after a break. When nothing
   mixes it breaks, preferably to a track nothing unused mixes into (it could only be reached
   by a break anyway).
2. **A repair pass** cuts the order at its breaks into runs that mix throughout, and moves a
   run to wherever it removes breaks (between two tracks it mixes from and into, or at either
   end), as long as any run can be moved for fewer breaks.

The curve's targets are the crate's own energies, rearranged: sorted for ``rise``, reversed for
``fall``, and for ``arc`` the even ranks up and the odd ones down (warm-up, peak in the middle,
cool-down). A target is a rank, not an absolute energy, so any crate can follow any curve.
For 2000 tracks all this takes a few hundred milliseconds, most of it the mixability matrix.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from beetcrate.crates.columns import MIXES, Columns
from beetcrate.crates.rules import Curve
from beetcrate.crates.tracks import MIX_TEMPO_RANGE, Track

# In the walk's cost (energy rank distance, 0..1), the weight of a candidate's onward options
# (as a share of the crate) and of its tempo distance (as a share of MIX_TEMPO_RANGE).
ONWARD_WEIGHT = 0.5
TEMPO_WEIGHT = 0.05
# Without a curve, the walk still prefers tracks of close energy, at this weight.
FLAT_ENERGY_WEIGHT = 0.1


@dataclass(frozen=True)
class Mix:
    """Tracks in the order they play (a mix, a path between two tracks); ``breaks`` holds the
    positions whose track does not mix from the one before it (never 0)."""

    item_ids: tuple[int, ...]
    breaks: tuple[int, ...]

    @property
    def broken(self) -> int:
        return len(self.breaks)


def mix_order(tracks: Sequence[Track], curve: Curve | None) -> Mix:
    """Every one of ``tracks``, once, in a playable order that follows ``curve``."""
    if not tracks:
        return Mix((), ())
    columns = Columns.from_tracks(tracks)
    ratios = tempo_ratios(columns.bpm)
    mixes = mixability(columns.key, ratios)
    # A track that mixes with none (no tempo or key, or alone in it) breaks a step wherever it
    # goes, and two in the middle: those go last, and the rest is ordered without them.
    alone = ~(mixes.any(axis=0) | mixes.any(axis=1))
    rows = np.flatnonzero(~alone)
    if rows.size:
        inner = mixes[np.ix_(rows, rows)]
        ranks = energy_ranks(columns.energy[rows])
        targets = curve_targets(ranks, curve)
        tempo = np.nan_to_num(ratios[np.ix_(rows, rows)] / MIX_TEMPO_RANGE, nan=1.0)
        order = _repair(_walk(inner, ranks, targets, tempo), inner, ranks, targets)
        rows = rows[order]
    order = np.concatenate([rows, np.flatnonzero(alone)])
    links = mixes[order[:-1], order[1:]]
    breaks = tuple(int(i) + 1 for i in np.flatnonzero(~links))
    return Mix(tuple(int(columns.ids[row]) for row in order), breaks)


def tempo_ratios(bpm: np.ndarray) -> np.ndarray:
    """(n, n): ``tempo_ratio`` from track i to track j; NaN where a tempo is unknown."""
    apart = np.min([np.abs(bpm[:, None] * f - bpm[None, :]) for f in (0.5, 1.0, 2.0)], axis=0)
    return apart / bpm[None, :]


def mixability(keys: np.ndarray, ratios: np.ndarray) -> np.ndarray:
    """(n, n): whether track i mixes into track j (``tracks.mixable``), never into itself."""
    result = MIXES[keys[:, None], keys[None, :]] & (ratios <= MIX_TEMPO_RANGE)
    np.fill_diagonal(result, False)
    return result


def energy_ranks(energy: np.ndarray) -> np.ndarray:
    """Each track's energy as its rank in the crate, 0 (calmest) to 1; unknown in the middle."""
    known = ~np.isnan(energy)
    filled = np.where(known, energy, np.median(energy[known]) if known.any() else 0.0)
    order = np.argsort(filled, kind="stable")
    ranks = np.empty(len(energy))
    ranks[order] = np.arange(len(energy)) / max(1, len(energy) - 1)
    return ranks


def curve_targets(ranks: np.ndarray, curve: Curve | None) -> np.ndarray | None:
    """The energy rank wanted at each position, a rearrangement of ``ranks``; None for none."""
    ascending = np.sort(ranks)
    if curve is Curve.RISE:
        return ascending
    if curve is Curve.FALL:
        return ascending[::-1]
    if curve is Curve.ARC:
        return np.concatenate([ascending[0::2], ascending[1::2][::-1]])
    return None


def _walk(
    mixes: np.ndarray, ranks: np.ndarray, targets: np.ndarray | None, tempo: np.ndarray
) -> np.ndarray:
    """The greedy walk: nearest the curve, fewest onward options, closest tempo (``tempo``:
    the tempo ratios in pitch-fader ranges)."""
    count = len(ranks)
    unused = np.ones(count, dtype=bool)
    onward = mixes.sum(axis=1).astype(np.float64)  # unused tracks each track mixes into
    inward = mixes.sum(axis=0).astype(np.float64)  # unused tracks that mix into each track
    order = np.empty(count, dtype=np.int64)
    current = -1
    for position in range(count):
        energy = _energy_cost(ranks, targets, position, current)
        if current >= 0 and (candidates := mixes[current] & unused).any():
            cost = energy + ONWARD_WEIGHT * onward / count + TEMPO_WEIGHT * tempo[current]
            cost = np.where(candidates, cost, np.inf)
        else:  # the first track, or a break: best one nothing unused mixes into
            cost = np.where(unused, energy + ONWARD_WEIGHT * inward / count, np.inf)
        current = int(np.argmin(cost))
        order[position] = current
        unused[current] = False
        onward -= mixes[:, current]
        inward -= mixes[current]
    return order


def _energy_cost(
    ranks: np.ndarray, targets: np.ndarray | None, position: int, current: int
) -> np.ndarray:
    if targets is not None:
        return np.abs(ranks - targets[position])
    if current < 0:
        return np.zeros(len(ranks))
    return FLAT_ENERGY_WEIGHT * np.abs(ranks - ranks[current])


def _repair(
    order: np.ndarray, mixes: np.ndarray, ranks: np.ndarray, targets: np.ndarray | None
) -> np.ndarray:
    """Move runs between breaks to where they remove breaks, until no move does."""
    for _ in range(len(order)):  # each move removes a break: never more moves than tracks
        moved = _move_one_run(order, mixes, ranks, targets)
        if moved is None:
            return order
        order = moved
    return order


def _move_one_run(
    order: np.ndarray, mixes: np.ndarray, ranks: np.ndarray, targets: np.ndarray | None
) -> np.ndarray | None:
    """The order with the shortest run whose move removes breaks moved (to the gap that best
    fits its energy on the curve), or None if no move removes any."""
    links = mixes[order[:-1], order[1:]]
    cuts = [0, *(np.flatnonzero(~links) + 1).tolist(), len(order)]
    if len(cuts) <= 2:
        return None
    # Shortest runs first: moving them shifts the fewest tracks off their place on the curve.
    for first, stop in sorted(itertools.pairwise(cuts), key=lambda run: run[1] - run[0]):
        run, rest = order[first:stop], np.concatenate([order[:first], order[stop:]])
        # Taking the run out removes the breaks at its ends and may leave one where they join.
        removed = int(first > 0) + int(stop < len(order))
        joined = int(first > 0 and stop < len(order) and not mixes[order[first - 1], order[stop]])
        # Per gap g of the rest (before rest[g]; g = len(rest) is the end): the breaks into and
        # out of the run there, less the break between rest[g - 1] and rest[g] it fills.
        into = np.r_[0, ~mixes[rest, run[0]]].astype(int)
        out_of = np.r_[~mixes[run[-1], rest], 0].astype(int)
        filled = np.r_[0, ~mixes[rest[:-1], rest[1:]], 0].astype(int)
        change = into + out_of - filled + joined - removed
        best = change.min()
        if best < 0:
            gaps = np.flatnonzero(change == best)
            gap = int(gaps[np.argmin(_curve_misfit(run, gaps, ranks, targets))])
            return np.concatenate([rest[:gap], run, rest[gap:]])
    return None


def _curve_misfit(
    run: np.ndarray, gaps: np.ndarray, ranks: np.ndarray, targets: np.ndarray | None
) -> np.ndarray:
    """How far the run's energy is from the curve at each gap (0 without a curve)."""
    if targets is None:
        return np.zeros(len(gaps))
    return np.abs(targets[np.minimum(gaps, len(targets) - 1)] - ranks[run].mean())
