"""Sonic similarity: similar tracks and mixable paths on libraries whose answers are known."""

from __future__ import annotations

import itertools
import math
import statistics

import pytest

from beetcrate.crates.sonic import (
    DANCEABILITY,
    ENERGY,
    KEY,
    LOUDNESS,
    TEMPO,
    TIMBRE,
    EnergyDirection,
    SonicIndex,
    UnknownTrack,
)
from beetcrate.crates.tracks import Track, mixable
from tests.crates.synthetic_tracks import random_library, track

BRIGHT = tuple([5.0] * 10 + [1.0] * 10)
DARK = tuple([-5.0] * 10 + [3.0] * 10)


def ids_of(index: SonicIndex, item_id: int, count: int = 10) -> list[int]:
    return [scored.item_id for scored in index.similar(item_id, count)]


def test_same_key_tempo_and_timbre_rank_above_the_rest() -> None:
    library = [
        track(1, timbre=BRIGHT),
        track(2, bpm=124.5, timbre=BRIGHT),  # the twin
        track(3, timbre=DARK),  # another sound
        track(4, key="3B", timbre=BRIGHT),  # a key that does not mix
        track(5, bpm=140.0, timbre=BRIGHT),  # out of a pitch fader's reach
        *random_library(200, seed=1, first_id=100),
    ]
    found = SonicIndex.build(library).similar(1, 500)
    assert len(found) == 204
    assert found[0].item_id == 2 and found[0].similarity > 0.95
    place = {scored.item_id: place for place, scored in enumerate(found)}
    # A track off in only one respect still sounds more alike than most of the library.
    assert max(place[3], place[4], place[5]) < 20
    assert [scored.similarity for scored in found] == sorted(
        (scored.similarity for scored in found), reverse=True
    )


def test_half_and_double_time_count_as_the_same_tempo() -> None:
    library = [track(1, bpm=87.0), track(2, bpm=174.0), track(3, bpm=120.0), track(4, bpm=87.0)]
    scores = {
        scored.item_id: scored.similarity for scored in SonicIndex.build(library).similar(1, 3)
    }
    assert scores[2] == scores[4] == 1.0
    assert scores[3] < 0.8


def test_the_seed_is_never_among_its_similar_tracks_and_count_is_kept() -> None:
    library = [track(i) for i in range(1, 8)]  # all alike
    index = SonicIndex.build(library)
    assert ids_of(index, 3, 100) == [1, 2, 4, 5, 6, 7]  # ties by id
    assert len(index.similar(3, 2)) == 2


def test_similarity_is_the_weighted_mean_of_the_closenesses() -> None:
    library = [
        track(1, bpm=120, key="8A", energy=0.1, danceability=1.0, lufs=-8, timbre=(1.0, 2.0)),
        track(2, bpm=126, key="9A", energy=0.3, danceability=2.0, lufs=-10, timbre=(3.0, -2.0)),
        track(3, bpm=None, key="10B", energy=0.2, danceability=None, lufs=-6, timbre=None),
        track(4, bpm=100, key="8B", energy=0.4, danceability=1.5, lufs=-12, timbre=(0.0, 0.0)),
    ]
    scores = {s.item_id: s.similarity for s in SonicIndex.build(library).similar(1, 3)}

    def z(values: list[float | None]) -> list[float | None]:
        known = [v for v in values if v is not None]
        mean, spread = statistics.fmean(known), statistics.pstdev(known)
        return [None if v is None else (v - mean) / spread for v in values]

    def gauss(x: float) -> float:
        return math.exp(-0.5 * x * x)

    energy = z([t.energy for t in library])
    dance = z([t.danceability for t in library])
    lufs = z([t.lufs for t in library])
    dimensions = [z([1.0, 3.0, 0.0]), z([2.0, -2.0, 0.0])]  # of tracks 1, 2 and 4
    timbre = list(zip(*dimensions, strict=True))
    timbre_of = {1: timbre[0], 2: timbre[1], 4: timbre[2]}
    # Track 2: 5 % faster (tempo_ratio 6/126), one step round the wheel, every feature known.
    timbre_gap = sum((a - b) ** 2 for a, b in zip(timbre_of[1], timbre_of[2], strict=True)) / 2
    expected_2 = (
        TEMPO * gauss((6 / 126) / 0.06)
        + KEY * 0.75
        + TIMBRE * gauss(math.sqrt(timbre_gap))
        + ENERGY * gauss(energy[1] - energy[0])
        + DANCEABILITY * gauss(dance[1] - dance[0])
        + LOUDNESS * gauss(lufs[1] - lufs[0])
    )
    # Track 3: no tempo, no danceability, no timbre; 10B is three moves from 8A.
    expected_3 = (
        KEY * 0.15 + ENERGY * gauss(energy[2] - energy[0]) + LOUDNESS * gauss(lufs[2] - lufs[0])
    )
    assert scores[2] == pytest.approx(expected_2, abs=1e-4)
    assert scores[3] == pytest.approx(expected_3, abs=1e-4)


