"""Scrobbling benchmarks: the ``scrobble`` call while both services are down, and a backlog of
10,000 plays draining at the services' rate limits.

Run from the repository root (about two minutes on two cores):

    .venv/bin/python benchmarks/scrobble_bench.py [--calls N] [--backlog N]

Everything is real but the services: a beets library, the real Flask app (its test client, so
the figures are the server's own time without HTTP), the real outbox, a real ``beetcrate
worker`` process with its SqliteHuey queue, pylast and the ListenBrainz client. The services are
the fakes of the test suite (``tests/scrobbling/fakes.py``) over TLS: Last.fm refusing calls
closer than 0.18 s (error 29), ListenBrainz allowing 10 requests a second (429 past that).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import beets  # noqa: E402
from beets.library import Item, Library  # noqa: E402

from beetcrate import media, sidecar  # noqa: E402
from beetcrate.credentials import load_key  # noqa: E402
from beetcrate.scrobbling import store  # noqa: E402
from beetcrate.scrobbling.model import Kind, Service, Track  # noqa: E402
from beetcrate.settings import load_settings  # noqa: E402
from beetcrate.synth import tones  # noqa: E402
from subsonic.app import create_app  # noqa: E402
from subsonic.store import Users  # noqa: E402
from tests.helper import start_process, stop_process  # noqa: E402
from tests.scrobbling.fakes import FakeLastfm, FakeListenBrainz  # noqa: E402
from tests.scrobbling.tls import make_certificates  # noqa: E402

WORK = ROOT / "benchmarks" / ".work" / "scrobble"
SONGS = 20


def build(work: Path, lastfm_url: str, listenbrainz_url: str, ca_file: Path) -> Path:
    """A library of ``SONGS`` three-minute songs (their files are half a second of tone)."""
    import yaml

    beets_dir, music = work / "beets", work / "music"
    beets_dir.mkdir(parents=True)
    music.mkdir()
    beets.config["create_backup_before_migrations"] = False
    lib = Library(str(beets_dir / "library.db"), str(music))
    for n in range(SONGS):
        path = music / f"{n:02d}.flac"
        media.write_audio(path, tones.sine(0.5, 220.0 + 20 * n), tones.RATE)
        item = Item.from_path(str(path))
        item.update(
            {
                "title": f"Song {n}",
                "artist": "Bench Artist",
                "album": "Bench Album",
                "albumartist": "Bench Artist",
                "track": n + 1,
                "length": 180.0,
                "mb_trackid": str(uuid.uuid4()),
            }
        )
        lib.add(item)
    lib._close()
    config = {
        "directory": str(music),
        "library": str(beets_dir / "library.db"),
        "beetcrate": {
            "queue": {"path": str(work / "queue.db")},
            "lastfm": {
                "api_key": "k" * 32,
                "api_secret": "s" * 32,
                "url": lastfm_url,
                "ca_file": str(ca_file),
            },
            "listenbrainz": {"url": listenbrainz_url, "ca_file": str(ca_file)},
        },
    }
    config_file = beets_dir / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    return config_file


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of process ``pid``, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="scrobble calls timed")
    parser.add_argument("--backlog", type=int, default=10_000, help="plays in the backlog")
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    certificates = make_certificates(WORK)
    lastfm, listenbrainz = FakeLastfm(certificates), FakeListenBrainz(certificates, 10, 1.0)
    lastfm.shortest_interval = 0.18  # 0.2 s, less the network's jitter
    config_file = build(WORK / "library", lastfm.url, listenbrainz.url, certificates.ca_file)
    settings = load_settings(config_file)
    users = Users(sidecar.connect(settings.db), load_key(settings.secret_key_file))
    users.add("bench", "pw")
    links = store.Links(sidecar.connect(settings.db), load_key(settings.secret_key_file))
    links.link("bench", Service.LASTFM, lastfm.new_session("bench"), "bench")
    links.link("bench", Service.LISTENBRAINZ, listenbrainz.new_token("bench"), "bench")
    lastfm.down()
    listenbrainz.down()

    # 1. scrobble with both services down, a worker retrying them meanwhile.
    log = (WORK / "worker.log").open("w")
    worker = start_process("beetcrate", "-c", str(config_file), "worker", stdout=log, stderr=log)
    client = create_app(settings).test_client()
    salt = "bench"
    query = {
        "u": "bench",
        "t": hashlib.md5(("pw" + salt).encode()).hexdigest(),
        "s": salt,
        "v": "1.16.1",
        "c": "bench",
        "f": "json",
    }
    # Every play 200 s after the one before, the last of the backlog still in the past.
    start = int(time.time()) - (args.calls + 2 * args.backlog) * 200
    timings: list[float] = []
    for n in range(args.calls):
        params = {**query, "id": f"tr-{1 + n % SONGS}"}
        if n % 2:
            params["time"] = str((start + 200 * n) * 1000)
        else:
            params["submission"] = "false"
        began = time.perf_counter()
        answer = client.get("/rest/scrobble", query_string=params)
        timings.append((time.perf_counter() - began) * 1000)
        assert answer.json["subsonic-response"]["status"] == "ok", answer.json
    print(f"scrobble, both services down ({args.calls} calls, half now playing, half plays):")
    print(
        f"  p50 {statistics.median(timings):.2f} ms  p95 {percentile(timings, 0.95):.2f} ms"
        f"  p99 {percentile(timings, 0.99):.2f} ms  (target: p95 <= 5 ms)"
    )

    # 2. Fill the backlog up to args.backlog plays, then bring the services back.
    plays = args.calls // 2
    with sidecar.connect(settings.db).conn as tx:
        more = [
            (
                Track("Bench Artist", f"Song {n % SONGS}", "Bench Album", duration=180),
                start + 200 * n,
            )
            for n in range(args.calls, args.calls + 2 * (args.backlog - plays), 2)
        ]
        store.queue(
            tx,
            "bench",
            [Service.LASTFM, Service.LISTENBRAINZ],
            Kind.LISTEN,
            [(t, float(w)) for t, w in more],
            "bench",
        )
    waiting = {link.service: link.waiting for link in links.of("bench")}
    print(
        f"backlog: {waiting[Service.LASTFM]} rows for Last.fm,"
        f" {waiting[Service.LISTENBRAINZ]} for ListenBrainz (plays, and starts)"
    )
    rss_before = peak_rss_mb(worker.pid)
    lastfm.up()
    listenbrainz.up()
    began = time.monotonic()
    finished: dict[str, float] = {}
    samples = []
    while len(finished) < 2 and time.monotonic() - began < 900:
        time.sleep(0.5)
        samples.append(peak_rss_mb(worker.pid)[0])
        if "lastfm" not in finished and len(lastfm.scrobbles) >= args.backlog:
            finished["lastfm"] = time.monotonic() - began
        if "listenbrainz" not in finished and len(listenbrainz.scrobbled("bench")) >= args.backlog:
            finished["listenbrainz"] = time.monotonic() - began
    rss_after = peak_rss_mb(worker.pid)
    stop_process(worker)
    log.close()
    lastfm.close()
    listenbrainz.close()

    times = [int(s["timestamp"]) for s in lastfm.scrobbles]
    listened = [listen["listened_at"] for listen in listenbrainz.scrobbled("bench")]
    for name, sent in (("Last.fm", times), ("ListenBrainz", listened)):
        in_order = sent == sorted(sent)
        print(f"{name}: {len(sent)} plays, {len(set(sent))} distinct, in play order: {in_order}")
    lb_calls = listenbrainz.requests
    print(
        f"drained: Last.fm in {finished.get('lastfm', float('nan')):.1f} s"
        f" ({len(lastfm.calls)} calls, 0.2 s apart), ListenBrainz in"
        f" {finished.get('listenbrainz', float('nan')):.1f} s ({lb_calls} requests, 10/s allowed)"
    )
    print(
        f"worker RSS: {rss_before[0]:.0f} MB before, {min(samples):.0f}-{max(samples):.0f} MB"
        f" while draining, peak {rss_after[1]:.0f} MB (peak before draining {rss_before[1]:.0f} MB)"
    )


if __name__ == "__main__":
    main()
