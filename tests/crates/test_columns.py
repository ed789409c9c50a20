"""The vectorized rules agree with the plain ones of ``tracks`` and ``keys``."""

from __future__ import annotations

import numpy as np

from beetcrate.crates.columns import DISTANCE, KEYS, Columns
from beetcrate.crates.mix import mixability, tempo_ratios
from beetcrate.crates.tracks import mixable, tempo_ratio
from tests.crates.synthetic_tracks import random_library


def test_vectorized_mixable_agrees_with_tracks_mixable() -> None:
    tracks = random_library(300, seed=3, missing=0.1)
    columns = Columns.from_tracks(tracks)
    matrix = mixability(columns.key, tempo_ratios(columns.bpm))
    for row in (0, 7, 42, 299):
        expected_from = [mixable(tracks[row], other) for other in tracks]
        expected_into = [mixable(other, tracks[row]) for other in tracks]
        assert columns.mixable_from(row).tolist() == expected_from
        assert columns.mixable_into(row).tolist() == expected_into
        expected_from[row] = False  # the matrix says a track never mixes into itself
        assert matrix[row].tolist() == expected_from
    assert 0 < matrix.sum() < 300 * 300 / 10


def test_vectorized_tempo_ratios_agree_with_tempo_ratio() -> None:
    tracks = random_library(50, seed=4, missing=0.2)
    columns = Columns.from_tracks(tracks)
    for row in (0, 13):
        expected = [tempo_ratio(tracks[row].bpm, other.bpm) for other in tracks]
        found = columns.tempo_ratios(columns.bpm[row]) if tracks[row].bpm else None
        if found is None:
            assert expected == [None] * len(tracks)
            continue
        for value, wanted in zip(found.tolist(), expected, strict=True):
            assert (np.isnan(value) and wanted is None) or abs(value - wanted) < 1e-12


def test_key_distances_are_the_wheels() -> None:
    for a, key in enumerate(KEYS):
        assert [DISTANCE[a, b] for b in range(len(KEYS))] == [key.distance(o) for o in KEYS]
    assert np.isnan(DISTANCE[-1]).all()
