"""Duplicate finder benchmark: accuracy on the tuning corpus and on a held-out corpus, side by
side and per kind of copy, next to plain Chromaprint and the beets ``duplicates`` recipe measured
in the same run; then the time to group a synthetic 100k-fingerprint index.

    .venv/bin/python benchmarks/dupes_bench.py            # 8 songs of 40 s a corpus, 100k index
    .venv/bin/python benchmarks/dupes_bench.py --quick    # 3 songs of 30 s, 20k index
    .venv/bin/python benchmarks/dupes_bench.py --hashing  # and the hashing throughput

The corpora are written under benchmarks/.work/dupes/ (ignored by git) and reused by later runs
with the same sizes (their manifests say what they hold); the first run renders and encodes them
(about a minute per song on two cores).

- tuning: seeded tunes (``benchmarks/dupes/corpus.py``); the finder's constants were chosen here.
- held-out: MIDI songs played through a General MIDI SoundFont (``benchmarks/dupes/heldout.py``,
  ``benchmarks/soundfont``), never used to choose anything.

Both get the same kinds of copies (``benchmarks/dupes/edits.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import itertools
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from beets.library import Item, Library  # noqa: E402

from beetcrate import audiohash, media  # noqa: E402
from beetcrate.fingerprints import (  # noqa: E402
    MAX_SECONDS,
    RATE,
    decode_fingerprint,
    essentia_algorithms,
    fingerprint,
)
from beetcrate.synth import tunes  # noqa: E402
from beetsplug.dupes import store  # noqa: E402
from beetsplug.dupes.fingerprint import compare  # noqa: E402
from beetsplug.dupes.group import _components, match_new, regroup  # noqa: E402
from beetsplug.dupes.model import GroupKind  # noqa: E402
from beetsplug.dupes.rank import DEFAULT_RANKING, Ranking  # noqa: E402
from beetsplug.dupes.scan import Scanner  # noqa: E402
from beetsplug.dupes.timing import HitTimer  # noqa: E402
from benchmarks.dupes import corpus, edits, heldout, labels, synthetic  # noqa: E402
from benchmarks.dupes.labels import MASTER, RETAGGED, File, HardNegative  # noqa: E402

WORK = ROOT / "benchmarks" / ".work" / "dupes"
Pairs = set[frozenset[str]]
METHODS = ("beetcrate", "plain Chromaprint", "beets duplicates")
PLAIN_MAX_BER = 0.35  # plain Chromaprint: a pair matches below this bit error rate...
PLAIN_MAX_SHIFT = 80  # ...at its best offset within this many frames (10 s)


def pairs_of(groups: Iterable[Iterable[str]]) -> Pairs:
    return {frozenset(p) for g in groups for p in itertools.combinations(sorted(set(g)), 2)}


def by_key(paths: Iterable[str], key: Callable[[str], str | None]) -> Pairs:
    groups: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        value = key(path)
        if value is not None:
            groups[value].append(path)
    return pairs_of(groups.values())


def score(predicted: Pairs, truth: Pairs) -> tuple[float, float]:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    return precision, hits / len(truth) if truth else 1.0


# The corpora, built once and reused ----------------------------------------------------------


def load_or_build(
    name: str, songs: int, seconds: float, seed: int = heldout.SEED
) -> tuple[list[File], list[HardNegative]]:
    root = WORK / name
    manifest = root / "manifest.json"
    # A corpus is rebuilt when its size or the code that makes it changed (its own code only:
    # changing the tuning corpus does not rebuild the held-out one).
    makers = [Path(m.__file__ or "") for m in (edits, labels)]
    if name == "tuning":
        makers += [Path(corpus.__file__ or ""), Path(tunes.__file__ or "")]
    else:
        makers.append(Path(heldout.__file__ or ""))
        makers += sorted((ROOT / "benchmarks" / "soundfont").glob("*.py"))
    code = hashlib.sha256(b"".join(path.read_bytes() for path in makers))
    wanted = {"songs": songs, "seconds": seconds, "seed": seed, "code": code.hexdigest()}
    if manifest.exists():
        saved = json.loads(manifest.read_text())
        if saved["params"] == wanted:
            files = [
                File(Path(f["path"]), f["audio"], f["recording"], f["kind"]) for f in saved["files"]
            ]
            return files, [HardNegative(**n) for n in saved["negatives"]]
    started = time.perf_counter()
    if name == "tuning":
        files, negatives = corpus.build(root, songs, seconds)
    else:
        files, negatives = heldout.build(root, songs, seconds, seed)
    manifest.write_text(
        json.dumps(
            {
                "params": wanted,
                "files": [{**asdict(f), "path": str(f.path)} for f in files],
                "negatives": [asdict(n) for n in negatives],
            }
        )
    )
    print(f"built the {name} corpus in {time.perf_counter() - started:.0f} s")
    return files, negatives


# The methods --------------------------------------------------------------------------------


@dataclass
class Found:
    exact: Pairs  # pairs said to hold the same audio (empty: the method does not say)
    same: Pairs  # pairs said to be the same recording (exact pairs included)
    seconds: float


def beetcrate(name: str, files: list[File]) -> Found:
    """The real plugin code on a real beets library: scan, then group."""
    lib_path, db_path = WORK / f"{name}-library.db", WORK / f"{name}-beetcrate.db"
    for path in (lib_path, db_path):
        path.unlink(missing_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):  # beets' notes on its schema migrations
        lib = Library(str(lib_path), str(WORK / name))
    for f in files:
        lib.add(Item.from_path(str(f.path)))
    started = time.perf_counter()
    report = Scanner(lib, str(db_path)).run(lib.items())
    groups = regroup(lib, store.open_store(db_path), Ranking(DEFAULT_RANKING))
    elapsed = time.perf_counter() - started
    if report.errors:
        print("scan errors:", *report.errors, sep="\n  ")
    exact = pairs_of([m.path for m in g.members] for g in groups if g.kind is GroupKind.EXACT)
    same = exact | pairs_of([m.path for m in g.members] for g in groups)
    lib._close()
    return Found(exact, same, elapsed)


def raw_fingerprints(paths: list[str]) -> dict[str, str]:
    """What ``fpcalc`` (and so beets' chroma plugin) computes: the first 120 s as decoded."""
    printer = essentia_algorithms().Chromaprinter(sampleRate=RATE, maxLength=0)
    prints = {}
    for path in paths:
        samples, _ = media.decode(path, sample_rate=RATE, mono=True)
        prints[path] = printer(samples[0, : int(MAX_SECONDS * RATE)])
    return prints


def plain_chromaprint(prints: dict[str, str]) -> Found:
    """Chromaprint as AcoustID compares it: the bit error rate at the best offset."""
    started = time.perf_counter()
    paths = list(prints)
    values = [decode_fingerprint(prints[p]) for p in paths]
    size = 2 * max(v.size for v in values)
    spectra = [np.fft.rfft(_signs(v), n=size, axis=0) for v in values]
    found: Pairs = set()
    for i in range(len(paths)):
        for j in range(i + 1, len(paths)):
            if _best_ber(values[i].size, values[j].size, spectra[i], spectra[j], size) < (
                PLAIN_MAX_BER
            ):
                found.add(frozenset((paths[i], paths[j])))
    return Found(set(), found, time.perf_counter() - started)


def _signs(values: np.ndarray) -> np.ndarray:
    bits = np.unpackbits(values.astype("<u4").view(np.uint8).reshape(-1, 4), axis=1)
    return bits.astype(np.float32) * 2 - 1


def _best_ber(n_a: int, n_b: int, f_a: np.ndarray, f_b: np.ndarray, size: int) -> float:
    """Lowest bit error rate over shifts of up to ``PLAIN_MAX_SHIFT`` frames overlapping at
    least half the shorter fingerprint: one correlation of the ±1 bits, through the FFT."""
    correlation = np.fft.irfft((f_a * np.conj(f_b)).sum(axis=1), n=size)
    shifts = np.arange(-PLAIN_MAX_SHIFT, PLAIN_MAX_SHIFT + 1)
    overlap = np.minimum.reduce([np.full(shifts.size, min(n_a, n_b)), n_a - shifts, n_b + shifts])
    usable = overlap >= max(1, min(n_a, n_b) // 2)
    if not usable.any():
        return 1.0
    agreement = correlation[shifts % size][usable]
    return float((0.5 - agreement / (64 * overlap[usable])).min())


def beets_duplicates(prints: dict[str, str]) -> Found:
    """beets' recipe ``beet duplicates -k acoustid_fingerprint`` after ``beet fingerprint``:
    items whose fpcalc fingerprints are equal strings."""
    started = time.perf_counter()
    same = by_key(prints, prints.get)
    return Found(set(), same, time.perf_counter() - started)


# The report -----------------------------------------------------------------------------------


@dataclass
class Corpus:
    files: list[File]
    negatives: list[HardNegative]
    found: dict[str, Found]

    def truth(self) -> tuple[Pairs, Pairs]:
        paths = [str(f.path) for f in self.files]
        audio = {str(f.path): f.audio for f in self.files}
        recording = {str(f.path): f.recording for f in self.files}
        return by_key(paths, audio.get), by_key(paths, recording.get)

    def copy_kinds(self) -> list[str]:
        songs = {f.recording for f in self.files if f.kind == MASTER}
        kinds = [f.kind for f in self.files if f.recording in songs and f.kind != MASTER]
        return list(dict.fromkeys(kinds))

    def recall_of(self, kind: str, method: str) -> tuple[int, int]:
        """Found and true same-recording pairs holding a copy of ``kind``."""
        kind_of = {str(f.path): f.kind for f in self.files}
        _, same = self.truth()
        mine = {p for p in same if kind in {kind_of[x] for x in p}}
        return len(mine & self.found[method].same), len(mine)

    def merges(self, kind: str | None, method: str) -> tuple[int, int]:
        """Pairs merged across hard negatives (of ``kind``, or all), and such pairs in all."""
        recording = {str(f.path): f.recording for f in self.files}
        banned = {frozenset((n.a, n.b)) for n in self.negatives if kind in (None, n.kind)}
        paths = list(recording)
        crossing = {
            frozenset((a, b))
            for a, b in itertools.combinations(paths, 2)
            if frozenset((recording[a], recording[b])) in banned
        }
        return len(crossing & self.found[method].same), len(crossing)


def evaluate(name: str, songs: int, seconds: float, seed: int = heldout.SEED) -> Corpus:
    files, negatives = load_or_build(name, songs, seconds, seed)
    prints = raw_fingerprints([str(f.path) for f in files])
    found = {
        "beetcrate": beetcrate(name, files),
        "plain Chromaprint": plain_chromaprint(prints),
        "beets duplicates": beets_duplicates(prints),
    }
    return Corpus(files, negatives, found)


def _cell(found: int, total: int) -> str:
    return f"{found / total:.3f} ({found}/{total})" if total else "—"


def print_summary(corpora: dict[str, Corpus]) -> None:
    print(
        "| corpus | method | exact-audio P | exact-audio R | same-recording P | same-recording R"
        " | hard-negative merges |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, c in corpora.items():
        exact_truth, same_truth = c.truth()
        for method in METHODS:
            found = c.found[method]
            exact_p, exact_r = score(found.exact, exact_truth) if found.exact else (None, None)
            same_p, same_r = score(found.same, same_truth)
            merged, crossing = c.merges(None, method)
            exact = (
                f"{exact_p:.3f} | {exact_r:.3f}"
                if exact_p is not None and exact_r is not None
                else "— | —"
            )
            print(
                f"| {name} | {method} | {exact} | {same_p:.3f} | {same_r:.3f}"
                f" | {merged} of {crossing} pairs |"
            )


def print_per_kind(corpora: dict[str, Corpus]) -> None:
    names = list(corpora)
    header = " | ".join(f"{n}: {m}" for n in names for m in METHODS)
    print(f"| kind | {header} |")
    print("|---" * (1 + len(names) * len(METHODS)) + "|")
    kinds = list(dict.fromkeys(k for c in corpora.values() for k in c.copy_kinds()))
    for kind in kinds:
        cells = [
            _cell(*c.recall_of(kind, m)) if kind in c.copy_kinds() else "—"
            for c in corpora.values()
            for m in METHODS
        ]
        print(f"| {kind} (recall) | {' | '.join(cells)} |")
    negative_kinds = list(dict.fromkeys(n.kind for c in corpora.values() for n in c.negatives))
    for kind in negative_kinds:
        cells = []
        for c in corpora.values():
            for m in METHODS:
                merged, crossing = c.merges(kind, m)
                cells.append(f"{merged} of {crossing}" if crossing else "—")
        print(f"| {kind} (pairs merged) | {' | '.join(cells)} |")


def grouping(count: int) -> dict[str, float]:
    """The real matching path (sidecar fingerprints -> index -> compare -> edges -> components)
    over a synthetic index of ``count`` fingerprints."""
    generated = time.perf_counter()
    fingerprints, source = synthetic.index(count, copies=0.2)
    hashes = [f"{i:032x}" for i in range(count)]
    db_path = WORK / "synthetic.db"
    db_path.unlink(missing_ok=True)
    db = store.open_store(db_path)
    with db.conn:
        db.conn.executemany(
            "INSERT INTO dupes_fingerprints (audio_hash, fingerprint, duration) VALUES (?, ?, ?)",
            [
                (h, v.astype("<u4").tobytes(), v.size * 0.124)
                for h, v in zip(hashes, fingerprints, strict=True)
            ],
        )
    generated = time.perf_counter() - generated
    started = time.perf_counter()
    match_new(db, set(hashes), {})  # no files: the hits are not timed (see timing.py)
    edges = store.edges(db)
    components = _components(set(hashes), edges)
    elapsed = time.perf_counter() - started
    truth = by_key(hashes, lambda h: str(source[int(h, 16)]))
    precision, recall = score(pairs_of(components), truth)
    db.conn.close()
    db_path.unlink()
    return {
        "seconds": elapsed,
        "generate": generated,
        "edges": len(edges),
        "precision": precision,
        "recall": recall,
    }


def import_matching(count: int, runs: int = 5) -> float:
    """What the import hook's regroup spends matching one new track into a library of
    ``count`` fingerprints whose durations spread like a real library's (median of ``runs``)."""
    fingerprints, _ = synthetic.index(count + runs, copies=0.2, seed=1)
    rng = np.random.default_rng(2)
    durations = np.exp(rng.uniform(np.log(120), np.log(480), len(fingerprints)))
    hashes = [f"{i:032x}" for i in range(len(fingerprints))]
    db_path = WORK / "import.db"
    times = []
    for run in range(runs):
        db_path.unlink(missing_ok=True)
        db = store.open_store(db_path)
        with db.conn:
            db.conn.executemany(
                "INSERT INTO dupes_fingerprints (audio_hash, fingerprint, duration)"
                " VALUES (?, ?, ?)",
                [
                    (h, v.astype("<u4").tobytes(), float(d))
                    for h, v, d in zip(hashes, fingerprints, durations, strict=True)
                ],
            )
        store.mark_matched(db, hashes[: count + run])  # the library, matched before
        started = time.perf_counter()
        match_new(db, set(hashes[: count + run + 1]), {})
        times.append(time.perf_counter() - started)
        db.conn.close()
    db_path.unlink()
    return sorted(times)[runs // 2]


def hit_timing(files: list[File]) -> tuple[float, int]:
    """What timing the hits of one pair costs (``timing.HitTimer``, both files decoded afresh,
    as the import hook does for a new track and each copy of it): the median over one song's
    master against each of its copies, in seconds, and the pairs timed."""
    master = next(f for f in files if f.kind == MASTER)
    copies = [f for f in files if f.recording == master.recording and f.kind != MASTER]
    times = []
    for copy in copies:
        a, b = fingerprint(copy.path), fingerprint(master.path)
        offset = compare(a.values, b.values).offset
        started = time.perf_counter()
        HitTimer({"a": str(copy.path), "b": str(master.path)}).gap("a", "b", offset)
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2], len(times)


def print_hashing(minutes: float) -> None:
    long_files = corpus.throughput_files(WORK / "long", minutes)
    size = sum(p.stat().st_size for p in long_files)
    buffer = bytearray(audiohash.CHUNK)

    def raw(path: Path) -> None:
        with path.open("rb", buffering=0) as f:
            while f.readinto(buffer):
                pass

    readers: dict[str, Callable[[Path], object]] = {
        "raw sequential read": raw,
        "whole-file xxh3-128": audiohash.whole_file_hash,
        "audio-only xxh3-128": audiohash.audio_hash,
        "pre-screen (size + 64 KiB)": audiohash.prescreen,
    }
    # Readers take turns, each pass repeated for 0.3 s, and the best of 8 rounds counts, so load
    # from other processes skews them all alike.
    best = dict.fromkeys(readers, 0.0)
    for _ in range(8):
        for name, reader in readers.items():
            passes, started = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - started) < 0.3:
                for path in long_files:
                    reader(path)
                passes += 1
            best[name] = max(best[name], passes * size / elapsed / 1e6)
    print(f"\nHashing throughput, {len(long_files)} tagged files of {minutes} min:\n")
    print("| reader | MB/s | vs whole-file xxh3 |")
    print("|---|---|---|")
    for name, rate in best.items():
        print(f"| {name} | {rate:.0f} | {rate / best['whole-file xxh3-128']:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller corpora and index")
    parser.add_argument("--songs", type=int, help="songs per corpus")
    parser.add_argument("--seconds", type=float, help="length of each song")
    parser.add_argument("--index", type=int, help="fingerprints in the synthetic index")
    parser.add_argument("--hashing", action="store_true", help="also the hashing throughput")
    parser.add_argument(
        "--heldout-seeds",
        default=str(heldout.SEED),
        help="draws of the held-out generator, comma-separated, each its own corpus"
        " (default: %(default)s)",
    )
    args = parser.parse_args()
    songs, seconds, index_size = (3, 30.0, 20_000) if args.quick else (8, 40.0, 100_000)
    songs, seconds = args.songs or songs, args.seconds or seconds
    index_size = args.index or index_size
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    corpora = {"tuning": evaluate("tuning", songs, seconds)}
    for seed in (int(s) for s in args.heldout_seeds.split(",")):
        name = "held-out" if seed == heldout.SEED else f"held-out-{seed}"
        corpora[name] = evaluate(name, songs, seconds, seed)
    for name, c in corpora.items():
        exact, same = c.truth()
        retagged = sum(f.kind == RETAGGED for f in c.files)
        print(
            f"\n{name}: {len(c.files)} files from {songs} songs of {seconds:.0f} s"
            f" ({retagged} retagged copies; {len(exact)} exact-audio and {len(same)}"
            f" same-recording pairs; {len(c.negatives)} hard-negative relations);"
            f" beetcrate scan + grouping {c.found['beetcrate'].seconds:.1f} s"
        )
    print("\nWhole corpora (pairwise precision and recall):\n")
    print_summary(corpora)
    print(
        "\nPer kind: recall of the same-recording pairs holding a copy of that kind; for hard"
        " negatives, the pairs across the two recordings that were merged (0 is right):\n"
    )
    print_per_kind(corpora)

    if args.hashing:
        print_hashing(3)

    result = grouping(index_size)
    print(
        f"\nGrouping a synthetic index of {index_size:,} fingerprints (20% noisy shifted copies,"
        f" generated and stored in {result['generate']:.0f} s):\n"
    )
    print("| fingerprints | edges | seconds | precision | recall |")
    print("|---|---|---|---|---|")
    print(
        f"| {index_size:,} | {result['edges']:,} | {result['seconds']:.1f} |"
        f" {result['precision']:.3f} | {result['recall']:.3f} |"
    )
    library = index_size // 5
    print(
        f"\nThe import hook's matching of one new track into {library:,} fingerprints:"
        f" {import_matching(library):.2f} s (median of 5)"
    )
    seconds, pairs = hit_timing(corpora["tuning"].files)
    print(
        f"\nTiming the hits of one pair the fingerprints call the same recording (two excerpts"
        f" decoded): {seconds * 1000:.0f} ms (median of {pairs} pairs)"
    )
    print(f"\nTotal benchmark time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
