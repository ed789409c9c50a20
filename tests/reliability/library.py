"""One small beets library of good and broken files, and ``beet`` run on it as a user runs it.

``build`` writes the files (synthesized, at most 2 s), adds them through the beets API and then
breaks the ones that break after import (deleted, unreadable). ``BAD`` names the files no job
can process; the other files are good audio, some with odd tags or odd lengths, which every job
must process fully.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from mutagen.flac import FLAC
from mutagen.id3 import COMM, ID3, TIT2
from mutagen.ogg import OggPage
from mutagen.oggvorbis import OggVorbis

from beetcrate import media
from beetcrate.synth.tones import RATE, sine
from tests.helper import BeetsHome, run_process

# chmod 000 stops every user but root, who reads the file anyway.
CAN_MAKE_UNREADABLE = os.geteuid() != 0

GOOD = [
    "good.flac",
    "good.mp3",
    "good.ogg",
    "copy.flac",  # the same audio as good.flac, other tags: an exact-audio group
    "short 0.2 s.flac",
    "short 1.5 s.flac",
    "tag invalid utf-8.flac",
    "tag invalid utf-8.mp3",
    "tag invalid utf-8.ogg",
    "tag nul.flac",
    "tag huge.flac",
]
BAD = [
    "empty.flac",
    "empty.mp3",
    "truncated.flac",
    "truncated.mp3",
    "truncated.ogg",
    "random.flac",
    "random.mp3",
    "random.ogg",
    "garbage body.flac",
    "deleted.flac",
    *(["unreadable.flac"] if CAN_MAKE_UNREADABLE else []),
]


@dataclass(frozen=True)
class Done:
    """A finished ``beet`` process."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class BrokenLibrary:
    """The library's home, its mirror and trash, and ``beet`` in a process of its own."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.mirror = root / "mirror"
        self.trash = root / "trash"
        self.crates = root / "crates"
        self.home = BeetsHome(
            root,
            plugins=["dupes", "opus", "dj", "crates"],
            opus={"directory": str(self.mirror)},
            dupes={"trash": str(self.trash)},
            crates={"directory": str(self.crates)},
        )

    def beet(self, *args: str) -> Done:
        """``beet ARGS`` in a separate process, as a user runs it: its exit status and output."""
        env = {**os.environ, "BEETSDIR": str(self.home.dir)}
        done: subprocess.CompletedProcess[str] = run_process("beet", *args, env=env, check=False)
        return Done(args, done.returncode, done.stdout, done.stderr)

    def path(self, name: str) -> Path:
        return self.home.music / name

    def item_ids(self) -> dict[str, int]:
        return {Path(os.fsdecode(i.path)).name: i.id for i in self.home.lib.items()}


def _flac_header(data: bytes) -> bytes:
    """The ``fLaC`` mark and metadata blocks of a FLAC file, without its frames."""
    offset = 4
    while True:
        last, length = data[offset] & 0x80, int.from_bytes(data[offset + 1 : offset + 4], "big")
        offset += 4 + length
        if last:
            return data[:offset]


def _patch(path: Path, marker: bytes, replacement: bytes) -> None:
    """Overwrite ``marker`` in the file's bytes (same length: the tag's length field holds)."""
    data = path.read_bytes()
    at = data.index(marker)
    path.write_bytes(data[:at] + replacement + data[at + len(replacement) :])


def _invalid_utf8_comment(path: Path) -> Path:
    """An MP3 (ID3v2.4, UTF-8 frames) or Ogg Vorbis file whose comment is not UTF-8: PyAV's
    strict metadata decoding raises on it. The Ogg page holding it is written again so that
    its CRC holds (a reader would otherwise drop the page, not meet the bad tag)."""
    media.write_audio(path, sine(1.0, 920.0 + len(path.suffix)), RATE)
    if path.suffix == ".mp3":
        tags = ID3()
        tags.add(TIT2(encoding=3, text=path.name))
        tags.add(COMM(encoding=3, lang="eng", desc="", text="XXXX invalid"))
        tags.save(path, v2_version=4)
        _patch(path, b"XXXX", b"\xff\xfe\xc3\xa9")
        return path
    vorbis = OggVorbis(path)
    vorbis["title"], vorbis["comment"] = path.name, "XXXX invalid"
    vorbis.save()
    _patch(path, b"XXXX", b"\xff\xfe\xc3\xa9")
    pages = []
    with path.open("rb") as stream:
        while True:
            try:
                pages.append(OggPage(stream))
            except EOFError:
                break
    path.write_bytes(b"".join(page.write() for page in pages))
    return path


def build(root: Path) -> BrokenLibrary:
    library = BrokenLibrary(root)
    home = library.home
    rng = np.random.default_rng(17)
    for name, freq in [("good.flac", 440.0), ("good.mp3", 550.0), ("good.ogg", 660.0)]:
        home.add(name, sine(2.0, freq))
    home.add_file(library.path("good.flac"), "copy.flac", title="copy", artist="Artist")
    home.add("short 0.2 s.flac", sine(0.2, 330.0))
    home.add("short 1.5 s.flac", sine(1.5, 770.0))

    scratch = root / "scratch"
    scratch.mkdir()
    for name, value in [
        ("tag invalid utf-8.flac", "XXXX invalid"),
        ("tag nul.flac", "before\x00after"),
        ("tag huge.flac", "huge " * 200_000),  # a megabyte
    ]:
        path = scratch / name
        media.write_audio(path, sine(1.0, 880.0 + len(name)), RATE)
        tags = FLAC(path)
        tags["title"], tags["artist"], tags["comment"] = name, "Artist", value
        tags.save()
        if name == "tag invalid utf-8.flac":
            _patch(path, b"XXXX", b"\xff\xfe\xc3\xa9")
        home.add_file(path, name)

    for suffix in ("mp3", "ogg"):
        name = f"tag invalid utf-8.{suffix}"
        home.add_file(_invalid_utf8_comment(scratch / name), name)

    home.add_file(_write(scratch / "empty.flac", b""), "empty.flac")
    home.add_file(_write(scratch / "empty.mp3", b""), "empty.mp3")
    for suffix in ["flac", "mp3", "ogg"]:
        whole = scratch / f"whole.{suffix}"
        media.write_audio(whole, sine(2.0, 990.0), RATE)
        data = whole.read_bytes()
        home.add_file(
            _write(scratch / f"t.{suffix}", data[: len(data) // 2]), f"truncated.{suffix}"
        )
        home.add_file(_write(scratch / f"r.{suffix}", rng.bytes(20_000)), f"random.{suffix}")
    header = _flac_header((scratch / "whole.flac").read_bytes())
    home.add_file(_write(scratch / "g.flac", header + rng.bytes(40_000)), "garbage body.flac")

    home.add("deleted.flac", sine(1.0, 220.0))
    library.path("deleted.flac").unlink()
    if CAN_MAKE_UNREADABLE:
        home.add("unreadable.flac", sine(1.0, 250.0))
        library.path("unreadable.flac").chmod(0)
    shutil.rmtree(scratch)
    library.crates.mkdir()
    (library.crates / "all.yaml").write_text("all:\n  - notContains: {title: zzz}\n")
    home.close()
    return library


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
