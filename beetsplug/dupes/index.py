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

from collections.abc import Sequence

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
    pairs, _ = _shared(*_entries(fingerprints), count, is_new, min_votes)
    if durations is not None:
        # Per grid, so a half two tracks share in both grids' bands counts once.
        found = [
            _shared(*grid, count, is_new, STABLE_MIN_VOTES)
            for grid in _stable_entries(fingerprints, durations)
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


def _entries(fingerprints: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Indexed values and the track each came from, one value counted once per track."""
    keys: list[np.ndarray] = []
    tracks: list[np.ndarray] = []
    for track, values in enumerate(fingerprints):
        kept = values if values.size < SHORT else values[(values & SAMPLE_MASK) == 0]
        sampled = np.unique(kept)
        keys.append(sampled)
        tracks.append(np.full(sampled.size, track, dtype=np.int32))
    if not keys:
        return np.zeros(0, np.uint32), np.zeros(0, np.int32)
    return np.concatenate(keys), np.concatenate(tracks)


def _stable_entries(
    fingerprints: Sequence[np.ndarray], durations: Sequence[float]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Sampled stable halves keyed by duration band, for each of the two grids."""
    if not fingerprints:
        return []
    halves = np.concatenate(fingerprints) & STABLE_BITS
    owner = np.repeat(np.arange(len(fingerprints)), [v.size for v in fingerprints])
    short = np.repeat([v.size < STABLE_SHORT for v in fingerprints], [v.size for v in fingerprints])
    sampled = short | (((halves * np.uint32(0x9E3779B1)) >> np.uint32(30)) & STABLE_SAMPLE == 0)
    # One entry per track and half: sort by (track, half) and drop repeats.
    entries = np.sort((owner[sampled].astype(np.uint64) << np.uint64(32)) | halves[sampled])
    entries = entries[np.concatenate([[True], entries[1:] != entries[:-1]])]
    tracks = (entries >> np.uint64(32)).astype(np.int32)
    halves = entries & np.uint64(0xFFFFFFFF)
    position = np.log(np.maximum(np.asarray(durations, float), DURATION_FLOOR)) / BAND_WIDTH
    grids = []
    for grid in (0, 1):
        band = np.floor(position + grid / 2).astype(np.uint64)
        grids.append((halves | (band[tracks] << np.uint64(32)), tracks))
    return grids
