"""How many Last.fm requests genres cost a 10-album import, at each level, with the per-run cache
(one ``LastfmTags`` for the import) and without it (a new one for each object).

    .venv/bin/python benchmarks/genres_bench.py [--albums 10] [--tracks 10]

The library is real (beets, through the test harness, synthesized audio): ``--albums`` albums of
``--tracks`` tracks by four artists. Last.fm is the test suite's fake over TLS, through the real
pylast client: it knows every artist, all albums but every fifth, and every other track, so the
fallbacks (track → album → artist) are taken. Each run starts from albums without genres, as an
import does, and counts the getTopTags calls the fake received. At Last.fm's rate (five calls a
second, ``THROTTLE``) each request costs an import 0.2 s; the runs here do not wait.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from beets import config  # noqa: E402
from beets.library import Album, Item  # noqa: E402

from beetcrate.genres import (  # noqa: E402
    GenreRules,
    GenreSettings,
    GenreSource,
    LastfmTags,
    Level,
    Vocabulary,
    fill_genres,
)
from beetcrate.scrobbling.lastfm import Throttle  # noqa: E402
from beetcrate.settings import LastfmSettings  # noqa: E402
from beetcrate.synth.tones import sine  # noqa: E402
from tests.helper import BeetsHome  # noqa: E402
from tests.scrobbling.fakes import FakeLastfm  # noqa: E402
from tests.scrobbling.tls import make_certificates  # noqa: E402

ARTISTS = ("The Testers", "Blue Notes", "Night Drive", "Folk Union")
GENRES = ("rock", "jazz", "electronic", "folk")


def build(home: BeetsHome, lastfm: FakeLastfm, albums: int, tracks: int) -> list[Album]:
    built = []
    for a in range(albums):
        artist, genre = ARTISTS[a % len(ARTISTS)], GENRES[a % len(GENRES)]
        title = f"Album {a + 1}"
        items = []
        for t in range(tracks):
            song = f"Song {a + 1}.{t + 1}"
            items.append(
                home.add(
                    f"{a:02d}/{t:02d}.flac",
                    sine(0.1, 220.0 + 20 * t),
                    title=song,
                    artist=artist,
                    albumartist=artist,
                    album=title,
                    track=t + 1,
                )
            )
            if t % 2 == 0:
                lastfm.tag("track", artist, song, [(genre, 100), ("seen live", 40)])
        if a % 5 != 4:
            lastfm.tag("album", artist, title, [(genre, 100), ("albums i own", 60)])
        lastfm.tag("artist", artist, "", [(genre, 100), ("favourites", 20)])
        built.append(home.lib.add_album(items))
    return built


def run(
    albums: list[Album],
    objects: list[Item] | list[Album],
    settings: GenreSettings,
    lastfm: FakeLastfm,
    lastfm_settings: LastfmSettings,
    cached: bool,
) -> tuple[int, int, float]:
    for album in albums:  # as imported: no genres yet
        album.genres = []
        album.store()
    for obj in objects:
        obj.load()
    lastfm.calls.clear()
    started = time.perf_counter()
    shared = LastfmTags(lastfm_settings, throttle=Throttle(0.0))
    filled = 0
    for obj in objects:
        tags = shared if cached else LastfmTags(lastfm_settings, throttle=Throttle(0.0))
        change = fill_genres(obj, settings, tags)
        filled += change is not None
    return len(lastfm.top_tag_calls()), filled, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--albums", type=int, default=10)
    parser.add_argument("--tracks", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        certificates = make_certificates(Path(work))
        lastfm = FakeLastfm(certificates)
        home = BeetsHome(Path(work) / "library")
        os.environ["BEETSDIR"] = str(home.dir)  # its configuration: no backups of a new library
        config.read()
        try:
            albums = build(home, lastfm, args.albums, args.tracks)
            items = [item for album in albums for item in album.items()]
            lastfm_settings = LastfmSettings(
                lastfm.api_key, lastfm.api_secret, lastfm.url, certificates.ca_file
            )
            rules = GenreRules(Vocabulary(whitelist=frozenset(GENRES)), count=1)
            base = GenreSettings(GenreSource.LASTFM, Level.ALBUM, rules)
            print(f"{args.albums} albums, {len(items)} tracks, {len(ARTISTS)} artists")
            header = ("objects", "level", "requests", "uncached", "filled", "s")
            print("{:<8} {:<7} {:>9} {:>9} {:>7} {:>6}".format(*header))
            for kind, objects in (("albums", albums), ("tracks", items)):
                for level in Level:
                    if kind == "albums" and level is Level.ITEM:
                        continue  # an album asks from the album level at most
                    settings = replace(base, level=level)
                    requests, filled, seconds = run(
                        albums, objects, settings, lastfm, lastfm_settings, cached=True
                    )
                    uncached, _, _ = run(
                        albums, objects, settings, lastfm, lastfm_settings, cached=False
                    )
                    print(
                        f"{kind:<8} {level.value:<7} {requests:>9} {uncached:>9} "
                        f"{filled:>7} {seconds:>6.2f}"
                    )
        finally:
            home.close()
            lastfm.close()


if __name__ == "__main__":
    main()
