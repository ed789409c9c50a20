"""How many Last.fm requests ``identify: artist_info: lastfm`` costs an import, beside asking for
every album and track (what a plugin without a per-run memory or the sidecar's cache would do),
and what a second import of the same artists costs once the cache holds their pages.

    .venv/bin/python benchmarks/artist_info_bench.py [--albums 10] [--tracks 10]

The library is real (beets, through the test harness, synthesized audio): ``--albums`` albums of
``--tracks`` tracks by four artists, every fifth track by one of three guests. Last.fm is the
test suite's fake over TLS, through the real pylast client; it knows every artist (with a
MusicBrainz id) but one guest. Each run starts from albums and tracks without artist ids, as an
as-is import leaves them, and counts the calls the fake received (``artist.getInfo`` and
``artist.getSimilar``). The runs do not wait for Last.fm's rate (five calls a second,
``THROTTLE``); the last column adds it: 0.2 s a request.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from beets import config  # noqa: E402
from beets.library import Album, Item  # noqa: E402

from beetcrate.scrobbling.lastfm import THROTTLE  # noqa: E402
from beetcrate.settings import LastfmSettings  # noqa: E402
from beetcrate.synth.tones import sine  # noqa: E402
from beetsplug.identify.lastfm_artists import LastfmArtists  # noqa: E402
from tests.helper import BeetsHome  # noqa: E402
from tests.scrobbling.fakes import FakeLastfm  # noqa: E402
from tests.scrobbling.tls import make_certificates  # noqa: E402

ARTISTS = ("The Testers", "Blue Notes", "Night Drive", "Folk Union")
GUESTS = ("Guest One", "Guest Two", "Guest Nobody Knows")
RATE = 0.2  # seconds a request at Last.fm's rate
log = logging.getLogger("artist_info_bench")


def build(home: BeetsHome, lastfm: FakeLastfm, albums: int, tracks: int) -> list[Album]:
    for name in ARTISTS + GUESTS[:2]:
        lastfm.know_artist(name, str(uuid.uuid5(uuid.NAMESPACE_URL, name)), f"About {name}.")
    built = []
    for a in range(albums):
        artist = ARTISTS[a % len(ARTISTS)]
        items = [
            home.add(
                f"{a:02d}/{t:02d}.flac",
                sine(0.1, 220.0 + 20 * t),
                title=f"Song {a + 1}.{t + 1}",
                artist=GUESTS[a % len(GUESTS)] if t % 5 == 4 else artist,
                albumartist=artist,
                album=f"Album {a + 1}",
                track=t + 1,
            )
            for t in range(tracks)
        ]
        built.append(home.lib.add_album(items))
    return built


def forget_ids(albums: list[Album]) -> None:
    """As an as-is import leaves them: no artist ids."""
    for album in albums:
        album.mb_albumartistid = ""
        album.mb_albumartistids = []
        album.store()
        for item in album.items():
            item.mb_artistid = ""
            item.mb_artistids = []
            item.store()


def run(
    albums: list[Album],
    lastfm: FakeLastfm,
    account: LastfmSettings,
    sidecar: Path,
    per_object: bool,
    work: Path,
) -> tuple[int, int, float]:
    """(requests, ids filled, seconds): each album, then its tracks, as the import stage does."""
    forget_ids(albums)
    lastfm.calls.clear()
    started = time.perf_counter()
    shared = LastfmArtists(True, account, sidecar, log)
    opened = [shared]
    filled = 0
    for album in albums:
        album.load()
        objects: list[Album | Item] = [album, *album.items()]
        for obj in objects:
            artists = shared
            if per_object:  # a memory and a cache of its own for every object
                artists = LastfmArtists(True, account, work / f"{uuid.uuid4()}.db", log)
                opened.append(artists)
            filled += len(artists.fill(obj))
    seconds = time.perf_counter() - started
    for artists in opened:
        artists.close()
    return len(lastfm.calls), filled, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--albums", type=int, default=10)
    parser.add_argument("--tracks", type=int, default=10)
    args = parser.parse_args()
    THROTTLE.interval = 0.0  # the rate is added to the figures, not waited for
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        certificates = make_certificates(work)
        lastfm = FakeLastfm(certificates)
        home = BeetsHome(work / "library")
        os.environ["BEETSDIR"] = str(home.dir)  # its configuration: no backups of a new library
        config.read()
        try:
            albums = build(home, lastfm, args.albums, args.tracks)
            account = LastfmSettings(
                lastfm.api_key, lastfm.api_secret, lastfm.url, certificates.ca_file
            )
            tracks = sum(len(album.items()) for album in albums)
            names = {item.artist for album in albums for item in album.items()}
            print(f"{args.albums} albums, {tracks} tracks, {len(names)} distinct artists")
            header = ("run", "requests", "ids filled", "s", "s at Last.fm's rate")
            print("{:<34} {:>8} {:>10} {:>6} {:>20}".format(*header))
            cache = work / "sidecar.db"
            for label, per_object, sidecar in (
                ("every album and track asks", True, cache),
                ("artist_info, cold cache", False, cache),
                ("artist_info, next import (warm)", False, cache),
            ):
                requests, filled, seconds = run(albums, lastfm, account, sidecar, per_object, work)
                with_rate = seconds + requests * RATE
                print(f"{label:<34} {requests:>8} {filled:>10} {seconds:>6.2f} {with_rate:>20.2f}")
        finally:
            home.close()
            lastfm.close()


if __name__ == "__main__":
    main()
