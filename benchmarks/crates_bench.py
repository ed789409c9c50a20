"""Crates benchmark: rule evaluation, crates and sonic similarity on the API, beside beets'
``smartplaylist`` doing the same query, on the synthetic library of the speed benchmark.

    .venv/bin/python benchmarks/crates_bench.py                    # 100k tracks
    .venv/bin/python benchmarks/crates_bench.py --size 10000 --runs 50

The library is the speed benchmark's (``speed.generate``, cached under benchmarks/.work/), built
through the beets API, with the DJ analysis' fields (tempo, key, energy, danceability, loudness,
timbre) drawn at random for every track and stored through the beets API as ``beet dj`` would.
Measured, in one run:

- evaluating a crate of five rules (tempo with half/double time, harmonic key, an energy range,
  a genre, a year) in the process (``CrateEngine.evaluate``), p50/p95;
- through a running ``beetcrate serve`` (gunicorn): getPlaylist of a 1,000-track crate,
  getSonicSimilarTracks (count 20) and findSonicPath (10 tracks), p50/p95;
- whole commands, the same query: ``beet crate export`` against beets' ``beet splupdate``
  (smartplaylist, with the query written as the twelve beets queries it takes: three tempo
  windows times four keys), median and worst of the runs, and the tracks each found.

Targets (issue 12): evaluation p95 <= 50 ms, getPlaylist p95 <= 50 ms, getSonicSimilarTracks
p95 <= 50 ms, findSonicPath p95 <= 250 ms.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from beets.library import Library

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed.generate import generate
from speed.measure import Client
from speed.servers import _build_library, start_beetcrate

from beetcrate.crates.engine import CrateEngine
from beetcrate.crates.keys import Key
from beetcrate.settings import CrateSettings

WORK = Path(__file__).resolve().parent / ".work"
FIVE_RULES = """name: five rules
all:
  - bpm: {near: 124, tolerance: 3, halfDouble: true}
  - harmonic: {key: 8A}
  - inTheRange: {energy: [0.3, 0.8]}
  - is: {genre: Electronic}
  - gt: {year: 1990}
sort: -energy
"""
THOUSAND = """name: a thousand
all:
  - bpm: {near: 124, tolerance: 6}
  - inTheRange: {energy: [0.2, 0.9]}
