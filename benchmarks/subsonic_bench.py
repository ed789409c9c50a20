"""Subsonic speed benchmark: beetcrate against Beetstream 1.4.0 on the same synthetic library.

    .venv/bin/python benchmarks/subsonic_bench.py                  # 10k and 100k tracks
    .venv/bin/python benchmarks/subsonic_bench.py --quick          # 2k tracks, a smoke run
    .venv/bin/python benchmarks/subsonic_bench.py --sizes 10000 --requests 200 --no-peer

For each size: generate the library (cached under benchmarks/.work/), build it with beets for
beetcrate and with beets 2.5 for Beetstream, start each server the way its users do, time the
same requests against both, and print a table and the targets of issue 2 with PASS/FAIL.
Latencies are in milliseconds; the speed-up is Beetstream's p50 over beetcrate's p50. See
docs/benchmarks.md for how to read the output.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from speed import seed
from speed.generate import Generated, generate
from speed.measure import (
    Client,
    Endpoint,
    Result,
    SyncResult,
    full_sync,
    run_endpoint,
    sample_ids,
)
from speed.servers import Seeder, Server, beetstream_venv, start_beetcrate, start_beetstream

WORK = Path(__file__).resolve().parent / ".work"
LIST_SIZE = 50
SYNC_PAGE = 500
# Targets of issue 2, item 9.
SPEEDUP_TARGET, SPEEDUP_SIZE = 10.0, 10_000
FAST_TARGET_MS, SLOW_TARGET_MS, SYNC_TARGET_S, ABSOLUTE_SIZE = 25.0, 100.0, 8.0, 100_000
FAST_LABELS = (
    "getAlbumList2 offset 0",
    "getAlbumList2 deep offset",
    "getAlbum",
    "search3 rare word",
    "search3 common word",
    "search3 '' page of 500",
)
SLOW_LABELS = ("getArtists", "getIndexes")
LISTING_LABELS = (*FAST_LABELS, *SLOW_LABELS, "getRandomSongs")
# Targets of issue 10, item 12, on the seeded user data (speed.seed).
USER_LISTS = ("frequent", "recent", "starred", "highest")
USER_DATA_LABELS = (
    "getStarred2",
    "getPlaylist (longest)",
    *(f"getAlbumList2 {list_type}" for list_type in USER_LISTS),
    "getNowPlaying",
)
PLAYLISTS_LABEL, PLAYLISTS_TARGET_MS = "getPlaylists", 10.0
SCROBBLE_LABEL, SCROBBLE_TARGET_MS = "scrobble", 5.0
UNCACHED_LABEL = "getStarred2 first after a change"
# User data written into the sidecar before serving, in SQL.
SEEDERS: list[Seeder] = [seed.annotations, seed.playlists]
# The speed-up target is about listings: not ping (the floor of any request, for reference)
# nor streaming a file.
PING_LABEL, STREAM_LABEL = "ping", "stream first byte"


def endpoints(library: Generated) -> list[Endpoint]:
    """The table's rows; request i of each row uses the same parameters on both servers."""
    albums = sample_ids(1000, library.albums, seed=1)
    songs = sample_ids(1000, library.tracks, seed=2)
    pages = max(1, library.tracks // SYNC_PAGE)
    deep = max(0, library.albums * 9 // 10)

    def fixed(params: dict[str, str]) -> Callable[[Server, int], dict[str, str]]:
        return lambda server, i: params

    def album_list(offset: int) -> Callable[[Server, int], dict[str, str]]:
        return fixed({"type": "alphabeticalByName", "size": str(LIST_SIZE), "offset": str(offset)})

    return [
        Endpoint(PING_LABEL, "ping", fixed({})),
        Endpoint("getArtists", "getArtists", fixed({})),
        Endpoint("getIndexes", "getIndexes", fixed({})),
        Endpoint("getAlbumList2 offset 0", "getAlbumList2", album_list(0)),
        Endpoint("getAlbumList2 deep offset", "getAlbumList2", album_list(deep)),
        Endpoint("getAlbum", "getAlbum", lambda s, i: {"id": s.album_id(albums[i % 1000])}),
        Endpoint("search3 rare word", "search3", fixed({"query": library.rare_word})),
        Endpoint("search3 common word", "search3", fixed({"query": library.common_word})),
        Endpoint(
            "search3 '' page of 500",
            "search3",
            lambda s, i: {
                "query": "",
                "artistCount": "0",
                "albumCount": "0",
                "songCount": str(SYNC_PAGE),
                # Pages spread over the whole library, deep ones included.
                "songOffset": str((i * 7 % pages) * SYNC_PAGE),
            },
        ),
        Endpoint("getRandomSongs", "getRandomSongs", fixed({"size": str(LIST_SIZE)})),
        Endpoint("getStarred2", "getStarred2", fixed({})),
        # The answer is cached until the user's annotations change: a parameter the server
        # ignores makes every request miss that cache, as the first one after a change does.
        Endpoint(UNCACHED_LABEL, "getStarred2", lambda s, i: {"bench": str(i)}),
        *(
            Endpoint(
                f"getAlbumList2 {list_type}",
                "getAlbumList2",
                fixed({"type": list_type, "size": str(LIST_SIZE)}),
            )
            for list_type in USER_LISTS
        ),
        Endpoint("getNowPlaying", "getNowPlaying", fixed({})),
        Endpoint("getPlaylist (longest)", "getPlaylist", fixed({"id": "pl-1"})),
        # Cached like getStarred2 until the playlist or the user's annotations change: this is
        # the cost of the first request after a change.
        Endpoint(
            "getPlaylist (longest) first after a change",
            "getPlaylist",
            lambda s, i: {"id": "pl-1", "bench": str(i)},
        ),
        Endpoint(PLAYLISTS_LABEL, "getPlaylists", fixed({})),
        # A play of a different song each time, now: a write of its own transaction.
        Endpoint(SCROBBLE_LABEL, "scrobble", lambda s, i: {"id": s.song_id(songs[i % 1000])}),
        Endpoint(
            STREAM_LABEL,
            "stream",
            lambda s, i: {"id": s.song_id(songs[i % 1000])},
            first_byte=True,
        ),
    ]


@dataclass
class Run:
    """Everything measured on one server for one library size."""

    results: dict[str, Result]
    sync: SyncResult


def measure(
    server: Server,
    library: Generated,
    requests: int,
    warmup: int,
    budget: float | None,
    sync_budget: float | None,
) -> Run:
    client = Client(server)
    results = {}
    try:
        for endpoint in endpoints(library):
            print(f"  {server.name}: {endpoint.label}", end="", flush=True)
            started = time.perf_counter()
            results[endpoint.label] = run_endpoint(client, endpoint, requests, warmup, budget)
            print(f" ({time.perf_counter() - started:.1f}s)", flush=True)
        print(f"  {server.name}: full search3 sync", flush=True)
        sync = full_sync(client, library.tracks, SYNC_PAGE, sync_budget)
    finally:
        client.close()
    return Run(results, sync)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def _latencies(result: Result | None, p99: bool) -> str:
    if result is None:
        return "not run"
    if not result.seconds:
        return result.note or "n/a"
    parts = [result.percentile(50), result.percentile(95)]
    if p99:
        parts.append(result.percentile(99))
    text = " / ".join(_ms(p) for p in parts)
    return f"{text} (n={len(result.seconds)})" if not p99 else text


def _ratio(peer: float | None, ours: float | None) -> str:
    if peer is None or not ours:
        return "-"
    ratio = peer / ours
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


def _speedup(ours: Result, peer: Result | None) -> float | None:
    if peer is None or not peer.seconds or not ours.seconds:
        return None
    return peer.percentile(50) / ours.percentile(50)


def _sync_text(sync: SyncResult | None) -> str:
    if sync is None:
        return "not run"
    if sync.seconds is None:
        return sync.note
    once = "each once" if sync.exact and not sync.note else sync.note or "DUPLICATES"
    return f"{sync.seconds:.2f} s, {sync.unique} songs, {once}"


def print_table(
    library: Generated,
    requests: int,
    scan_seconds: float,
    seeded: list[str],
    ours: Run,
    peer: Run | None,
) -> None:
    print(
        f"\n{library.tracks} tracks, {library.albums} albums; {requests} requests per endpoint;"
        f" JSON; lists of {LIST_SIZE}; rare word {library.rare_word!r} in"
        f" {library.rare_titles} titles, common word {library.common_word!r} in"
        f" {library.common_titles}; beetcrate's first scan {scan_seconds:.1f}s;"
        f" the benchmark user has {'; '.join(seeded) or 'no user data'}"
    )
    rows = [
        (
            "endpoint",
            "beetcrate p50 / p95 / p99 ms",
            "CPU ms",
            "Beetstream p50 / p95 ms",
            "CPU ms",
            "speed-up",
            "CPU ratio",
        )
    ]
    for label, result in ours.results.items():
        theirs = peer.results.get(label) if peer else None
        rows.append(
            (
                label,
                _latencies(result, p99=True),
                _ms(result.cpu_per_request),
                _latencies(theirs, p99=False),
                _ms(theirs.cpu_per_request) if theirs else "-",
                _ratio(theirs.percentile(50) if theirs else None, result.percentile(50)),
                _ratio(theirs.cpu_per_request if theirs else None, result.cpu_per_request),
            )
        )
    their_sync = peer.sync if peer else None
    rows.append(
        (
            f"full search3 sync, pages of {SYNC_PAGE}",
            _sync_text(ours.sync),
            f"{ours.sync.cpu:.1f} s" if ours.sync.cpu is not None else "-",
            _sync_text(their_sync),
            f"{their_sync.cpu:.1f} s" if their_sync and their_sync.cpu is not None else "-",
            _ratio(their_sync.seconds if their_sync else None, ours.sync.seconds),
            _ratio(their_sync.cpu if their_sync else None, ours.sync.cpu),
        )
    )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * width for width in widths))
    notes = [
        f"  {server}: {label}: {result.note}"
        for server, run in (("beetcrate", ours), ("Beetstream", peer))
        if run
        for label, result in run.results.items()
        if result.note
    ]
    if notes:
        print("Notes:\n" + "\n".join(notes))


