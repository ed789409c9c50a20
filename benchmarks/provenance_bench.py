"""Provenance benchmark: what recording every change costs beets' own commands.

Run from the repository root (about 25 minutes on two cores with the defaults):

    .venv/bin/python benchmarks/provenance_bench.py [--quick] [--modify-items N] [--import-tracks N]
        [--repeats N] [--earlier-code CHECKOUT] [--instructions]

Each workload runs as the ``beet`` command a user types, in a process of its own, on the same
library copied afresh for every run, in three configurations taking turns: beets alone; beets
with one plugin that does nothing (``idle``, written into the work folder: beets 2.14 merges
every loaded plugin's template fields on every field it reads, so loading any plugin costs
``beet modify`` time); and beets with ``plugins: provenance``. The tables give the medians of
``--repeats`` runs, of the wall-clock time and of the CPU time the command used (steadier on a
shared machine), and the least CPU time. ``--earlier-code`` adds a fourth configuration:
provenance as an earlier checkout has it (``git archive main | tar -x -C /tmp/before``), so that a
change is measured beside the code it replaces, in the same run. On a busy machine the times
of one configuration vary by several per cent from run to run; ``--instructions`` counts
instead the machine instructions of each configuration's ``beet modify`` under valgrind
(``apt-get install valgrind``), one run each: a figure that other work does not move. The
workloads:

- ``beet modify -y --nowrite --nomove comments=…`` on every item of a library of
  ``--modify-items`` tracks (10,000: the issue's bound is 10 % at that size), and of 1,000;
- ``beet import -A -q`` of ``--import-tracks`` real audio files (synthesized, 1 s each), as-is;
- the catch-up: the first command with the plugin on a library it has not seen (it records
  every item and album as ``found``), once per library.

The library for ``modify`` is built through the beets API with tags but no audio files (the
command neither writes nor moves). Everything lives in ``benchmarks/.work/provenance``.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from beets import config  # noqa: E402
from beets.library import Item, Library  # noqa: E402

from beetcrate import media  # noqa: E402
from beetcrate.synth import tones  # noqa: E402

WORK = ROOT / "benchmarks" / ".work" / "provenance"


def build_tagged_library(path: Path, music: Path, count: int) -> None:
    """``count`` items in albums of 10, with the tags a tagged library has, in one transaction."""
    config["create_backup_before_migrations"] = False
    lib = Library(str(path), str(music))
    with lib.transaction():
        for album_no in range(0, count, 10):
            items = []
            for n in range(album_no, min(album_no + 10, count)):
                item = Item(
                    path=str(music / f"artist{n // 100}" / f"album{album_no}" / f"{n:05d}.flac"),
                    title=f"Title {n}",
                    artist=f"Artist {n // 100}",
                    albumartist=f"Artist {n // 100}",
                    album=f"Album {album_no}",
                    track=n - album_no + 1,
                    tracktotal=10,
                    year=1990 + n % 30,
                    length=200.0 + n % 60,
                    bitrate=900_000,
                    format="FLAC",
                    samplerate=44100,
                    mb_trackid=f"00000000-0000-0000-0000-{n:012d}",
                )
                items.append(item)
            lib.add_album(items)
    lib._close()


def make_sources(folder: Path, count: int) -> None:
    for n in range(count):
        album = folder / f"album{n // 10:03d}"
        album.mkdir(parents=True, exist_ok=True)
        path = album / f"{n % 10 + 1:02d}.flac"
        media.write_audio(path, tones.sine(1.0, 220.0 + n), tones.RATE)
        item = Item.from_path(str(path))
        item.update(
            {
                "title": f"Song {n}",
                "artist": "Artist",
                "album": f"Album {n // 10}",
                "track": n % 10 + 1,
            }
        )
        item.write()


@dataclass(frozen=True)
class Configuration:
    """What a run loads: beets' plugins, and the checkout whose beetcrate code they are."""

    name: str
    plugins: list[str]
    code: Path = ROOT