sort: -energy
limit: 1000
"""
TARGETS_MS = {
    "evaluate five rules": 50.0,
    "getPlaylist (1,000-track crate)": 50.0,
    "getSonicSimilarTracks": 50.0,
    "findSonicPath (10)": 250.0,
}


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def add_dj_fields(library_db: Path, music: Path) -> None:
    """Give every item the DJ analysis' fields, through the beets API, once."""
    lib = Library(str(library_db), str(music))
    try:
        if (
            lib._connection()
            .execute("SELECT 1 FROM item_attributes WHERE key = 'camelot' LIMIT 1")
            .fetchone()
        ):
            return
        print("  adding DJ fields through the beets API (once)...", flush=True)
        started = time.perf_counter()
        rng = random.Random(12)
        keys = [Key(n, m).camelot for n in range(1, 13) for m in (False, True)]
        with lib.transaction():
            for item in lib.items():
                item.update(
                    {
                        "bpm_precise": round(rng.uniform(70, 180), 2),
                        "camelot": rng.choice(keys),
                        "energy": round(rng.random(), 3),
                        "danceability": round(rng.uniform(0.5, 2.5), 3),
                        "lufs": round(rng.uniform(-16, -6), 2),
                        "timbre": " ".join(f"{rng.gauss(0, 1):.3f}" for _ in range(20)),
                    }
                )
                item.store()
        print(f"  ... in {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        lib._close()


def _timed(call: Callable[[], object], runs: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        call()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def _beet(home: Path, *args: str) -> float:
    env = {**os.environ, "BEETSDIR": str(home)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "beets", "-c", str(home / "config.yaml"), *args],
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def _beets_queries() -> list[str]:
    """The five-rule crate as beets' smartplaylist takes it: one query per tempo window and
    compatible key (a list of queries is their union)."""
    windows = [(124 * f * 0.97, 124 * f * 1.03) for f in (1.0, 0.5, 2.0)]
    keys = sorted(k.camelot for k in Key(8, True).mixes_into())
    return [
        f"bpm_precise:{low:.4f}..{high:.4f} camelot:{key} energy:0.3..0.8"
        " genres:Electronic year:1991.."
        for low, high in windows
        for key in keys
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="tracks (default 100000)")
    parser.add_argument("--runs", type=int, default=100, help="timed requests per row")
    parser.add_argument("--command-runs", type=int, default=3, help="runs of each command")
    args = parser.parse_args(argv)

    generated = generate(WORK / f"library-{args.size}", args.size)
    home = WORK / f"library-{args.size}" / "crates-home"
    home.mkdir(parents=True, exist_ok=True)
    library_db = home / "library.db"
    _build_library(Path(sys.executable), generated, library_db, home / "build.log")
    add_dj_fields(library_db, generated.music)
    crates = home / "crates"
    crates.mkdir(exist_ok=True)
    (crates / "five_rules.yaml").write_text(FIVE_RULES)
    (crates / "thousand.yaml").write_text(THOUSAND)

    rows: dict[str, list[float]] = {}
    notes: dict[str, str] = {}
    server, _scan, _ = start_beetcrate(generated, home)
    try:
        engine = CrateEngine(
            home / "beetcrate.db", library_db, generated.music, CrateSettings(crates)
        )
        started = time.perf_counter()
        engine.refresh_index()
        notes["index"] = f"crate index built in {time.perf_counter() - started:.2f} s"
        found = engine.load()
        five, thousand = found.crates["five rules"], found.crates["a thousand"]
        matched = len(engine.evaluate(five, found, None))
        rows["evaluate five rules"] = _timed(lambda: engine.evaluate(five, found, None), args.runs)
        notes["evaluate five rules"] = f"{matched} tracks"
        rows["evaluate 1,000-track crate"] = _timed(
            lambda: engine.evaluate(thousand, found, None), args.runs
        )
        engine.close()

        client = Client(server)
        _, listed = client.get("getPlaylists", {})
        assert listed is not None
        playlist = next(p for p in listed["playlists"]["playlist"] if p["name"] == "a thousand")
        notes["getPlaylist (1,000-track crate)"] = f"{playlist['songCount']} songs"
        rows["getPlaylist (1,000-track crate)"] = _timed(
            lambda: client.get("getPlaylist", {"id": playlist["id"]}), args.runs
        )
        rng = random.Random(3)
        population = generated.tracks
        started = time.perf_counter()
        client.get("getSonicSimilarTracks", {"id": "tr-1", "count": "20"})
        notes["getSonicSimilarTracks"] = (
            f"first request (builds the index) {time.perf_counter() - started:.2f} s"
        )
        rows["getSonicSimilarTracks"] = _timed(
            lambda: client.get(
                "getSonicSimilarTracks",
                {"id": f"tr-{rng.randint(1, population)}", "count": "20"},
            ),
            args.runs,
        )
        rows["findSonicPath (10)"] = _timed(
            lambda: client.get(
                "findSonicPath",
                {
                    "startSongId": f"tr-{rng.randint(1, population)}",
                    "endSongId": f"tr-{rng.randint(1, population)}",
                    "count": "10",
                },
            ),
            max(20, args.runs // 2),
        )
        client.close()
    finally:
        server.stop()

    # Whole commands against beets' smartplaylist, the same query.
    queries = "\n".join(f"          - '{q}'" for q in _beets_queries())
    (home / "config.yaml").write_text(
        f"directory: {generated.music}\nlibrary: {library_db}\n"
        "plugins: [dj, crates, smartplaylist]\n"
        f"crates:\n  directory: {crates}\n"
        f"smartplaylist:\n  playlist_dir: {home / 'spl'}\n  playlists:\n"
        f"    - name: five_rules.m3u\n      query:\n{queries}\n"
    )
    (home / "spl").mkdir(exist_ok=True)
    exported = home / "five_rules_crate.m3u8"
    commands = {
        "beet crate export (five rules)": ("crate", "export", "five rules", "-o", str(exported)),
        "beet splupdate (same query)": ("splupdate", "five_rules"),
    }
    command_times = {
        label: [_beet(home, *command) for _ in range(args.command_runs)]
        for label, command in commands.items()
    }
    crate_tracks = sum(
        1 for line in exported.read_text().splitlines() if line and not line.startswith("#")
    )
    spl_tracks = sum(
        1
        for line in (home / "spl" / "five_rules.m3u").read_bytes().splitlines()
        if line and not line.startswith(b"#")
    )

    print(f"\nCrates at {args.size:,} tracks ({notes['index']})\n", flush=True)
    print(f"{'':34} {'p50 ms':>8} {'p95 ms':>8}  {'target':>8}  note")
    for label, seconds in rows.items():
        p50, p95 = statistics.median(seconds) * 1000, _percentile(seconds, 95) * 1000
        target = TARGETS_MS.get(label)
        mark = "" if target is None else ("PASS" if p95 <= target else "FAIL")
        target_text = f"{target:.0f} {mark}" if target else ""
        print(f"{label:34} {p50:8.1f} {p95:8.1f}  {target_text:>8}  {notes.get(label, '')}")
    print(f"\nWhole commands, {args.command_runs} runs each")
    print(f"{'':34} {'median s':>8} {'worst s':>8}  tracks")
    found_tracks = {
        "beet crate export (five rules)": crate_tracks,
        "beet splupdate (same query)": spl_tracks,
    }
    for label, seconds in command_times.items():
        print(
            f"{label:34} {statistics.median(seconds):8.2f} {max(seconds):8.2f}"
            f"  {found_tracks[label]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
