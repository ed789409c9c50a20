"""Last.fm-backed info with a cold cache: getArtistInfo2, getAlbumInfo2, getTopSongs and
getSimilarSongs2 while every answer still has to be fetched from a Last.fm that is slow.

    .venv/bin/python benchmarks/lastfm_info_bench.py [--size 100000] [--requests 200]

The library is the crates benchmark's (``benchmarks/crates_bench.py`` builds it, through the
beets API; run that first). The server is the real Flask app (its test client: the server's
own time, without HTTP), once without Last.fm and once configured for the test suite's fake
Last.fm over TLS answering each call after 3 s: every request asks about an artist or album
not asked before, so none finds Last.fm's answer cached, and each schedules a fetch. Target
(issue 11): getArtistInfo2 p95 <= 25 ms with a cold Last.fm cache.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from beetcrate import sidecar  # noqa: E402
from beetcrate.credentials import load_key  # noqa: E402
from beetcrate.settings import LastfmSettings, load_settings  # noqa: E402
from subsonic.app import create_app  # noqa: E402
from subsonic.store import Users  # noqa: E402
from tests.scrobbling.fakes import FakeLastfm  # noqa: E402
from tests.scrobbling.tls import make_certificates  # noqa: E402

WORK = ROOT / "benchmarks" / ".work"
METHODS = ("getArtistInfo2", "getAlbumInfo2", "getTopSongs", "getSimilarSongs2")


def _p(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    home = WORK / f"library-{args.size}" / "crates-home"
    if not (home / "config.yaml").exists():
        sys.exit(f"no library at {home}: run benchmarks/crates_bench.py --size {args.size}")
    base = load_settings(home / "config.yaml")
    conn = sqlite3.connect(base.db)
    artists = [row[0] for row in conn.execute("SELECT id FROM catalog_artists WHERE album_count")]
    albums = [
        (row[0], row[1]) for row in conn.execute("SELECT id, first_item_id FROM catalog_albums")
    ]
    conn.close()
    rng = random.Random(5)
    user = "lastfm-bench"
    users = Users(sidecar.connect(base.db), load_key(base.secret_key_file))
    if users.get(user) is None:
        users.add(user, "pw")
    certificates = make_certificates(Path(tempfile.mkdtemp()))
    fake = FakeLastfm(certificates)
    fake.delay = 3.0
    results: dict[str, dict[str, list[float]]] = {}
    for label, lastfm in (
        ("local only", LastfmSettings()),
        (
            "Last.fm, cold cache, 3 s answers",
            LastfmSettings(fake.api_key, fake.api_secret, fake.url, certificates.ca_file),
        ),
    ):
        settings = dataclasses.replace(base, lastfm=lastfm)
        client = create_app(settings).test_client()
        auth = {"u": user, "p": "pw", "v": "1.16.1", "c": "bench", "f": "json"}
        picks = rng.sample(range(len(albums)), args.requests)
        timings: dict[str, list[float]] = {method: [] for method in METHODS}
        for n, pick in enumerate(picks):
            album_id, first_item = albums[pick]
            params = {
                "getArtistInfo2": {"id": artists[n % len(artists)]},
                "getAlbumInfo2": {"id": album_id},
                "getTopSongs": {"id": artists[(n * 7) % len(artists)], "count": 20},
                "getSimilarSongs2": {"id": f"tr-{first_item}", "count": 20},
            }
            for method in METHODS:
                started = time.perf_counter()
                response = client.get(f"/rest/{method}", query_string={**auth, **params[method]})
                timings[method].append(time.perf_counter() - started)
                assert response.json["subsonic-response"]["status"] == "ok", response.json
        results[label] = timings
    fake.close()
    print(f"\nLast.fm-backed info at {args.size:,} tracks, {args.requests} requests each\n")
    print(f"{'':20} " + "  ".join(f"{label:>34}" for label in results))
    for method in METHODS:
        cells = []
        for timings in results.values():
            seconds = timings[method]
            cells.append(
                f"p50 {statistics.median(seconds) * 1000:6.1f}  p95 {_p(seconds, 95):6.1f} ms"
            )
        print(f"{method:20} " + "  ".join(f"{cell:>34}" for cell in cells))
    cold = _p(results["Last.fm, cold cache, 3 s answers"]["getArtistInfo2"], 95)
    print(
        f"\ntarget: getArtistInfo2 p95 <= 25 ms with a cold cache: {cold:.1f} ms,"
        f" {'PASS' if cold <= 25 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
