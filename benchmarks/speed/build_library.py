"""Build a beets library from the benchmark's ``metadata.json``, through the beets API.

Run as a script by whichever Python has the beets to build with: the project's (beets 2.x, for
beetcrate) or Beetstream's virtualenv (beets 2.5). It imports nothing but beets and the standard
library for that reason, and copes with both genre schemas (``genre`` before beets 2.6,
``genres`` after).

    python build_library.py METADATA_JSON LIBRARY_DB MUSIC_DIR

Albums are added in the metadata's order, then the singletons, into a fresh database, so item
and album ids are the same in every library built from one metadata file. Writes are batched in
beets transactions: one commit per few hundred albums, not one per item.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from beets.library import Item, Library

BATCH_ALBUMS = 500
MULTI_GENRE = "genres" in Item._fields


def _item(song: dict, album: dict | None, formats: dict[str, list]) -> Item:
    name, bitrate, bitdepth = formats[song["suffix"]]
    genres = album["genres"] if album else []
    fields = {
        "path": song["path"],
        "title": song["title"],
        "artist": song["artist"],
        "track": song["track"],
        "disc": song["disc"],
        "length": song["length"],
        "format": name,
        "bitrate": bitrate,
        "bitdepth": bitdepth,
        "samplerate": 48000 if song["suffix"] == "opus" else 44100,
        "channels": 2,
        "added": song["added"],
        "mtime": song["added"],
    }
    if album:
        fields.update(
            album=album["album"],
            albumartist=album["albumartist"],
            comp=album["comp"],
            year=album["year"],
            disctotal=album["disctotal"],
            tracktotal=len(album["tracks"]),
        )
    if MULTI_GENRE:
        fields["genres"] = genres
    else:
        fields["genre"] = "; ".join(genres)
    return Item(**fields)


def build(metadata_path: Path, library_db: Path, music: Path) -> None:
    metadata = json.loads(metadata_path.read_text())
    formats = metadata["formats"]
    if library_db.exists():
        raise SystemExit(f"{library_db} exists; the benchmark builds into a fresh database")
    started = time.perf_counter()
    lib = Library(str(library_db), str(music))
    albums = metadata["albums"]
    for begin in range(0, len(albums), BATCH_ALBUMS):
        with lib.transaction():
            for album in albums[begin : begin + BATCH_ALBUMS]:
                lib.add_album([_item(song, album, formats) for song in album["tracks"]])
        done = min(begin + BATCH_ALBUMS, len(albums))
        print(f"  {done}/{len(albums)} albums", end="\r", flush=True)
    with lib.transaction():
        for song in metadata["singletons"]:
            lib.add(_item(song, None, formats))
    lib._close()
    print(f"  built {library_db} in {time.perf_counter() - started:.0f}s" + " " * 20)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    build(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
