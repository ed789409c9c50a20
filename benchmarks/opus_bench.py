"""Opus benchmarks: encode speed, on-the-fly streams, mirror sync throughput, no-change re-sync.

Run from the repository root (about four minutes on two cores with the defaults):

    .venv/bin/python benchmarks/opus_bench.py [--quick] [--resync-tracks N]

Everything runs on synthesized audio in ``benchmarks/.work/opus`` (removed first). Encodes go
through the real media layer, streams through the real ``Transcoder``, syncs through the real
plan/run code on a real beets library and a real SqliteHuey queue with a Huey consumer. Numbers
on a machine shared with other work vary by tens of percent between runs.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import beets  # noqa: E402
from beets.library import Item, Library  # noqa: E402

from beetcrate import media  # noqa: E402
from beetcrate.queue import huey, open_queue  # noqa: E402
from beetcrate.settings import QueueSettings  # noqa: E402
from beetcrate.synth import tones  # noqa: E402
from beetcrate.transcode import (  # noqa: E402
    Job,
    Profile,
    TranscodeConfig,
    Transcoder,
    estimate_length,
    fit_to_length,
)

WORK = ROOT / "benchmarks" / ".work" / "opus"
RATE = 44100
CLI_OPUS = ["-c:a", "libopus", "-b:a", "128k"]


def make_sources(count: int, seconds: float, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"source{n:03d}.flac"
        media.write_audio(path, tones.plucked(seconds, n, RATE), RATE)
        paths.append(path)
    return paths


# --- Measurements -----------------------------------------------------------------------------


@dataclass
class Speed:
    """Audio seconds per wall-clock second, and per CPU second (what one free core would do)."""

    wall: float
    cpu: float


def encode_speed(sources: list[Path], seconds: float) -> tuple[Speed, Speed | None]:
    """x real time: media layer, and the ffmpeg CLI with libopus (one thread) if installed."""
    out = WORK / "encode.opus"
    audio = len(sources) * seconds
    wall, cpu = time.perf_counter(), time.process_time()
    for source in sources:
        media.encode_file(source, out, "opus", bit_rate=128_000)
    ours = Speed(audio / (time.perf_counter() - wall), audio / (time.process_time() - cpu))
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        return ours, None
    wall, cpu = time.perf_counter(), _children_cpu()
    for source in sources:
        subprocess.run(
            [ffmpeg, "-v", "error", "-y", "-threads", "1", "-i", str(source), *CLI_OPUS, str(out)],
            check=True,
        )
    return ours, Speed(audio / (time.perf_counter() - wall), audio / (_children_cpu() - cpu))


def kept_caps(
    sources: list[Path], seconds: float, caps: list[int]
) -> dict[str, tuple[float, float]]:
    """What on-the-fly Opus streams send against the cap asked (``maxBitRate``): the mean and
    highest kbps over the sources, Ogg pages and headers included, as a client receives them,
    free (constrained VBR) and promised a length (constant rate, padded to the promise)."""
    transcoder = Transcoder(_stream_config(), WORK / "cache-caps")
    found = {}
    for cap in caps:
        for constant in (False, True):
            sent = []
            for source in sources:
                job = Job(1, source, Profile("opus", cap), cap, constant_bit_rate=constant)
                chunks = transcoder.stream(job)
                if constant:
                    chunks = fit_to_length(chunks, estimate_length(seconds, cap, "opus"))
                sent.append(len(b"".join(chunks)) * 8 / seconds / 1000)
            label = f"{cap} kbps, {'promised length' if constant else 'free'}"
            found[label] = (statistics.mean(sent), max(sent))
    return found


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stream_latency(source: Path, runs: int) -> tuple[float, float]:
    """Median first-byte latency and total time (ms) of an uncached on-the-fly Opus stream,
    asked of the real Flask app (auth, the catalog, the transcoder) with its test client."""
    from beets.library import Item, Library

    from beetcrate import sidecar
    from beetcrate.settings import Settings
    from subsonic.app import create_app
    from subsonic.store import Users, load_key

    folder = WORK / "http"
    (folder / "music").mkdir(parents=True)
    shutil.copyfile(source, folder / "music" / "track.flac")
    with contextlib.redirect_stdout(io.StringIO()):
        lib = Library(str(folder / "library.db"), str(folder / "music"))
    item = Item.from_path(str(folder / "music" / "track.flac"))
    lib.add(item)
    lib._close()
    settings = Settings(
        beets_library=folder / "library.db",
        music_directory=folder / "music",
        db=folder / "beetcrate.db",
        secret_key_file=folder / "beetcrate.key",
        cache_dir=folder / "cache",
    )
    Users(sidecar.connect(settings.db), load_key(settings.secret_key_file)).add("bench", "pw")
    client = create_app(settings).test_client()
    firsts, totals = [], []
    for n in range(runs):
        # A different bitrate each time: a cached transcode would answer at once.
        query = {"u": "bench", "p": "pw", "v": "1.16.1", "c": "bench", "id": f"tr-{item.id}"}
        query |= {"format": "opus", "maxBitRate": 128 - n}
        start = time.perf_counter()
        response = client.get("/rest/stream", query_string=query, buffered=False)
        chunks = iter(response.response)
        assert next(chunks).startswith(b"OggS")
        firsts.append(time.perf_counter() - start)
        for _ in chunks:
            pass
        totals.append(time.perf_counter() - start)
        response.close()
    return statistics.median(firsts) * 1000, statistics.median(totals) * 1000


@dataclass
class Concurrency:
    streams: int
    slowest: float  # x real time of the stream that finished last
    cores_used: float  # CPU seconds / wall seconds: how much of the machine we actually got
    per_core: float  # audio seconds encoded per CPU second


def concurrent_streams(source: Path, seconds: float, counts: list[int]) -> list[Concurrency]:
    """N simultaneous uncached streams: how fast the slowest is delivered, in x real time.

    A stream "stays above real time" when even the slowest one is delivered faster than it
    plays (≥ 1.0x); all start together and the encoders share the cores evenly. Stops at the
    first N that falls below real time.
    """
    results = []
    for count in counts:
        transcoder = Transcoder(_stream_config(max_encoders=count), WORK / f"cache-conc-{count}")
        finish: list[float] = []
        lock = threading.Lock()
        start, cpu = time.perf_counter(), time.process_time()

        def consume(stream, finish=finish, lock=lock, start=start) -> None:
            for _ in stream:
                pass
            with lock:
                finish.append(time.perf_counter() - start)

        streams = [
            transcoder.stream(Job(n, source, Profile("opus", 128), 128)) for n in range(count)
        ]
        threads = [threading.Thread(target=consume, args=(s,)) for s in streams]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall, used = max(finish), time.process_time() - cpu
        results.append(Concurrency(count, seconds / wall, used / wall, count * seconds / used))
        if seconds / wall < 1.0:
            break
    return results


def _stream_config(max_encoders: int = 8) -> TranscodeConfig:
    return TranscodeConfig(
        profiles={"opus": Profile("opus", 128)},
        default="opus",
        max_encoders=max_encoders,
        max_encoders_per_user=max_encoders,
    )


def _library(folder: Path, sources: list[Path], tracks: int, link: bool) -> Library:
    """A beets library of ``tracks`` items over the sources (hard links when ``link``)."""
    music_dir = folder / "music"
    music_dir.mkdir(parents=True)
    beets.config.clear()
    beets.config.read(user=False, defaults=True)
    with contextlib.redirect_stdout(io.StringIO()):  # beets announces its schema migrations
        lib = Library(str(folder / "library.db"), str(music_dir))
    with lib.transaction():
        for n in range(tracks):
            source = sources[n % len(sources)]
            path = music_dir / f"track{n:05d}.flac"
            if link:
                os.link(source, path)
            else:
                shutil.copyfile(source, path)
            item = Item.from_path(str(path))
            album = n // 10
            item.update(
                {
                    "title": f"Track {n}",
                    "artist": f"Artist {album // 5}",
                    "albumartist": f"Artist {album // 5}",
                    "album": f"Album {album}",
                    "year": 2000 + album % 20,
                    "track": n % 10 + 1,
                }
            )
            lib.add(item)
    return lib


def _mirror_config(folder: Path, lib: Library):
    from beetsplug.opus.config import MirrorConfig

    beets.config.set(
        {
            "library": str(folder / "library.db"),
            "directory": lib.directory.decode(),
            "opus": {"directory": str(folder / "mirror"), "bitrate": 128},
        }
    )
    return MirrorConfig.from_beets(beets.config)


def mirror_throughput(sources: list[Path], tracks: int, workers: int) -> Speed:
    """Tracks per minute (wall clock, and per CPU minute) for a first sync of ``tracks`` through
    the Huey queue and a consumer with ``workers`` worker threads."""
    from beetsplug.opus import sync
    from beetsplug.opus.mirror import Result
    from beetsplug.opus.plan import plan
    from beetsplug.opus.state import MirrorState

    folder = WORK / f"sync-{workers}"
    lib = _library(folder, sources, tracks, link=False)
    config = _mirror_config(folder, lib)
    state = MirrorState(config.db)
    open_queue(QueueSettings(path=folder / "queue.db"))
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    consumer = huey.create_consumer(workers=workers, worker_type="thread", max_delay=0.2)
    start, cpu = time.perf_counter(), time.process_time()
    with lib.music_dir_context():
        steps = plan(lib, config, state)
        consumer.start()
        try:
            summary = sync.run(lib, config, state, steps, wait=True, progress=False)
        finally:
            consumer.stop(graceful=True)
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    assert summary.counts[Result.ENCODED] == tracks, summary.line()
    return Speed(tracks / elapsed * 60, tracks / used * 60)


def resync_cost(sources: list[Path], tracks: int) -> tuple[float, float]:
    """Seconds for a no-change re-sync of a ``tracks``-item mirror (and to seed that mirror).

    Encoding 10k tracks would take most of the run, so only the first few are really synced;
    the rest of the mirror is seeded with hard links to those files and the records a sync
    writes (the same ``_ok_record``). The re-sync then has to find all of them unchanged.
    """
    from beetsplug.opus import sync
    from beetsplug.opus.mirror import Result, mirrored_record
    from beetsplug.opus.plan import plan
    from beetsplug.opus.state import MirrorState

    folder = WORK / "resync"
    lib = _library(folder, sources, tracks, link=True)
    config = _mirror_config(folder, lib)
    state = MirrorState(config.db)
    start = time.perf_counter()
    with lib.music_dir_context():
        steps = plan(lib, config, state)
        real, seeded = steps[: len(sources)], steps[len(sources) :]
        sync.run(lib, config, state, real, jobs=2, progress=False)
        encoded = [state.get(step.item_id) for step in real]
        for n, step in enumerate(seeded, start=len(real)):
            model = encoded[n % len(sources)]
            target = config.root / step.dest
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(config.root / model.path, target)
            item = lib.get_item(step.item_id)
            record = mirrored_record(lib, item, config, step.dest, model.audio_hash)
            state.save(record)
        seed = time.perf_counter() - start
        start = time.perf_counter()
        steps = plan(lib, config, state)
        summary = sync.run(lib, config, state, steps, jobs=2, progress=False)
        again = time.perf_counter() - start
    assert summary.counts[Result.UNCHANGED] == tracks, summary.line()
    return seed, again


def cores_available(threads: int = 2) -> float:
    """CPU seconds per wall second that ``threads`` GIL-free threads get (hashlib releases the
    GIL on big buffers): how much of the machine this run can have at all."""
    data = b"\0" * (32 << 20)

    def work() -> None:
        for _ in range(4):
            hashlib.sha256(data).digest()

    start, cpu = time.perf_counter(), time.process_time()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return (time.process_time() - cpu) / (time.perf_counter() - start)


# --- Report -------------------------------------------------------------------------------


def timed(label: str, fn: Callable):
    print(f"… {label}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    result = fn()
    print(f"  done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--resync-tracks", type=int, default=None)
    args = parser.parse_args()
    quick = args.quick
    encode_seconds, stream_seconds, sync_seconds = (10.0, 10.0, 5.0) if quick else (60, 10, 6)
    sync_tracks = 20 if quick else 200
    resync_tracks = args.resync_tracks or (500 if quick else 10_000)
    counts = [8, 16, 32] if quick else [32, 64, 96, 128, 160, 192, 256]

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    encode_sources = timed("synthesizing", lambda: make_sources(4, encode_seconds, WORK / "enc"))
    stream_source = make_sources(1, stream_seconds, WORK / "stream")[0]
    sync_sources = make_sources(10, sync_seconds, WORK / "sync-src")
    tiny = make_sources(4, 0.2, WORK / "tiny")

    load_before, cores_before = os.getloadavg()[0], cores_available()
    ours, cli = timed("encode speed", lambda: encode_speed(encode_sources, encode_seconds))
    first_ms, total_ms = timed("stream latency", lambda: stream_latency(stream_source, 5))
    caps = timed(
        "bit-rate caps", lambda: kept_caps(encode_sources, encode_seconds, [32, 64, 96, 128])
    )
    concurrency = timed(
        "concurrent streams", lambda: concurrent_streams(stream_source, stream_seconds, counts)
    )
    sustained = max((c.streams for c in concurrency if c.slowest >= 1.0), default=0)
    capacity = int(2 * statistics.median(c.per_core for c in concurrency) / 1.0)
    per_minute = {
        workers: timed(
            f"mirror sync, {workers} worker(s)",
            lambda workers=workers: mirror_throughput(sync_sources, sync_tracks, workers),
        )
        for workers in (1, 2)
    }
    seed, resync = timed(
        f"no-change re-sync of {resync_tracks}", lambda: resync_cost(tiny, resync_tracks)
    )
    load_after, cores_after = os.getloadavg()[0], cores_available()

    cli_text = f"{cli.wall:.0f}x wall, {cli.cpu:.0f}x per CPU s" if cli else "n/a (no ffmpeg)"
    ratio = f"{ours.cpu / cli.cpu:.2f}x the CLI (CPU)" if cli else "n/a: no CLI to compare"
    rows = [
        (
            "Encode speed, Opus 128k, 1 thread (x real time)",
            f"{ours.wall:.0f}x wall, {ours.cpu:.0f}x per CPU s",
            cli_text,
            "≥ 1.0x the CLI",
            ratio,
        ),
        (
            f"On-the-fly stream via the app, first byte ({stream_seconds:.0f} s track)",
            f"{first_ms:.0f} ms",
            "",
            "≤ 100 ms",
            "yes" if first_ms <= 100 else "NO",
        ),
        (
            f"On-the-fly stream via the app, total ({stream_seconds:.0f} s track)",
            f"{total_ms:.0f} ms",
            "",
            "",
            "",
        ),
        (
            "Concurrent streams above real time, measured",
            f"{sustained}",
            "",
            "≥ 64",
            ("yes" if sustained >= 64 else "NO") + " (under the load below)",
        ),
        (
            "  same, from CPU cost: 2 free cores / cost per stream",
            f"{capacity}",
            "",
            "≥ 64",
            "yes" if capacity >= 64 else "NO",
        ),
    ]
    rows += [
        (
            f"Stream capped at {label} (kbps sent, mean / max)",
            f"{mean:.1f} / {highest:.1f}",
            "",
            "≤ the cap",
            "yes" if highest <= float(label.split()[0]) else "NO",
        )
        for label, (mean, highest) in caps.items()
    ]
    rows += [
        (
            f"  {c.streams} streams at once",
            f"slowest {c.slowest:.1f}x RT",
            "",
            "",
            f"got {c.cores_used:.1f} cores; {c.per_core:.0f}x RT per CPU s",
        )
        for c in concurrency
    ]
    rows += [
        (
            f"Mirror sync, {sync_tracks} x {sync_seconds:.0f} s tracks, {w} Huey worker(s)",
            f"{speed.wall:.0f} tracks/min",
            "",
            "",
            f"{speed.cpu:.0f} per CPU min; ≈ {speed.cpu * sync_seconds / 240:.0f}/CPU min at 4 min",
        )
        for w, speed in per_minute.items()
    ]
    rows += [
        (f"Seeding a {resync_tracks}-track mirror (setup)", f"{seed:.1f} s", "", "", ""),
        (
            f"No-change re-sync of {resync_tracks} tracks",
            f"{resync:.2f} s",
            "",
            "≤ 10 s for 10k",
            "yes" if resync * 10_000 / resync_tracks <= 10 else "NO",
        ),
    ]
    if not cli:
        print("note: no ffmpeg binary on this machine; the ffmpeg CLI column is skipped.")
    print(
        f"note: {os.cpu_count()} cores; load average {load_before:.1f} before, {load_after:.1f} "
        f"after; two GIL-free threads got {cores_before:.2f} / {cores_after:.2f} cores before / "
        "after. Wall-clock figures are what this run got; 'per CPU s' is what one free core does."
    )
    header = ("Measure", "beetcrate", "ffmpeg CLI", "Target", "Met / note")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


if __name__ == "__main__":
    main()