def _mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_targets(runs: dict[int, tuple[Run, Run | None]]) -> None:
    """The issue's targets, judged at the size each is defined for (or the nearest one run)."""
    print("\nTargets (issue 2, item 9):")
    if not runs:
        return
    speed_size = min(runs, key=lambda size: abs(size - SPEEDUP_SIZE))
    absolute_size = min(runs, key=lambda size: abs(size - ABSOLUTE_SIZE))

    def at(size: int, defined: int) -> str:
        return "" if size == defined else f"  [measured at {size} tracks, defined at {defined}]"

    ours, peer = runs[speed_size]
    if peer is None:
        print(f"  ----  listing endpoints >= {SPEEDUP_TARGET:.0f}x Beetstream: no peer run")
    else:
        for label, result in ours.results.items():
            # Issue 2's target is about listings. Beetstream answers user data with stubs
            # (an empty getStarred2, a scrobble that stores nothing), so no ratio means anything
            # there: those rows show both servers' figures in the table, without a target.
            if label in (PING_LABEL, STREAM_LABEL) or label not in LISTING_LABELS:
                continue
            theirs = peer.results.get(label)
            speedup = _speedup(result, theirs)
            if speedup is None:
                print(f"  ----  {label} >= {SPEEDUP_TARGET:.0f}x Beetstream: no comparison")
            else:
                print(
                    f"  {_mark(speedup >= SPEEDUP_TARGET)}  {label} >= {SPEEDUP_TARGET:.0f}x"
                    f" Beetstream: {_ratio(speedup, 1.0)} (CPU ratio"
                    f" {_ratio(theirs.cpu_per_request, result.cpu_per_request)})"
                    f"{at(speed_size, SPEEDUP_SIZE)}"
                )
    ours, _ = runs[absolute_size]
    for labels, limit in ((FAST_LABELS, FAST_TARGET_MS), (SLOW_LABELS, SLOW_TARGET_MS)):
        for label in labels:
            p95 = ours.results[label].percentile(95)
            ok = p95 is not None and p95 * 1000 <= limit
            print(
                f"  {_mark(ok)}  {label} p95 <= {limit:.0f} ms: {_ms(p95)} ms"
                f"{at(absolute_size, ABSOLUTE_SIZE)}"
            )
    print("Targets (issue 10, item 12):")
    for labels, limit in (
        (USER_DATA_LABELS, FAST_TARGET_MS),
        ((PLAYLISTS_LABEL,), PLAYLISTS_TARGET_MS),
        ((SCROBBLE_LABEL,), SCROBBLE_TARGET_MS),
    ):
        for label in labels:
            p95 = ours.results[label].percentile(95)
            ok = p95 is not None and p95 * 1000 <= limit
            print(
                f"  {_mark(ok)}  {label} p95 <= {limit:.0f} ms: {_ms(p95)} ms"
                f"{at(absolute_size, ABSOLUTE_SIZE)}"
            )
    sync = ours.sync
    ok = sync.seconds is not None and sync.seconds <= SYNC_TARGET_S and sync.exact and not sync.note
    print(
        f"  {_mark(ok)}  full search3 sync <= {SYNC_TARGET_S:.0f} s, every song once:"
        f" {_sync_text(sync)}{at(absolute_size, ABSOLUTE_SIZE)}"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="library sizes in tracks, comma-separated (default 10000,100000)",
    )
    parser.add_argument(
        "--requests", type=int, default=100, help="timed requests per endpoint (default 100)"
    )
    parser.add_argument("--no-peer", action="store_true", help="do not run Beetstream")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 2000 tracks, 10 requests per endpoint"
    )
    parser.add_argument(
        "--peer-budget",
        type=float,
        default=None,
        help="seconds of timed Beetstream requests per endpoint"
        " (default 30, or 15 above 20k tracks)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.requests = "2000", 10
    args.sizes = [int(size) for size in args.sizes.split(",")]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    runs: dict[int, tuple[Run, Run | None]] = {}
    WORK.mkdir(exist_ok=True)
    peer_bin = None if args.no_peer else beetstream_venv(WORK)
    for size in args.sizes:
        root = WORK / f"library-{size}"
        print(f"== {size} tracks ({root})", flush=True)
        library = generate(root, size)
        server, scan_seconds, seeded = start_beetcrate(library, root / "beetcrate", SEEDERS)
        print(f"  beetcrate first scan: {scan_seconds:.1f}s (including process start)")
        print(f"  seeded: {'; '.join(seeded)}")
        try:
            ours = measure(server, library, args.requests, warmup=5, budget=None, sync_budget=None)
        finally:
            server.stop()
        peer = None
        if peer_bin is not None:
            budget = args.peer_budget or (30.0 if size <= 20_000 else 15.0)
            peer_server = start_beetstream(library, root / "beetstream", peer_bin)
            try:
                peer = measure(
                    peer_server, library, args.requests, warmup=1, budget=budget,
                    sync_budget=10 * budget,
                )  # fmt: skip
            finally:
                peer_server.stop()
        runs[size] = (ours, peer)
        print_table(library, args.requests, scan_seconds, seeded, ours, peer)
    print_targets(runs)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\nTotal time: {time.perf_counter() - began:.0f}s on {os.cpu_count()} CPUs;"
        f" load average now {load} (other processes on the machine skew latencies)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
