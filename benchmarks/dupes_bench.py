"""Duplicate finder benchmark: accuracy on a labelled messy library, hashing speed, and
grouping time at 100k fingerprints, next to the naive peers measured in the same run.

    .venv/bin/python benchmarks/dupes_bench.py            # about 3 minutes on 2 cores
    .venv/bin/python benchmarks/dupes_bench.py --quick    # under a minute

Everything it writes goes to benchmarks/.work/dupes/ (ignored by git).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from beets.library import Item, Library  # noqa: E402

from beetcrate import audiohash, media  # noqa: E402
from beetcrate.fingerprints import decode_fingerprint, essentia_algorithms  # noqa: E402
from beetsplug.dupes import store  # noqa: E402
from beetsplug.dupes.group import _components, match_new, regroup  # noqa: E402
from beetsplug.dupes.model import GroupKind, Relation  # noqa: E402
from beetsplug.dupes.rank import DEFAULT_RANKING, Ranking  # noqa: E402
from beetsplug.dupes.scan import Scanner  # noqa: E402
from benchmarks.dupes import corpus, synthetic  # noqa: E402

WORK = ROOT / "benchmarks" / ".work" / "dupes"
Pairs = set[frozenset[str]]


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


def hard_negative_merges(
    predicted: Pairs, files: list[corpus.File], negatives: list[corpus.HardNegative]
) -> int:
    recording = {str(f.path): f.recording for f in files}
    banned = {frozenset((n.a, n.b)) for n in negatives}
    return sum(1 for p in predicted if frozenset(recording[x] for x in p) in banned)


def beetcrate_groups(
    files: list[corpus.File],
) -> tuple[Pairs, Pairs, set[frozenset[str]], float]:
    """Run the real plugin code on a real beets library: scan, then group."""
    lib_path = WORK / "library.db"
    db_path = WORK / "beetcrate.db"
    for path in (lib_path, db_path):
        path.unlink(missing_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):  # beets' notes on its schema migrations
        lib = Library(str(lib_path), str(WORK / "corpus"))
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
    recording = {str(f.path): f.recording for f in files}
    hash_recording = {item["audio_hash"]: recording[item.path.decode()] for item in lib.items()}
    related = {
        frozenset((hash_recording[a], hash_recording[b]))
        for a, b, relation, _ in store.edges(store.open_store(db_path))
        if relation is Relation.RELATED
    }
    lib._close()
    return exact, same, related, elapsed


def plain_chromaprint(paths: list[str], max_ber: float = 0.35) -> Pairs:
    """The naive peer: fpcalc-style fingerprint of the raw file, bit error rate at offset 0."""
    printer = essentia_algorithms().Chromaprinter(sampleRate=11025, maxLength=0)
    values = {}
    for path in paths:
        samples, _ = media.decode(path, sample_rate=11025, mono=True)
        values[path] = decode_fingerprint(printer(samples[0]))
    found = set()
    for a, b in itertools.combinations(paths, 2):
        n = min(values[a].size, values[b].size)
        errors = np.bitwise_count(values[a][:n] ^ values[b][:n]).sum() / (32 * n) if n else 1.0
        if errors < max_ber:
            found.add(frozenset((a, b)))
    return found


def ffmpeg_crc(paths: list[str]) -> Pairs | None:
    """beets' ``duplicates`` checksum: ``ffmpeg -i FILE -f crc -``; None without ffmpeg."""
    if shutil.which("ffmpeg") is None:
        return None

    def crc(path: str) -> str | None:
        run = subprocess.run(
            ["ffmpeg", "-v", "quiet", "-i", path, "-f", "crc", "-"], capture_output=True
        )
        return run.stdout.decode().strip() if run.returncode == 0 else None

    return by_key(paths, crc)


