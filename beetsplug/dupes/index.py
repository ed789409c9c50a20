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

SAMPLE_MASK = 0x3
SHORT = 100
STOP_RUN = 32  # a value shared by more tracks than this says nothing about any of them
MIN_VOTES = 2


def candidate_pairs(
    fingerprints: Sequence[np.ndarray],
    new: Sequence[int] | None = None,
    min_votes: int = MIN_VOTES,
) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of fingerprints sharing at least ``min_votes`` indexed values.

    With ``new``, only pairs involving one of those indexes are returned (incremental runs).
    """
    keys, tracks = _entries(fingerprints)
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
        return []
    a = np.concatenate(firsts).astype(np.int64)
    b = np.concatenate(seconds).astype(np.int64)
    a, b = np.minimum(a, b), np.maximum(a, b)
    keep = a != b
    if new is not None:
        is_new = np.zeros(len(fingerprints), bool)
        is_new[np.asarray(list(new), dtype=np.int64)] = True
        keep &= is_new[a] | is_new[b]
    pair_ids, votes = np.unique(a[keep] * len(fingerprints) + b[keep], return_counts=True)
    chosen = pair_ids[votes >= min_votes]
    return [(int(p // len(fingerprints)), int(p % len(fingerprints))) for p in chosen]


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
