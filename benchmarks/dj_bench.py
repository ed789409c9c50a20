"""DJ analysis benchmark: beetcrate's engine against librosa and essentia on a labelled set.

    .venv/bin/python benchmarks/dj_bench.py            # 36 tracks x 45 s, about 6 minutes
    .venv/bin/python benchmarks/dj_bench.py --quick    # 12 tracks x 30 s, about 1.5 minutes
    .venv/bin/python benchmarks/dj_bench.py --only beetcrate
    .venv/bin/python benchmarks/dj_bench.py --stressed # humanized drums, noise

The set is synthesized (beetcrate/synth/grooves.py) into benchmarks/.work/dj and reused across runs.
All three systems decode through ``beetcrate.media`` and run in this process, one at a time, so
their timings are comparable: CPU seconds per minute of audio, on one core (BLAS limited to
one thread for all three).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import evaluation
from analysis.engine import analyze
from beetcrate import media
from beetcrate.synth import grooves

WORK = Path(__file__).resolve().parent / ".work" / "dj"
NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


@dataclass
class Estimate:
    bpm: float
    beats: np.ndarray
    downbeats: np.ndarray | None
    tonic: int | None
    minor: bool
    stages: dict[str, float] = field(default_factory=dict)


def beetcrate_engine(path: Path) -> Estimate:
    start = time.process_time()
    result = analyze(path)
    total = time.process_time() - start
    key = result.key
    return Estimate(
        bpm=result.rhythm.bpm,
        beats=result.rhythm.beats,
        downbeats=result.rhythm.downbeats,
        tonic=key.tonic if key else None,
        minor=bool(key and key.minor),
        stages={**result.timings, "total": total},
    )


# Krumhansl-Kessler profiles, C = 0: the usual companion of a librosa chromagram.
_KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def librosa_peer(path: Path) -> Estimate:
    import librosa

    stages: dict[str, float] = {}
    start = time.process_time()
    samples, rate = media.decode(path, sample_rate=22050, mono=True)
    y = samples[0]
    stages["decode"] = time.process_time() - start
    clock = time.process_time()
    tempo, beats = librosa.beat.beat_track(y=y, sr=rate, units="time")
    stages["tempo"] = time.process_time() - clock
    clock = time.process_time()
    chroma = librosa.feature.chroma_cqt(y=y, sr=rate).mean(axis=1)
    scores = [
        (np.corrcoef(np.roll(profile, tonic), chroma)[0, 1], tonic, minor)
        for tonic in range(12)
        for minor, profile in ((False, _KK_MAJOR), (True, _KK_MINOR))
    ]
    _, tonic, minor = max(scores)
    stages["key"] = time.process_time() - clock
    stages["total"] = time.process_time() - start
    return Estimate(float(np.atleast_1d(tempo)[0]), np.asarray(beats), None, tonic, minor, stages)


def essentia_peer(path: Path) -> Estimate:
    import essentia.standard as es

    stages: dict[str, float] = {}
    start = time.process_time()
    samples, _ = media.decode(path, sample_rate=44100, mono=True)
    y = samples[0].astype(np.float32)
    stages["decode"] = time.process_time() - start
    clock = time.process_time()
    bpm, ticks, *_ = es.RhythmExtractor2013(method="multifeature")(y)
    stages["tempo"] = time.process_time() - clock
    clock = time.process_time()
    key, scale, *_ = es.KeyExtractor(profileType="edma")(y)
    stages["key"] = time.process_time() - clock
    stages["total"] = time.process_time() - start
    flats = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#"}
    tonic = NAMES.index(flats.get(key, key))
    return Estimate(float(bpm), np.asarray(ticks), None, tonic, scale == "minor", stages)


SYSTEMS: dict[str, Callable[[Path], Estimate]] = {
    "beetcrate": beetcrate_engine,
    "librosa": librosa_peer,
    "essentia": essentia_peer,
}


def build_set(
    count: int, seconds: float, seed: int, stressed: bool
) -> list[tuple[grooves.Spec, Path, grooves.Labels]]:
    WORK.mkdir(parents=True, exist_ok=True)
    items = []
    for spec in grooves.labelled_set(count, seconds, seed=seed, stressed=stressed):
        path = WORK / f"{spec.name}_{int(seconds)}s_seed{seed}.{spec.suffix}"
        if path.exists():
            _, labels = grooves.render(spec)
        else:
            samples, labels = grooves.render(spec)
            media.write_audio(path, samples, grooves.RATE)
        items.append((spec, path, labels))
    return items


def evaluate(system: str, items: list, verbose: bool) -> dict[str, object]:
    run = SYSTEMS[system]
    acc1, acc2, errors, beat_f, down_f, mirex, exact = [], [], [], [], [], [], []
    stages: dict[str, float] = defaultdict(float)
    minutes = 0.0
    for spec, path, labels in items:
        # Every system on one core: idle BLAS threads would spin and bill CPU time.
        with threadpool_limits(limits=1):
            estimate = run(path)
        minutes += spec.seconds / 60
        for stage, seconds in estimate.stages.items():
            stages[stage] += seconds
        acc1.append(evaluation.tempo_accuracy1(estimate.bpm, spec.bpm))
        acc2.append(evaluation.tempo_accuracy2(estimate.bpm, spec.bpm))
        errors.append(evaluation.bpm_error_percent(estimate.bpm, spec.bpm))
        beat_f.append(evaluation.f_measure(estimate.beats, labels.beats))
        if estimate.downbeats is not None:
            down_f.append(evaluation.f_measure(estimate.downbeats, labels.downbeats))
        score = evaluation.mirex_key_score(estimate.tonic, estimate.minor, spec.tonic, spec.minor)
        mirex.append(score)
        exact.append(score == 1.0)
        if verbose:
            key = f"{NAMES[estimate.tonic]} {'minor' if estimate.minor else 'major'}"
            print(
                f"  {system:9s} {spec.name:28s} {spec.suffix:4s} bpm {estimate.bpm:7.2f} "
                f"beatF {beat_f[-1]:.2f} downF {down_f[-1] if down_f else float('nan'):.2f} "
                f"key {key:9s} ({spec.key_name})",
                flush=True,
            )
    return {
        "acc1": np.mean(acc1),
        "acc2": np.mean(acc2),
        "median_error": statistics.median(errors),
        "beat_f": np.mean(beat_f),
        "downbeat_f": np.mean(down_f) if down_f else None,
        "mirex": np.mean(mirex),
        "exact": np.mean(exact),
        "per_minute": {stage: seconds / minutes for stage, seconds in stages.items()},
    }


def print_table(
    results: dict[str, dict[str, object]], count: int, seconds: float, stressed: bool
) -> None:
    stress = ", humanized drums and noise" if stressed else ""
    print(f"\n{count} tracks x {seconds:.0f} s (6 drum patterns, 24 keys, FLAC/MP3/Ogg{stress})\n")
    header = (
        f"{'system':10s} {'Acc1':>6s} {'Acc2':>6s} {'medErr%':>8s} {'beatF':>6s} "
        f"{'downF':>6s} {'keyMIREX':>9s} {'keyExact':>9s} {'s/min':>7s} {'x RT':>7s}"
    )
    print(header)
    print("-" * len(header))
    for system, r in results.items():
        total = r["per_minute"]["total"]
        down = f"{r['downbeat_f']:.3f}" if r["downbeat_f"] is not None else "-"
        print(
            f"{system:10s} {r['acc1']:6.3f} {r['acc2']:6.3f} {r['median_error']:8.4f} "
            f"{r['beat_f']:6.3f} {down:>6s} {r['mirex']:9.3f} {r['exact']:9.3f} "
            f"{total:7.3f} {60 / total:7.1f}"
        )
    print("\nseconds per minute of audio, per stage:")
    for system, r in results.items():
        stages = ", ".join(
            f"{stage} {seconds:.3f}"
            for stage, seconds in r["per_minute"].items()
            if stage != "total"
        )
        print(f"  {system:10s} {stages}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12 tracks x 30 s")
    parser.add_argument("--tracks", type=int, help="number of tracks")
    parser.add_argument("--seconds", type=float, help="length of each track")
    parser.add_argument("--only", choices=sorted(SYSTEMS), action="append", help="systems to run")
    parser.add_argument("--seed", type=int, default=7, help="another draw of tempi and sounds")
    parser.add_argument(
        "--stressed", action="store_true", help="humanized drums (6 ms, 60-100 %%) and noise"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per track")
    args = parser.parse_args()
    count = args.tracks or (12 if args.quick else 36)
    seconds = args.seconds or (30.0 if args.quick else 45.0)
    items = build_set(count, seconds, args.seed, args.stressed)
    # Import and JIT costs are not analysis: warm each system up on the first track.
    results = {}
    for system in args.only or list(SYSTEMS):
        SYSTEMS[system](items[0][1])
        results[system] = evaluate(system, items, args.verbose)
    print_table(results, count, seconds, args.stressed)


if __name__ == "__main__":
    main()
