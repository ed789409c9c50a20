"""Finding candidate pairs among many fingerprints without comparing all pairs.

An inverted index over sub-fingerprint values: two copies of one recording share many exact
32-bit sub-fingerprints, unrelated recordings almost none. Only values whose two low bits are
zero are indexed — a choice made by content, so both copies keep the same quarter — except in
short fingerprints (under ``SHORT`` values, about 13 s), whose values are all indexed so a jingle
still leaves enough to vote with; its copies are short too, since a duplicate has the same
duration. Values shared by too many tracks (silence, steady tones) are ignored like stop-words.
Everything is numpy over flat arrays: 100k fingerprints are a few tens of millions of entries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from beetsplug.dupes.fingerprint import STABLE_BITS

SAMPLE_MASK = 0x3
SHORT = 100
STOP_RUN = 32  # a value shared by more tracks than this says nothing about any of them
MIN_VOTES = 2
# The second index: the stable half of every value (``fingerprint.STABLE_BITS``), which finds
# copies so lossy that no whole value survives. Sixteen bits alone would collide across a large
# library, so a key also holds the track's duration band: duplicates last about as long.
# A quarter of the halves are indexed (chosen by content, as above) but all of a short track's
# (under ``STABLE_SHORT`` values, about 50 s); each track keeps only its ``STABLE_PARTNERS``
# best-voted partners from this index: a bound on the comparisons it asks for.
STABLE_SAMPLE = 0x3  # a half is indexed when these bits of its hash are clear
STABLE_SHORT = 400
STABLE_MIN_VOTES = 3
STABLE_PARTNERS = 4
DURATION_FLOOR = 90.0  # seconds: shorter tracks share the band of this length
BAND_WIDTH = 0.1  # natural log of the duration ratio (two grids, half a band apart)


def candidate_pairs(
    fingerprints: Sequence[np.ndarray],
    durations: Sequence[float] | None = None,
    new: Sequence[int] | None = None,
    min_votes: int = MIN_VOTES,
) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of fingerprints sharing at least ``min_votes`` indexed values, or
    (given their ``durations``) ``STABLE_MIN_VOTES`` stable halves within a duration band.

    With ``new``, only pairs involving one of those indexes are returned (incremental runs).
    """
    is_new = None
    if new is not None:
        is_new = np.zeros(len(fingerprints), bool)
        is_new[np.asarray(list(new), dtype=np.int64)] = True
    count = len(fingerprints)
    flat = _Flat(fingerprints)
    # Sieving out what no new track holds pays when the new ones are few (an import).
    sieve = is_new if is_new is not None and 4 * int(is_new.sum()) < count else None
    pairs, _ = _shared(*_entries(flat, sieve), count, is_new, min_votes)
    if durations is not None:
        # Per grid, so a half two tracks share in both grids' bands counts once.
        found = [
            _shared(*grid, count, is_new, STABLE_MIN_VOTES)
            for grid in _stable_entries(flat, durations, sieve)
        ]
        stable = np.concatenate([f[0] for f in found])
        votes = np.concatenate([f[1] for f in found])
        order = np.lexsort((-votes, stable))  # by pair, most votes first
        stable, votes = stable[order], votes[order]
        first = np.concatenate([stable[:1] == stable[:1], stable[1:] != stable[:-1]])
        pairs = np.union1d(pairs, _best_partners(stable[first], votes[first], count))
    return [(int(p // count), int(p % count)) for p in pairs]


def _best_partners(pairs: np.ndarray, votes: np.ndarray, count: int) -> np.ndarray:
    """The pairs among the ``STABLE_PARTNERS`` best-voted of either of their tracks."""
    by_votes = np.argsort(-votes, kind="stable")
    pairs = pairs[by_votes]
    # Each pair once for each of its tracks; within a track, still in order of votes.
    track = np.concatenate([pairs // count, pairs % count])
    order = np.argsort(track, kind="stable")
    sorted_tracks = track[order]
    rank = np.arange(track.size) - np.searchsorted(sorted_tracks, sorted_tracks, "left")
    keep = np.zeros(pairs.size, bool)
    keep[order[rank < STABLE_PARTNERS] % pairs.size] = True
    return np.sort(pairs[keep])


def _shared(
    keys: np.ndarray, tracks: np.ndarray, count: int, is_new: np.ndarray | None, min_votes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pair ids (i * count + j, i < j) of tracks sharing ``min_votes`` keys, stop-words aside,
    and how many they share."""
    order = np.argsort(keys, kind="stable")
    keys, tracks = keys[order], tracks[order]
    bounds = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate([[0], bounds])
    lengths = np.diff(np.concatenate([starts, [keys.size]]))
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    for run in range(2, STOP_RUN + 1):
        run_starts = starts[lengths == run]
        if not run_starts.size:
            continue
        left, right = np.triu_indices(run, 1)
        firsts.append(tracks[(run_starts[:, None] + left).ravel()])
        seconds.append(tracks[(run_starts[:, None] + right).ravel()])
    if not firsts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    a = np.concatenate(firsts).astype(np.int64)
    b = np.concatenate(seconds).astype(np.int64)
    a, b = np.minimum(a, b), np.maximum(a, b)
    keep = a != b
    if is_new is not None:
        keep &= is_new[a] | is_new[b]
    pair_ids, votes = np.unique(a[keep] * count + b[keep], return_counts=True)
    chosen = votes >= min_votes
    return pair_ids[chosen], votes[chosen]


def _entries(flat: _Flat, is_new: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Indexed values and the track each came from, one value counted once per track."""

    def indexed(values: np.ndarray, tracks: np.ndarray) -> np.ndarray:
        return (flat.sizes[tracks] < SHORT) | ((values & SAMPLE_MASK) == 0)

    return _distinct(flat, flat.values, indexed, is_new)


def _stable_entries(
    flat: _Flat, durations: Sequence[float], is_new: np.ndarray | None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Sampled stable halves keyed by duration band, for each of the two grids."""

    def indexed(halves: np.ndarray, tracks: np.ndarray) -> np.ndarray:
        hashed = (halves * np.uint32(0x9E3779B1)) >> np.uint32(30)
        return (flat.sizes[tracks] < STABLE_SHORT) | (hashed & STABLE_SAMPLE == 0)

    halves, tracks = _distinct(flat, flat.values & STABLE_BITS, indexed, is_new)
    position = np.log(np.maximum(np.asarray(durations, float), DURATION_FLOOR)) / BAND_WIDTH
    grids = []
    for grid in (0, 1):
        band = np.floor(position + grid / 2).astype(np.uint64)
        grids.append((halves.astype(np.uint64) | (band[tracks] << np.uint64(32)), tracks))
    return grids


class _Flat:
    """Every track's values in one array, and which track each value belongs to."""

    def __init__(self, fingerprints: Sequence[np.ndarray]):
        self.sizes = np.array([v.size for v in fingerprints], dtype=np.int64)
        self.ends = np.cumsum(self.sizes)
        self.values = np.concatenate(fingerprints) if fingerprints else np.zeros(0, np.uint32)
        self._tracks: np.ndarray | None = None
        self._folded: np.ndarray | None = None

    @property
    def folded(self) -> np.ndarray:
        """``_fold`` of every value (the same for a value and its stable half)."""
        if self._folded is None:
            self._folded = _fold(self.values)
        return self._folded

    @property
    def tracks(self) -> np.ndarray:
        if self._tracks is None:
            self._tracks = np.repeat(np.arange(self.sizes.size, dtype=np.int32), self.sizes)
        return self._tracks

    def tracks_at(self, positions: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.ends, positions, "right").astype(np.int32)

    def positions_of(self, is_new: np.ndarray) -> np.ndarray:
        tracks = np.flatnonzero(is_new)
        starts, sizes = self.ends[tracks] - self.sizes[tracks], self.sizes[tracks]
        return np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())


def _fold(values: np.ndarray) -> np.ndarray:
    """The 16 stable bits of each value, packed: a sieve index (exact for stable halves)."""
    low = (values >> np.uint32(1)) & np.uint32(0x5555)
    return low | ((values >> np.uint32(16)) & np.uint32(0xAAAA))


def _distinct(
    flat: _Flat,
    values: np.ndarray,
    indexed: Callable[[np.ndarray, np.ndarray], np.ndarray],
    is_new: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each indexed (track, value) once. With ``is_new``, only values some new track holds: no
    other can pair a new track, and sieving them first keeps an import's matching small."""
    if is_new is None:
        tracks = flat.tracks
        kept = indexed(values, tracks)
        values, tracks = values[kept], tracks[kept]
    else:
        mine = flat.positions_of(is_new)
        wanted = np.unique(values[mine][indexed(values[mine], flat.tracks_at(mine))])
        table = np.zeros(1 << 16, bool)  # a first sieve: one gather per value
        table[_fold(wanted)] = True
        positions = np.flatnonzero(table[flat.folded])
        values, tracks = values[positions], flat.tracks_at(positions)
        at = np.minimum(np.searchsorted(wanted, values), max(wanted.size - 1, 0))
        held = (wanted[at] == values if wanted.size else np.zeros(values.size, bool)) & indexed(
            values, tracks
        )
        values, tracks = values[held], tracks[held]
    entries = np.sort((tracks.astype(np.uint64) << np.uint64(32)) | values)
    entries = entries[np.concatenate([entries[:1] == entries[:1], entries[1:] != entries[:-1]])]
    tracks = (entries >> np.uint64(32)).astype(np.int32)
    return (entries & np.uint64(0xFFFFFFFF)).astype(np.uint32), tracks
