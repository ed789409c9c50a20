"""Cover art: found in beets' ``artpath``, in the files' tags or beside them; resized and cached.

Only art that belongs to a library item is ever read: the album's beets ``artpath``, a picture
embedded in one of its files, or an image in the folder of one of its files. An album, artist
or song without usable art (none, or only a corrupt picture) gets a placeholder drawn from its
name, as Navidrome does: every ``coverArt`` id a listing shows can be served, and clients show
a cover, not a broken image. Only an id that names nothing is "not found".
"""

from __future__ import annotations

import base64
import colorsys
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mutagen
import xxhash
from mutagen.flac import Picture
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from subsonic import ids
from subsonic.library import Library

log = logging.getLogger(__name__)

FOLDER_ART_NAMES = ("cover", "folder", "front", "album", "albumart")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif")


# (kind, path): "file" an image file, "embedded" an audio file's tags, "folder" a directory.
Source = tuple[str, str]


# Placeholders are drawn at this size and resized like any cover; bump the version when the
# drawing changes, so cached sizes are drawn again.
PLACEHOLDER_SIZE = 600
PLACEHOLDER_VERSION = 1


def draw_placeholder(name: str, size: int) -> bytes:
    """A PNG square in a muted colour chosen by ``name``, with its initials: stable, and
    different enough between items that a grid of them does not look broken."""
    seed = xxhash.xxh32_intdigest(name.casefold().encode())
    red, green, blue = colorsys.hsv_to_rgb((seed % 360) / 360, 0.35, 0.45)
    image = Image.new(
        "RGB", (size, size), (round(red * 255), round(green * 255), round(blue * 255))
    )
    words = [word for word in name.split() if word[:1].isalnum()]
    initials = "".join(word[0] for word in words[:2]).upper()
    if initials:
        draw = ImageDraw.Draw(image)
        font = ImageFont.load_default(size=size // 3)
        draw.text((size / 2, size / 2), initials, font=font, anchor="mm", fill=(235, 235, 235))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class CoverError(Exception):
    """No usable art for the id asked for; the message says why."""


@dataclass(frozen=True)
class Cover:
    data: bytes
    mimetype: str


def embedded_art(path: str) -> bytes | None:
    """The front cover (or first picture) embedded in an audio file's tags; None for anything
    but a regular file (reading a named pipe would block the request)."""
    if not os.path.isfile(path):
        return None
    try:
        audio = mutagen.File(path)
    except (mutagen.MutagenError, OSError):
        return None
    if audio is None:
        return None
    pictures = getattr(audio, "pictures", None)
    if pictures:
        return pictures[0].data
    tags = audio.tags
    if tags is None:
        return None
    if hasattr(tags, "getall"):  # ID3
        frames = tags.getall("APIC")
        return frames[0].data if frames else None
    if "covr" in tags:  # MP4
        return bytes(tags["covr"][0])
    for block in tags.get("metadata_block_picture", []):  # Ogg Vorbis / Opus
        try:
            return Picture(base64.b64decode(block)).data
        except (ValueError, mutagen.MutagenError):
            continue
    return None


def folder_art(directory: Path) -> Path | None:
    try:
        images = sorted(
            p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
        )
    except OSError:
        return None
    for name in FOLDER_ART_NAMES:
        for image in images:
            if image.stem.lower() == name:
                return image
    return images[0] if images else None


def _mimetype(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:3] == b"GIF":
        return "image/gif"
    raise CoverError("the cover art is not an image")


def verify(data: bytes) -> None:
    """Check that the bytes are a whole, decodable image without decoding all of it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise CoverError(f"the cover art is not a readable image ({exc})") from exc


def resize(data: bytes, size: int) -> bytes:
    """Fit within size x size, keeping the aspect ratio; JPEG out (PNG when transparent)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((size, size), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            if image.mode in ("RGBA", "LA", "P") and "transparency" in image.info:
                image.save(out, "PNG", optimize=True)
            else:
                image.convert("RGB").save(out, "JPEG", quality=88)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise CoverError(f"the cover art is not a readable image ({exc})") from exc


class CoverArt:
    """Finds, resizes and caches cover art for album, song and artist ids."""

    def __init__(self, library: Library, cache_dir: Path, cache_mb: int, max_size: int) -> None:
        self.library = library
        self.cache_dir = cache_dir / "covers"
        self.cache_bytes = cache_mb * 1024 * 1024
        self.max_size = max_size
        self._writes = 0

    def _album_sources(self, album_id: str) -> list[Source]:
        album = self.library.album(album_id)
        if album is None:
            return []
        sources = [("file", album["artpath"])] if album["artpath"] else []
        first = self.library.song(album["first_item_id"])
        if first is not None:
            sources += [("embedded", first["path"]), ("folder", str(Path(first["path"]).parent))]
        return sources

    def _sources(self, cover_id: str) -> list[Source]:
        kind, _ = ids.parse(cover_id)
        if kind == "al":
            return self._album_sources(cover_id)
        if kind == "ar":
            artist = self.library.artist(cover_id)
            cover = artist["cover_album_id"] if artist else None
            return self._album_sources(cover) if cover else []
        song = self.library.song(ids.parse_song(cover_id))
        if song is None:
            return []
        own = [("embedded", song["path"]), ("folder", str(Path(song["path"]).parent))]
        return own + self._album_sources(song["album_id"])

    def _read(self, source: Source) -> tuple[bytes, str] | None:
        """The image bytes of a source and a key that changes when the image does."""
        kind, where = source
        try:
            if kind == "embedded":
                data = embedded_art(where)
                return (data, f"{where}:{os.path.getmtime(where)}") if data else None
            if kind == "folder":
                image = folder_art(Path(where))
                if image is None:
                    return None
                where = str(image)
            if not os.path.isfile(where):
                return None
            return Path(where).read_bytes(), f"{where}:{os.path.getmtime(where)}"
        except OSError:  # gone or unreadable since it was found: the next source
            return None

    def get(self, cover_id: str, size: int | None, placeholder: bool = True) -> Cover:
        """The first readable art among the id's sources (an unreadable one is skipped), else
        the placeholder of the item the id names (without ``placeholder``: ``CoverError``,
        as when the id names nothing)."""
        for source in self._sources(cover_id):
            found = self._read(source)
            if found is None:
                continue
            data, identity = found
            try:
                if not size:
                    verify(data)
                    return Cover(data, _mimetype(data))
                return self._resized(data, identity, min(size, self.max_size))
            except CoverError as exc:
                log.info("cover art of %s skipped: %s", cover_id, exc)
        name = self._name(cover_id)
        if name is None:
            raise CoverError(f"no album, artist or song {cover_id}")
        if not placeholder:
            raise CoverError(f"no cover art for {cover_id}")
        data = draw_placeholder(name, PLACEHOLDER_SIZE)
        if not size:
            return Cover(data, _mimetype(data))
        return self._resized(
            data, f"placeholder:{PLACEHOLDER_VERSION}:{name}", min(size, self.max_size)
        )

    def _name(self, cover_id: str) -> str | None:
        """The name a placeholder shows: the album's, the artist's or the song's title."""
        kind, _ = ids.parse(cover_id)
        if kind == "al":
            album = self.library.album(cover_id)
            return album["name"] if album else None
        if kind == "ar":
            artist = self.library.artist(cover_id)
            return artist["name"] if artist else None
        song = self.library.song(ids.parse_song(cover_id))
        return song["title"] if song else None

    def _resized(self, data: bytes, identity: str, size: int) -> Cover:
        key = xxhash.xxh3_64_hexdigest(f"{identity}:{size}".encode())
        cached = self.cache_dir / key[:2] / key
        try:
            body = cached.read_bytes()
            return Cover(body, _mimetype(body))
        except FileNotFoundError:  # not made yet, pruned, or the cache folder was deleted
            pass
        body = resize(data, size)
        cached.parent.mkdir(parents=True, exist_ok=True)
        # A temporary file of its own per request: concurrent first requests for one size
        # (threads of a worker, other workers) each write theirs and the last rename wins.
        fd, partial = tempfile.mkstemp(dir=cached.parent, suffix=".part")
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        os.replace(partial, cached)
        self._writes += 1
        if self._writes % 100 == 0:
            self.prune()
        return Cover(body, _mimetype(body))

    def prune(self) -> None:
        """Drop the least recently written covers until the cache fits its budget."""
        files = []
        for path in self.cache_dir.rglob("*"):
            try:
                stat = path.stat()
            except FileNotFoundError:  # pruned by another worker, or the cache deleted
                continue
            if path.is_file():
                files.append((stat.st_mtime, stat.st_size, path))
        files.sort()
        total = sum(size for _, size, _ in files)
        for _, size, path in files:
            if total <= self.cache_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
