"""``order: mix``: every track once, mixable steps, and the energy following the curve."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from beetcrate.crates.keys import Key
from beetcrate.crates.mix import Curve, Mix, mix_order
from beetcrate.crates.tracks import Track, mixable
from tests.crates.synthetic_tracks import random_library, track


def breaks_of(tracks: list[Track], mix: Mix) -> tuple[int, ...]:
    by_id = {t.id: t for t in tracks}
    steps = itertools.pairwise(mix.item_ids)
    return tuple(i for i, (a, b) in enumerate(steps, 1) if not mixable(by_id[a], by_id[b]))


def energies(tracks: list[Track], mix: Mix) -> list[float]:
    by_id = {t.id: t for t in tracks}
    return [by_id[i].energy or 0.0 for i in mix.item_ids]


def chain(length: int) -> list[Track]:
    """Tracks where only neighbours mix: 4 % faster and a fifth up each step (two steps apart
    are 8 % apart, and a track 17 steps on is at double time but six keys away)."""
    return [
        track(i, bpm=100 * 1.04**i, key=Key(i % 12 + 1, True).camelot, energy=0.1 + i / 100)
        for i in range(1, length + 1)
    ]


@pytest.mark.parametrize("curve", [None, Curve.RISE, Curve.FALL, Curve.ARC])
def test_a_shuffled_perfect_chain_is_found_without_a_break(curve: Curve | None) -> None:
    tracks = chain(40)
    random.Random(5).shuffle(tracks)
    mix = mix_order(tracks, curve)
    assert sorted(mix.item_ids) == list(range(1, 41))
    assert mix.broken == 0 and breaks_of(tracks, mix) == ()


@pytest.mark.parametrize("size", [10, 300, 2000])
def test_every_track_is_played_once_and_the_breaks_are_the_steps_that_do_not_mix(
    size: int,
) -> None:
    tracks = random_library(size, seed=size)
    mix = mix_order(tracks, Curve.ARC)
    assert sorted(mix.item_ids) == sorted(t.id for t in tracks)
    assert mix.breaks == breaks_of(tracks, mix)


def test_in_a_dense_crate_only_the_tracks_that_mix_with_nothing_break() -> None:
    tracks = random_library(2000, seed=9)  # 5 % without tempo, 5 % without key
    loners = {t.id for t in tracks if t.bpm is None or t.key is None}
    mix = mix_order(tracks, None)
    assert set(mix.item_ids[-len(loners) :]) == loners  # they go last
    assert mix.broken <= len(loners) + 3


def test_rise_and_fall_play_the_energy_up_and_down() -> None:
    rng = random.Random(2)
    tracks = [track(i, energy=round(rng.uniform(0.05, 0.4), 4)) for i in range(1, 61)]
    assert energies(tracks, mix_order(tracks, Curve.RISE)) == sorted(t.energy or 0 for t in tracks)
    fall = energies(tracks, mix_order(tracks, Curve.FALL))
    assert fall == sorted(fall, reverse=True)


def spearman(values: list[float]) -> float:
    ranks = np.argsort(np.argsort(values))
    return float(np.corrcoef(np.arange(len(values)), ranks)[0, 1])


# A crate as rules select one: a tempo range (118-130 BPM), any key; each track mixes with
# about 90 others.
def crate(seed: int) -> list[Track]:
    return random_library(600, seed=seed, missing=0.0, tempo=(118.0, 130.0))


@pytest.mark.parametrize("seed", [4, 6, 7])
def test_rise_follows_the_energy_and_still_mixes(seed: int) -> None:
    tracks = crate(seed)
    mix = mix_order(tracks, Curve.RISE)
    assert spearman(energies(tracks, mix)) > 0.8
    assert mix.broken <= 2


@pytest.mark.parametrize("seed", [4, 6, 7])
def test_arc_warms_up_peaks_in_the_middle_and_cools_down(seed: int) -> None:
    tracks = crate(seed)
    mix = mix_order(tracks, Curve.ARC)
    ordered = energies(tracks, mix)
    ranks = np.argsort(np.argsort(ordered)) / (len(ordered) - 1)  # 0 calmest, 1 most energetic
    start, middle, end = (part.mean() for part in np.array_split(ranks, 3))
    assert middle > max(start, end) + 0.1
    twelfths = [part.mean() for part in np.array_split(ranks, 12)]
    assert 3 <= int(np.argmax(twelfths)) <= 8  # the peak between a quarter and three quarters
    assert twelfths[0] < 0.3 and twelfths[-1] < 0.5
    assert mix.broken <= 2


def test_a_sparse_crate_breaks_few_steps() -> None:
    # Any tempo from 70 to 180 BPM and any key: each track mixes with about 17 of 600, and a
    # few steps (1 to 2 %) still break.
    tracks = random_library(600, seed=4, missing=0.0)
    mix = mix_order(tracks, Curve.RISE)
    assert mix.broken <= 12
    assert spearman(energies(tracks, mix)) > 0.5


def test_an_empty_crate_is_an_empty_mix() -> None:
    assert mix_order([], Curve.RISE) == Mix((), ())