class Home:
    """A beets home for one run: config, library (a fresh copy of a template), sidecar."""

    def __init__(self, root: Path, configuration: Configuration) -> None:
        # (``idle`` is found on the plugin path: ``IDLE_PLUGIN``, written by ``main``.)
        shutil.rmtree(root, ignore_errors=True)
        plugins = configuration.plugins
        self.code = configuration.code
        self.root = root
        self.dir = root / "beets"
        self.music = root / "music"
        self.dir.mkdir(parents=True)
        self.music.mkdir()
        settings = {
            "directory": str(self.music),
            "library": str(self.dir / "library.db"),
            "plugins": plugins,
            "pluginpath": [str(WORK / "plugins")],
            "create_backup_before_migrations": False,
            "import": {"write": False, "copy": True, "log": None},
        }
        (self.dir / "config.yaml").write_text(yaml.safe_dump(settings))

    def beet(self, *args: str) -> Timing:
        """Run ``beet ARGS`` in a new process; its wall-clock and CPU seconds."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        self._run([sys.executable, "-m", "beets", *args])
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return Timing(wall, cpu)

    def instructions(self, *args: str) -> int:
        """Run ``beet ARGS`` under valgrind (cachegrind, without simulating caches): how many
        machine instructions the command ran. Unlike its time, the count does not depend on
        what else the machine runs (the hash seed is fixed, so that dicts and sets are the
        same from run to run); the command runs about 20 times slower."""
        done = self._run([*VALGRIND, sys.executable, "-m", "beets", *args], PYTHONHASHSEED="0")
        counted = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
        if counted is None:
            raise SystemExit(f"valgrind counted nothing: {done.stderr[-500:]}")
        return int(counted.group(1).replace(",", ""))

    def _run(self, argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
        environment = dict(os.environ, BEETSDIR=str(self.dir), PYTHONPATH=str(self.code), **env)
        return subprocess.run(
            argv,
            # (in the checkout: ``python -m`` looks for modules in the current folder first)
            cwd=self.code,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=True,
        )


VALGRIND = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]


@dataclass(frozen=True)
class Timing:
    """One command's wall-clock seconds, and the CPU seconds it used (user and system): on a
    machine shared with other work, the CPU time varies far less than the wall-clock time."""

    wall: float
    cpu: float


BEETS = Configuration("beets", [])
IDLE = Configuration("beets + an idle plugin", ["idle"])
PROVENANCE = Configuration("beets + provenance", ["provenance"])
CONFIGURATIONS = [BEETS, IDLE, PROVENANCE]
IDLE_PLUGIN = """from beets.plugins import BeetsPlugin


class Idle(BeetsPlugin):
    pass
