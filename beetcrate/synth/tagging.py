"""Tags written the ways real taggers write them: files that differ only in their tags.

The duplicate finder must see through all of this: cover art embedded in each format's own way,
long comments spilling over Ogg pages, and an MP3 wrapped in every tag container at once.
"""

from __future__ import annotations

import base64
from pathlib import Path

import mutagen
from mutagen.apev2 import APEv2
from mutagen.flac import Picture
from mutagen.id3 import APIC, ID3, TIT2
from mutagen.mp4 import MP4Cover

FORMATS = ["flac", "mp3", "ogg", "opus", "m4a", "wav"]
COVER = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def _picture() -> Picture:
    picture = Picture()
    picture.type = 3
    picture.mime = "image/png"
    picture.data = COVER
    return picture


def retag(path: Path, title: str, art: bool = True) -> None:
    """Rewrite the tags of ``path`` the way a tagger does, embedding cover art when asked."""
    if path.suffix == ".mp3":
        tags = ID3()
        tags.add(TIT2(encoding=3, text=title))
        if art:
            tags.add(APIC(encoding=3, mime="image/png", type=3, desc="", data=COVER))
        tags.save(str(path), v1=2)
        return
    audio = mutagen.File(str(path))
    if path.suffix == ".wav":
        # WAV carries ID3 in an "id3 " chunk, the way mutagen and most taggers write it.
        audio.add_tags()
        audio.tags.add(TIT2(encoding=3, text=title))
        if art:
            audio.tags.add(APIC(encoding=3, mime="image/png", type=3, desc="", data=COVER))
        audio.save()
        return
    if audio.tags is None:
        audio.add_tags()
    if path.suffix == ".m4a":
        audio.tags["\xa9nam"] = [title]
        if art:
            audio.tags["covr"] = [MP4Cover(COVER, imageformat=MP4Cover.FORMAT_PNG)]
    else:
        audio.tags["title"] = [title]
        audio.tags["comment"] = ["x" * 5000]  # long enough to spill the comment over pages
        if art and path.suffix == ".flac":
            audio.add_picture(_picture())
        elif art:
            encoded = base64.b64encode(_picture().write()).decode()
            audio.tags["metadata_block_picture"] = [encoded]
    audio.save()


def add_mp3_tag_containers(path: Path) -> None:
    """Wrap an MP3 in every container a tagger may leave: ID3v2.4 with an extended header and a
    footer in front, then APEv2, Lyrics3v2, an appended ID3v2 with footer and ID3v1 behind."""
    audio = path.read_bytes()
    frames = b"TIT2" + (6).to_bytes(4, "big") + b"\0\0" + b"\x03Song\0"
    ext_header = (6).to_bytes(4, "big") + b"\x01\x00"
    body = ext_header + frames + b"\0" * 32

    def syncsafe(n: int) -> bytes:
        return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])

    id3_front = b"ID3\x04\x00\x50" + syncsafe(len(body)) + body + b"3DI\x04\x00\x50"
    id3_front += syncsafe(len(body))
    id3_back = b"ID3\x04\x00\x10" + syncsafe(len(frames)) + frames + b"3DI\x04\x00\x10"
    id3_back += syncsafe(len(frames))
    lyrics = b"LYRICSBEGIN" + b"IND00003110" + b"LYR00011la la la la"
    lyrics3 = lyrics + str(len(lyrics)).zfill(6).encode() + b"LYRICS200"
    path.write_bytes(id3_front + audio)
    ape = APEv2()
    ape["Title"] = "Song in APE"
    ape.save(str(path))
    with path.open("ab") as f:
        f.write(lyrics3 + id3_back)
        f.write(b"TAG" + b"Song".ljust(30, b"\0") + b"\0" * 94 + b"\x0c")
