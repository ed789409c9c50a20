"""What the served test library holds (see build_library), as every client must see it,
and helpers to compare what a client got with it."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from tests.subsonic.server import RunningServer

# Album artists, in index order; beetcrate gathers an artist's singletons as one "[Singles]"
# album.
ARTISTS = ["Broken", "Élodie", "The Testers", "Various Artists", "Zeta Band"]
ALBUM_TRACKS = {
    "Blue Album": ["Blue Song 1", "Blue Song 2", "Blue Song 3"],
    # Two discs: disc order first, then track order, though the tracks restart at 1.
    "Double Trouble": ["Disc 1 Track 1", "Disc 1 Track 2", "Disc 2 Track 1", "Disc 2 Track 2"],
    "Summer Hits": ["Hit 1", "Hit 2"],
    "Broken Art": ["Cracked"],
    "[Singles]": ["Chanson 1", "Chanson 2", "Ghost Track"],
}
SONG_COUNT = sum(len(tracks) for tracks in ALBUM_TRACKS.values())
GENRES = {  # name: (songCount, albumCount)
    "Ambient": (4, 1),
    "Dance": (2, 1),
    "Electronic": (4, 1),
    "Jazz": (2, 1),
    "Pop": (2, 1),
    "Rock": (3, 1),
}
BLUE_COVER = (20, 40, 200)  # the PNG next to the Blue Album's files
RED_COVER = (200, 30, 30)  # embedded in the first MP3 of Double Trouble


def song_file(server: RunningServer, key: str) -> bytes:
    """The bytes on disk of a library item (keys as in build_library: blue1, double1…)."""
    return Path(server.library.items[key].path.decode()).read_bytes()


def dominant_colour(image_bytes: bytes) -> tuple[int, int, int]:
    image = Image.open(io.BytesIO(image_bytes)).convert("RGB")
    return image.getpixel((image.width // 2, image.height // 2))


def close_to(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    # JPEG re-encoding of resized covers shifts colours a little.
    return all(abs(a - b) <= 12 for a, b in zip(colour, expected, strict=True))