"""


def modify_runs(
    template: Path, count: int, repeats: int, configurations: list[Configuration]
) -> dict[str, list[Timing]]:
    times: dict[str, list[Timing]] = {c.name: [] for c in configurations}
    times["catch-up"] = []
    for run in range(repeats):
        for configuration in configurations:
            home = Home(WORK / "modify", configuration)
            shutil.copyfile(template, home.dir / "library.db")
            if "provenance" in configuration.plugins:
                catch_up = home.beet("provenance", "purge")
                if configuration is PROVENANCE:
                    times["catch-up"].append(catch_up)
            times[configuration.name].append(
                home.beet("modify", "-y", "--nowrite", "--nomove", f"comments=run {run}")
            )
    return times


def modify_instructions(template: Path, configurations: list[Configuration]) -> dict[str, int]:
    """``beet modify`` of every item under valgrind, once per configuration (two at a time)."""

    def count(index: int, configuration: Configuration) -> int:
        home = Home(WORK / f"instructions-{index}", configuration)
        shutil.copyfile(template, home.dir / "library.db")
        if "provenance" in configuration.plugins:
            home.beet("provenance", "purge")
        return home.instructions("modify", "-y", "--nowrite", "--nomove", "comments=counted")

    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = pool.map(count, range(len(configurations)), configurations)
        return {c.name: n for c, n in zip(configurations, counts, strict=True)}


def report_instructions(title: str, units: int, counts: dict[str, int]) -> None:
    print(f"\n{title}")
    print(
        "| run | instructions (millions) | per item (thousands) | over beets alone "
        "| over beets + an idle plugin |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, count in counts.items():
        compared = ["", ""]
        if name != BEETS.name:
            compared[0] = f"{count / counts[BEETS.name] - 1:+.1%}"
        if name.startswith(PROVENANCE.name):
            compared[1] = f"{count / counts[IDLE.name] - 1:+.1%}"
        print(
            f"| {name} | {count / 1e6:,.0f} | {count / units / 1e3:,.0f} | "
            + " | ".join(compared)
            + " |"
        )
    print("(machine instructions counted by valgrind, one run each, hash seed 0)")


def import_runs(
    sources: Path, repeats: int, configurations: list[Configuration]
) -> dict[str, list[Timing]]:
    times: dict[str, list[Timing]] = {c.name: [] for c in configurations}
    for _ in range(repeats):
        for configuration in configurations:
            home = Home(WORK / "import", configuration)
            times[configuration.name].append(home.beet("import", "-A", "-q", str(sources)))
    return times


def report(title: str, units: int, unit: str, times: dict[str, list[Timing]]) -> None:
    def median(name: str, what: str) -> float:
        return statistics.median(getattr(timing, what) for timing in times[name])

    def least(name: str) -> float:
        return min(timing.cpu for timing in times[name])

    def over(name: str, base: str) -> str:
        cpu, base_cpu = median(name, "cpu"), median(base, "cpu")
        least_cpu = (least(name) - least(base)) / least(base)
        return f"{(cpu - base_cpu) / base_cpu:+.1%} ({least_cpu:+.1%})"

    print(f"\n{title}")
    print(
        f"| run | wall s | CPU s | least CPU s | CPU ms per {unit} "
        "| CPU over beets alone (least) | CPU over beets + an idle plugin (least) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in times:
        wall, cpu = median(name, "wall"), median(name, "cpu")
        compared = ["", ""]
        if name not in ("beets", "catch-up"):
            compared[0] = over(name, "beets")
        if name.startswith(PROVENANCE.name):
            compared[1] = over(name, IDLE.name)
        print(
            f"| {name} | {wall:.2f} | {cpu:.2f} | {least(name):.2f} | {cpu / units * 1000:.2f} | "
            + " | ".join(compared)
            + " |"
        )
    print(
        f"(medians, and least CPU, of {len(times['beets'])} runs each, the configurations "
        "taking turns)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modify-items", type=int, default=10_000)
    parser.add_argument("--import-tracks", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1,000 items, 50 tracks, 1 run")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count the machine instructions of beet modify under valgrind (one run of each "
        "configuration, about 20 times slower) instead of timing the workloads",
    )
    parser.add_argument(
        "--earlier-code",
        type=Path,
        help="a checkout of beetcrate (a git worktree of an earlier commit) whose provenance runs "
        "as a fourth configuration, taking turns with the others",
    )
    args = parser.parse_args()
    if args.quick:
        args.modify_items, args.import_tracks, args.repeats = 1000, 50, 1
    configurations = list(CONFIGURATIONS)
    if args.earlier_code:
        earlier = args.earlier_code.resolve()
        configurations.append(
            Configuration(f"{PROVENANCE.name} (code of {earlier.name})", ["provenance"], earlier)
        )
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "plugins").mkdir(parents=True)
    (WORK / "plugins" / "idle.py").write_text(IDLE_PLUGIN)
    sizes = sorted({args.modify_items, min(1000, args.modify_items)})
    for size in sizes:
        template = WORK / f"library-{size}.db"
        build_tagged_library(template, WORK / "modify" / "music", size)
        title = f"beet modify of {size} items (--nowrite --nomove)"
        if args.instructions:
            report_instructions(title, size, modify_instructions(template, configurations))
            continue
        times = modify_runs(template, size, args.repeats, configurations)
        report(title, size, "item", times)
    if args.instructions:
        return
    sources = WORK / "sources"
    make_sources(sources, args.import_tracks)
    times = import_runs(sources, args.repeats, configurations)
    report(f"beet import -A -q of {args.import_tracks} tracks", args.import_tracks, "track", times)


if __name__ == "__main__":
    main()
