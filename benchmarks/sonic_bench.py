"""Sonic similarity benchmark: build, ``similar`` and ``path`` on a synthetic library.

    .venv/bin/python benchmarks/sonic_bench.py                 # 100k tracks, 50 runs each
    .venv/bin/python benchmarks/sonic_bench.py --tracks 10000 --runs 200

The tracks are random draws (tempo 70-180 BPM, any key, energy, danceability, loudness and a
20-number timbre; a few percent miss their tempo, key or timbre, as unanalysed items do).
Times are wall-clock milliseconds on one thread (BLAS limited to one, as the server runs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from beetcrate.crates.keys import Key
from beetcrate.crates.mix import Curve, mix_order
from beetcrate.crates.sonic import SonicIndex
from beetcrate.crates.tracks import Track


def library(count: int, seed: int) -> list[Track]:
    rng = np.random.default_rng(seed)
    bpm = rng.uniform(70, 180, count)
    number, minor = rng.integers(1, 13, count), rng.random(count) < 0.5
    energy, dance = rng.gamma(4, 0.04, count), rng.uniform(0.5, 3, count)
    lufs, timbre = rng.uniform(-20, -5, count), rng.normal(0, 10, (count, 20))
    missing = rng.random((count, 3)) < 0.03
    return [
        Track(
            id=i + 1,
            path=f"/music/{i}.flac",
            title=f"track {i}",
            artist="someone",
            bpm=None if missing[i, 0] else round(float(bpm[i]), 2),
            key=None if missing[i, 1] else Key(int(number[i]), bool(minor[i])),
            energy=round(float(energy[i]), 4),
            danceability=round(float(dance[i]), 3),
            lufs=round(float(lufs[i]), 2),
            timbre=None if missing[i, 2] else tuple(np.round(timbre[i], 2).tolist()),
        )
        for i in range(count)
    ]


def percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=20)
    return f"p50 {statistics.median(samples):7.1f} ms   p95 {cuts[18]:7.1f} ms"


def timed(call: object, *args: object) -> float:
    start = time.perf_counter()
    call(*args)  # type: ignore[operator]
    return 1000 * (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tracks = library(args.tracks, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    ids = [t.id for t in tracks]
    with threadpool_limits(limits=1):
        start = time.perf_counter()
        index = SonicIndex.build(tracks)
        print(f"{args.tracks} tracks: build {1000 * (time.perf_counter() - start):.0f} ms")
        similar = [timed(index.similar, int(rng.choice(ids)), 20) for _ in range(args.runs)]
        print(f"  {'similar(count=20)':22s}{percentiles(similar)}")
        broken = []
        paths = []
        for _ in range(args.runs):
            start_id, end_id = (int(i) for i in rng.choice(ids, 2, replace=False))
            began = time.perf_counter()
            broken.append(index.path(start_id, end_id, 10).broken)
            paths.append(1000 * (time.perf_counter() - began))
        print(f"  {'path(count=10)':22s}{percentiles(paths)}   broken steps: {sum(broken)}")
        for size in (100, 2000):
            crate = [tracks[int(i)] for i in rng.choice(len(tracks), size, replace=False)]
            for curve in (None, Curve.ARC):
                mix = mix_order(crate, curve)  # the first call pays for page faults
                runs = max(5, args.runs // 5)
                mixes = [timed(mix_order, crate, curve) for _ in range(runs)]
                name = f"mix_order({size}, {curve.value if curve else None})"
                print(f"  {name:22s}{percentiles(mixes)}   broken steps: {mix.broken}")


if __name__ == "__main__":
    main()