def throughput(paths: list[Path], seconds: float = 0.3, rounds: int = 8) -> dict[str, float]:
    """MB/s over a warm page cache. Readers take turns, each pass repeated for ``seconds``, and
    the best round counts, so load from other processes skews them all alike."""
    size = sum(p.stat().st_size for p in paths)
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
    best = dict.fromkeys(readers, 0.0)
    for _ in range(rounds):
        for name, reader in readers.items():
            passes, started = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - started) < seconds:
                for path in paths:
                    reader(path)
                passes += 1
            best[name] = max(best[name], passes * size / elapsed / 1e6)
    return best


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
            "INSERT INTO dupes_fingerprints (audio_hash, encoded, fingerprint, duration)"
            " VALUES (?, '', ?, ?)",
            [
                (h, v.astype("<u4").tobytes(), v.size * 0.124)
                for h, v in zip(hashes, fingerprints, strict=True)
            ],
        )
    generated = time.perf_counter() - generated
    started = time.perf_counter()
    match_new(db, set(hashes))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller corpus and index")
    args = parser.parse_args()
    songs, seconds, index_size, minutes = (
        (4, 12.0, 20_000, 1) if args.quick else (8, 16.0, 100_000, 3)
    )

    started = time.perf_counter()
    files, negatives = corpus.build(WORK / "corpus", songs, seconds)
    build_time = time.perf_counter() - started
    paths = [str(f.path) for f in files]
    audio_label = {str(f.path): f.audio for f in files}
    rec_label = {str(f.path): f.recording for f in files}
    exact_truth = by_key(paths, audio_label.get)
    same_truth = by_key(paths, rec_label.get)

    exact, same, related, scan_time = beetcrate_groups(files)
    whole = by_key(paths, audiohash.whole_file_hash)
    crc = ffmpeg_crc(paths)
    plain = plain_chromaprint(paths)

    print(
        f"\nCorpus: {len(files)} files from {songs} songs of {seconds:.0f} s "
        f"({len(exact_truth)} exact-audio pairs, {len(same_truth)} same-recording pairs, "
        f"{len(negatives)} hard-negative pairs); built in {build_time:.0f} s; "
        f"beetcrate scan + grouping {scan_time:.1f} s ({len(files) / scan_time:.1f} files/s)\n"
    )
    rows = [
        ("beetcrate audio-only hash", "exact-audio", exact, exact_truth),
        ("whole-file xxh3-128", "exact-audio", whole, exact_truth),
        ("ffmpeg -f crc (beets duplicates)", "exact-audio", crc, exact_truth),
        ("beetcrate fingerprints + index", "same-recording", same, same_truth),
        ("plain Chromaprint, BER<0.35 @0", "same-recording", plain, same_truth),
    ]
    print(
        f"| {'method':<34} | {'kind':<14} | {'pairs':>5} | {'precision':>9} | {'recall':>6} "
        f"| {'hard-neg merges':>15} |"
    )
    print(f"|{'-' * 36}|{'-' * 16}|{'-' * 7}|{'-' * 11}|{'-' * 8}|{'-' * 17}|")
    for name, kind, predicted, truth in rows:
        if predicted is None:
            print(
                f"| {name:<34} | {kind:<14} | {'—':>5} | {'—':>9} | {'—':>6} | {'—':>15} |"
                "  (no ffmpeg binary here: not measured)"
            )
            continue
        precision, recall = score(predicted, truth)
        merges = hard_negative_merges(predicted, files, negatives)
        print(
            f"| {name:<34} | {kind:<14} | {len(predicted):>5} | {precision:>9.3f} | "
            f"{recall:>6.3f} | {merges:>15} |"
        )
    expected = {frozenset((n.a, n.b)) for n in negatives if n.kind == "radio edit vs extended"}
    print(
        f"\nRadio edit vs extended version: {len(expected & related)} of {len(expected)} pairs"
        f" reported as 'related' (not duplicates); other pairs reported related:"
        f" {len(related - expected)}"
    )

    long_files = corpus.throughput_files(WORK / "long", minutes)
    rates = throughput(long_files)
    total = sum(p.stat().st_size for p in long_files) / 1e6
    print(
        f"\nHashing throughput, {len(long_files)} tagged files of {minutes} min "
        f"(FLAC, MP3, Vorbis, AAC; {total:.0f} MB, warm cache, best of 8 interleaved rounds):\n"
    )
    print(f"| {'reader':<28} | {'MB/s':>8} | {'vs whole-file xxh3':>18} |")
    print(f"|{'-' * 30}|{'-' * 10}|{'-' * 20}|")
    for name, rate in rates.items():
        ratio = rate / rates["whole-file xxh3-128"]
        print(f"| {name:<28} | {rate:>8.0f} | {ratio:>17.0%} |")

    result = grouping(index_size)
    print(
        f"\nGrouping a synthetic index of {index_size:,} fingerprints (20% noisy shifted copies, "
        f"generated and stored in {result['generate']:.0f} s):\n"
    )
    print(
        f"| {'fingerprints':>12} | {'edges':>10} | {'seconds':>7} | {'precision':>9} "
        f"| {'recall':>6} |"
    )
    print(f"|{'-' * 14}|{'-' * 12}|{'-' * 9}|{'-' * 11}|{'-' * 8}|")
    print(
        f"| {index_size:>12,} | {result['edges']:>10,} | {result['seconds']:>7.1f} | "
        f"{result['precision']:>9.3f} | {result['recall']:>6.3f} |"
    )
    print(f"\nTotal benchmark time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
