"""Fixtures for the duplicate finder: real files in every format, retagged the ways taggers do."""

from __future__ import annotations

import base64
import json
import shutil
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import mutagen
import numpy as np
import pytest
import yaml
from beets import config, plugins, ui
from beets.library import Item, Library
from mutagen.apev2 import APEv2
from mutagen.flac import Picture
from mutagen.id3 import APIC, ID3, TIT2
from mutagen.mp4 import MP4Cover

from beetcrate import media
from tests.conftest import SAMPLE_RATE, sine
from tests.dupes import music

FORMATS = ["flac", "mp3", "ogg", "opus", "m4a", "wav"]
COVER = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def write_tone(path: Path, seconds: float = 2.0, freq: float = 440.0) -> Path:
    """A real audio file at ``path``; WAV through the standard library, the rest through PyAV."""
    samples = sine(seconds, freq)
    if path.suffix == ".wav":
        pcm = (np.clip(samples.T, -1, 1) * 32767).astype("<i2")
        with wave.open(str(path), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes(pcm.tobytes())
    else:
        media.write_audio(path, samples, SAMPLE_RATE)
    return path


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


@pytest.fixture
def tone(tmp_path: Path) -> Callable[..., Path]:
    """Write a tone file: ``tone("flac")``, ``tone("mp3", freq=660, name="b")``."""

    def make(suffix: str, seconds: float = 2.0, freq: float = 440.0, name: str = "a") -> Path:
        return write_tone(tmp_path / f"{name}.{suffix}", seconds, freq)

    return make


def copy(path: Path, name: str) -> Path:
    target = path.with_name(f"{name}{path.suffix}")
    shutil.copyfile(path, target)
    return target


class Beet:
    """Runs ``beet ARGS`` in-process, as the command line does, on the test library."""

    def __init__(self, lib: Library, home: Path, capsys: pytest.CaptureFixture[str]):
        self.lib = lib
        self.home = home
        self.capsys = capsys
        self.music = Path(lib.directory.decode())
        self.settings: dict = {"dupes": {}}
        self.configure()

    def configure(self, **dupes: object) -> None:
        """Write the beets config file: ``plugins: dupes`` and these ``dupes:`` settings."""
        self.settings["dupes"].update(dupes)
        text = (
            f"directory: {self.music}\nlibrary: {self.home / 'library.db'}\nplugins: [dupes]\n"
            "import: {copy: no, write: no, duplicate_action: keep}\n"
            + yaml.safe_dump(self.settings)
        )
        (self.home / "config.yaml").write_text(text)

    def __call__(self, *args: str) -> str:
        """A fresh configuration and plugin instance per command, as each ``beet`` process has."""
        self.capsys.readouterr()
        reset_beets()
        ui._raw_main(list(args))
        return self.capsys.readouterr().out

    @property
    def db_path(self) -> Path:
        return self.home / "beetcrate.db"

    def add(
        self,
        name: str,
        samples: np.ndarray,
        bit_rate: int | None = None,
        rate: int = music.RATE,
        **fields: object,
    ) -> Item:
        """Encode ``samples`` to ``music/name``, tag it through beets and add it."""
        path = self.music / name
        path.parent.mkdir(parents=True, exist_ok=True)
        media.write_audio(path, samples, rate, bit_rate=bit_rate)
        item = Item.from_path(str(path))
        item.update({"title": Path(name).stem, "artist": "Artist", **fields})
        item.write()
        self.lib.add(item)
        return item

    def groups(self) -> list[dict]:
        return json.loads(self("dupes", "list", "--json"))["groups"]


@pytest.fixture
def beet(library: Library, beets_home: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Beet]:
    """The test library with ``plugins: dupes`` in its configuration."""
    yield Beet(library, beets_home, capsys)
    reset_beets()


def reset_beets() -> None:
    plugins.BeetsPlugin.listeners.clear()
    plugins.BeetsPlugin._raw_listeners.clear()
    plugins._instances.clear()
    config.clear()
    config._materialized = False
