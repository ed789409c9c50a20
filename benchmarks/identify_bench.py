"""identify on the messy library, beside beets alone and beets with ``chroma``, in one run.

Run from the repository root (a few minutes with the default three sets on two cores):

    .venv/bin/python benchmarks/identify_bench.py [--sets N]

The library is the test suite's (``tests/identify/catalogue.py``): per set, a well-tagged album
and single, an album with typos, an album and two files without tags, two files with misleading
tags and two files no service knows (16 files, 14 knowable). Set 0 is the one the tests (and so
the thresholds) were developed on; the other sets are held out: new tunes, names and lengths.
The services are the tests' fakes: MusicBrainz ws/2 and AcoustID v2/lookup on 127.0.0.1.

Each configuration imports the same files quietly (``beet import -q``: albums, then the loose
files with ``-s``), from a fresh library; an item counts as identified correctly when it ends
with the recording id of the audio it holds, wrongly with another, and as left for the user
otherwise. ``chroma`` computes fingerprints with ``fpcalc`` or libchromaprint, neither of which
this machine has: the benchmark gives it the same fingerprints identify uses (a stand-in for
``acoustid.fingerprint_file``) and points pyacoustid at the fake, the only way to aim chroma at
another server. A last pair of runs times the import of the well-tagged albums alone, with and
without identify: the stage must cost nothing when the tags already match.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import acoustid  # noqa: E402

from beetcrate import fingerprints  # noqa: E402
from tests.helper import BeetsHome, run_beet  # noqa: E402
from tests.identify.catalogue import (  # noqa: E402
    Kind,
    LibraryFile,
    Outcome,
    messy_library,
    outcome,
    write_files,
)
from tests.identify.fakes import (  # noqa: E402
    FakeAcoustid,
    FakeMusicBrainz,
    catalogue_prints,
)

WORK = ROOT / "benchmarks" / ".work" / "identify"
CHROMA_KEY = "1vOwZtEn"  # the application key chroma sends (beetsplug.chroma.API_KEY)


@dataclass
class Run:
    name: str
    outcomes: dict[str, Outcome]  # by path
    lookups: int
    seconds: float
    tracks: int


def chroma_fingerprint_file(path: str, *args: object, **kwargs: object) -> tuple[float, bytes]:
    """pyacoustid's ``fingerprint_file`` for chroma, from beetcrate's fingerprints (no fpcalc)."""
    print_ = fingerprints.fingerprint(path)
    return print_.duration, print_.encoded.encode()


def import_library(
    name: str,
    plugins: list[str],
    files: dict[str, LibraryFile],
    source: Path,
    musicbrainz: FakeMusicBrainz,
    acoustid_fake: FakeAcoustid,
    kinds: set[Kind] | None = None,
) -> Run:
    work = WORK / name
    shutil.rmtree(work, ignore_errors=True)
    incoming = work / "incoming"
    shutil.copytree(source, incoming)
    home = BeetsHome(work)
    os.environ["BEETSDIR"] = str(home.dir)
    home.configure(
        plugins=plugins,
        musicbrainz={"host": musicbrainz.host, "https": False, "ratelimit": 100},
        identify={"acoustid": {"apikey": CHROMA_KEY, "url": acoustid_fake.url}},
        **{
            "import": {
                "copy": False,
                "move": False,
                "write": True,
                "resume": False,
                "log": str(work / "import.log"),
            }
        },
    )
    wanted = {
        str(incoming / spec.path): spec
        for spec in files.values()
        if kinds is None or spec.kind in kinds
    }
    albums = sorted({str(Path(p).parent) for p, s in wanted.items() if not s.singleton})
    singles = sorted(p for p, s in wanted.items() if s.singleton)
    acoustid.set_base_url(acoustid_fake.url)  # for chroma; identify sets its own
    before = len(acoustid_fake.lookups)
    started = time.perf_counter()
    if albums:
        run_beet("import", "-q", *albums)
    if singles:
        run_beet("import", "-q", "-s", *singles)
    seconds = time.perf_counter() - started
    found = {str(item.filepath): item.mb_trackid for item in home.lib.items()}
    home.close()
    return Run(
        name,
        {path: outcome(spec, found.get(path)) for path, spec in wanted.items()},
        len(acoustid_fake.lookups) - before,
        seconds,
        len(wanted),
    )


def table(runs: list[Run], files: dict[str, LibraryFile], source: Path) -> None:
    by_path = {str(source / spec.path): spec for spec in files.values()}
    header = (
        f"{'configuration':<18} {'part':<9} {'kind':<12} {'files':>5} {'correct':>7}"
        f" {'wrong':>5} {'left':>5}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        rows: dict[tuple[str, str], Counter[Outcome]] = {}
        for path, result in run.outcomes.items():
            spec = by_path[str(source / Path(path).relative_to(WORK / run.name / "incoming"))]
            part = "tuning" if "set0" in spec.path else "held-out"
            for key in ((part, spec.kind.value), (part, "all")):
                rows.setdefault(key, Counter())[result] += 1
        for (part, kind), counts in sorted(rows.items()):
            total = sum(counts.values())
            print(
                f"{run.name:<18} {part:<9} {kind:<12} {total:>5} {counts[Outcome.CORRECT]:>7}"
                f" {counts[Outcome.WRONG]:>5} {counts[Outcome.LEFT]:>5}"
            )
    print()
    header = (
        f"{'configuration':<18} {'files':>5} {'correct':>7} {'wrong':>5} {'left':>5}"
        f" {'knowable right':>14} {'lookups':>7} {'s/track':>7}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        counts = Counter(run.outcomes.values())
        knowable = sum(1 for p in run.outcomes if "unknown" not in p)
        right = sum(1 for p, o in run.outcomes.items() if o is Outcome.CORRECT)
        print(
            f"{run.name:<18} {run.tracks:>5} {counts[Outcome.CORRECT]:>7}"
            f" {counts[Outcome.WRONG]:>5} {counts[Outcome.LEFT]:>5}"
            f" {f'{right}/{knowable}':>14} {run.lookups:>7} {run.seconds / run.tracks:>7.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", type=int, default=3, help="sets of 16 files (set 0: tuning)")
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    catalogue, specs = messy_library(args.sets)
    source = WORK / "source"
    write_files(specs, source)
    files = {spec.path: spec for spec in specs}
    prints = catalogue_prints(catalogue, WORK / "acoustid-catalogue")
    musicbrainz = FakeMusicBrainz(catalogue)
    acoustid_fake = FakeAcoustid(catalogue, prints, apikey=CHROMA_KEY)
    acoustid.fingerprint_file = chroma_fingerprint_file
    try:
        runs = [
            import_library(name, plugins, files, source, musicbrainz, acoustid_fake)
            for name, plugins in (
                ("beets alone", ["musicbrainz"]),
                ("beets + chroma", ["musicbrainz", "chroma"]),
                ("beets + identify", ["musicbrainz", "identify"]),
            )
        ]
        well = {Kind.WELL_TAGGED}
        timing = [
            import_library(name, plugins, files, source, musicbrainz, acoustid_fake, well)
            for name, plugins in (
                ("well: beets", ["musicbrainz"]),
                ("well: + identify", ["musicbrainz", "identify"]),
            )
        ]
    finally:
        musicbrainz.close()
        acoustid_fake.close()
    print(
        f"messy library: {len(specs)} files in {args.sets} set(s)"
        f" ({sum(1 for s in specs if s.kind is not Kind.UNKNOWN)} knowable)\n"
    )
    table(runs, files, source)
    print()
    for run in timing:
        print(
            f"{run.name:<18} {run.tracks:>3} well-tagged files: {run.seconds / run.tracks:.3f}"
            f" s/track, {run.lookups} fingerprint lookups,"
            f" {Counter(run.outcomes.values())[Outcome.CORRECT]} correct"
        )


if __name__ == "__main__":
    main()