def test_tracks_without_analysis_get_a_score_from_what_they_have() -> None:
    bare = Track(id=2, path="/music/2.mp3", title="tagged only", artist="x", bpm=124.0)
    library = [track(1), bare, track(3, bpm=131.0, key="3B", timbre=DARK), track(4)]
    scores = {s.item_id: s.similarity for s in SonicIndex.build(library).similar(1, 3)}
    assert scores[4] > scores[2] > 0
    assert scores[2] == pytest.approx(TEMPO)  # the same tempo, nothing else known


def test_an_energy_direction_leans_towards_higher_or_lower_energy() -> None:
    library = [
        track(1, energy=0.2),
        track(2, energy=0.15),
        track(3, energy=0.25),
        *(track(i, energy=0.1 + i / 1000) for i in range(10, 110)),
    ]
    index = SonicIndex.build(library)

    def rank(direction: EnergyDirection | None) -> list[int]:
        return [s.item_id for s in index.similar(1, 200, direction) if s.item_id in (2, 3)]

    assert rank(EnergyDirection.UP) == [3, 2]
    assert rank(EnergyDirection.DOWN) == [2, 3]
    energy = {t.id: t.energy or 0.0 for t in library}

    def mean_energy(direction: EnergyDirection) -> float:
        return statistics.fmean(energy[s.item_id] for s in index.similar(1, 10, direction))

    assert mean_energy(EnergyDirection.DOWN) < 0.2 < mean_energy(EnergyDirection.UP)


def test_unknown_ids_raise_unknown_track() -> None:
    index = SonicIndex.build([track(1), track(2)])
    with pytest.raises(UnknownTrack):
        index.similar(99, 5)
    with pytest.raises(UnknownTrack):
        index.path(1, 99, 5)


# Paths


def assert_is_a_path(library: list[Track], path_ids: tuple[int, ...], start: int, end: int) -> None:
    by_id = {t.id: t for t in library}
    assert path_ids[0] == start and path_ids[-1] == end
    assert len(set(path_ids)) == len(path_ids)
    assert all(i in by_id for i in path_ids)


def breaks_of(library: list[Track], path_ids: tuple[int, ...]) -> tuple[int, ...]:
    by_id = {t.id: t for t in library}
    steps = itertools.pairwise(path_ids)
    return tuple(i for i, (a, b) in enumerate(steps, 1) if not mixable(by_id[a], by_id[b]))


def test_a_path_walks_the_wheel_when_the_library_allows_it() -> None:
    # From 1A to 5A at 120 BPM: only the chain 2A, 3A, 4A (tempos gliding) makes it mixable.
    chain = [track(10 + n, bpm=120.0 + n, key=f"{n + 1}A") for n in range(5)]
    library = [*chain, *random_library(500, seed=2, first_id=1000)]
    path = SonicIndex.build(library).path(10, 14, 5)
    assert path.item_ids == (10, 11, 12, 13, 14)
    assert path.breaks == () and path.broken == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_paths_in_a_large_library_are_mixable_throughout(seed: int) -> None:
    library = random_library(3000, seed=seed, missing=0.0)
    path = SonicIndex.build(library).path(5, 2500, 10)
    assert len(path.item_ids) == 10
    assert_is_a_path(library, path.item_ids, 5, 2500)
    assert breaks_of(library, path.item_ids) == path.breaks == ()


def test_a_path_that_cannot_mix_says_where_it_breaks() -> None:
    # 1A and 7B are seven moves apart: three steps cannot get there.
    library = [track(1, key="1A"), track(2, key="7B"), *(track(i, key="1A") for i in range(3, 9))]
    path = SonicIndex.build(library).path(1, 2, 3)
    assert_is_a_path(library, path.item_ids, 1, 2)
    assert path.broken == 1
    assert path.breaks == breaks_of(library, path.item_ids)


def test_a_path_is_at_most_the_library_long_and_needs_two_ends() -> None:
    index = SonicIndex.build([track(1), track(2), track(3)])
    assert len(index.path(1, 3, 10).item_ids) == 3
    with pytest.raises(ValueError, match="two different"):
        index.path(1, 1, 3)
    with pytest.raises(ValueError, match="at least"):
        index.path(1, 2, 1)
