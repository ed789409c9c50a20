"""The benchmark's tuning corpus: a labelled messy library of seeded tunes (``beetcrate.synth``).

Every file carries two labels: ``audio`` (files with equal labels hold byte-identical audio
payloads and differ only in tags) and ``recording`` (the same performance, whatever the
encoding). Hard negatives are labelled with the pair they must not be merged with.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from beetcrate import media
from beetcrate.synth.tagging import add_mp3_tag_containers, retag
from beetcrate.synth.tunes import RATE, tune
from benchmarks.dupes import edits
from benchmarks.dupes.edits import FLAC, Edit, Encoding

SILENCE = np.zeros((2, RATE), np.float32)

# The copies of each song beyond the encodings (``edits.encodings``). The master has 1 s
# of silence at each end, so a trim of (3, 2) cuts 2 s of music at the start and 1 s at the end.
EDITS = [
    *edits.encodings(),
    Edit("mp3-22k-decimated", Encoding("mp3", rate=22050, bit_rate=160_000)),
    Edit("silence-padded", FLAC, pad=(2.0, 2.0)),
    Edit("silence-trimmed", FLAC, trim=(1.0, 1.0)),
    Edit("trimmed", FLAC, trim=(3.0, 2.0)),
    Edit("gain-3db", FLAC, gain_db=-3.0),
    Edit("gain-6db", Encoding("mp3", bit_rate=256_000), gain_db=-6.0),
    Edit("gain+6db", FLAC, gain_db=6.0),
    Edit("mono", Encoding("mp3", bit_rate=192_000), mono=True),
    Edit(
        "mp3-to-opus", Encoding("opus", bit_rate=96_000), source=Encoding("mp3", bit_rate=128_000)
    ),
    Edit("aac-to-mp3", Encoding("mp3", quality=2), source=Encoding("m4a", bit_rate=128_000)),
]
# Retagged copies (same audio, other tags and art) of these copies' files.
RETAGGED = {
    "master": "flac",
    "mp3-320": "mp3",
    "vorbis-q5": "ogg",
    "opus-96": "opus",
    "aac-256": "m4a",
}


@dataclass(frozen=True)
class File:
    path: Path
    audio: str  # equal for files whose audio payload is identical
    recording: str  # equal for the same recording in any encoding
    role: str  # what the file is (the master, an edit's kind, a retag), for the report


@dataclass(frozen=True)
class HardNegative:
    a: str  # recording labels that must not be merged
    b: str
    kind: str


def _copy_retagged(source: Path, target: Path, title: str) -> None:
    shutil.copyfile(source, target)
    if target.suffix == ".mp3" and "containers" in target.name:
        add_mp3_tag_containers(target)
    else:
        retag(target, title)


def build(root: Path, songs: int, seconds: float) -> tuple[list[File], list[HardNegative]]:
    """Write the corpus under ``root`` (emptied first)."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    files: list[File] = []
    negatives: list[HardNegative] = []
    for n in range(songs):
        # Songs come in pairs sharing key and tempo: each is the other's hard negative.
        key, bpm = 55 + (n // 2) % 7, 96.0 + 8 * ((n // 2) % 5)
        rec = f"song{n}"
        body = tune(1000 + n, seconds, key, bpm)
        master = np.concatenate([SILENCE, body, SILENCE], axis=1)
        folder = root / rec
        folder.mkdir()
        flac = folder / "master.flac"
        media.write_audio(flac, master, RATE)
        files.append(File(flac, f"{rec}/master", rec, "master"))
        written = {"master": flac}
        for edit in EDITS:
            path = folder / f"{edit.kind}.{edit.encoding.suffix}"
            if edit.kind == "mp3-22k-decimated":  # every other sample: aliasing, no filter
                media.write_audio(path, master[:, ::2].copy(), RATE // 2, bit_rate=160_000)
            else:
                edits.write_copy(master, RATE, edit, path)
            files.append(File(path, f"{rec}/{edit.kind}", rec, edit.kind))
            written[edit.kind] = path
        # Retagged copies: every tag container, same audio as their source.
        retagged = [(kind, f"retagged.{suffix}") for kind, suffix in RETAGGED.items()]
        retagged.append(("mp3-320", "retagged-containers.mp3"))
        for kind, copy_name in retagged:
            target = folder / copy_name
            _copy_retagged(written[kind], target, f"Another title for {rec}")
            files.append(File(target, f"{rec}/{kind}", rec, "retagged"))
        if n % 2:
            negatives.append(HardNegative(f"song{n - 1}", rec, "album sibling"))
        extended = folder / "extended.flac"
        media.write_audio(
            extended,
            np.concatenate([tune(5000 + n, 8, key, bpm), body, tune(6000 + n, 8, key, bpm)], 1),
            RATE,
        )
        files.append(File(extended, f"{rec}/extended", f"{rec}-extended", "extended"))
        negatives.append(HardNegative(rec, f"{rec}-extended", "radio edit vs extended"))
        intro = folder / "shared-intro.flac"
        media.write_audio(
            intro, np.concatenate([body[:, : int(4 * RATE)], tune(7000 + n, seconds)], 1), RATE
        )
        files.append(File(intro, f"{rec}/intro", f"{rec}-intro", "shared intro"))
        negatives.append(HardNegative(rec, f"{rec}-intro", "shared intro"))
        # The same tune two semitones up and 6 % faster: a cover of it.
        cover = folder / "cover.mp3"
        media.write_audio(
            cover, tune(1000 + n, seconds, key + 2, bpm * 1.06), RATE, bit_rate=192_000
        )
        files.append(File(cover, f"{rec}/cover", f"{rec}-cover", "cover"))
        negatives.append(HardNegative(rec, f"{rec}-cover", "cover"))
    return files, negatives


def throughput_files(root: Path, minutes: float) -> list[Path]:
    """A few full-length files (album-track sized) for the MB/s figures."""
    root.mkdir(parents=True, exist_ok=True)
    long = np.concatenate([tune(9000 + i, 30) for i in range(int(minutes * 2))], axis=1)
    paths = []
    for suffix, bit_rate in [("flac", None), ("mp3", 320_000), ("ogg", None), ("m4a", 256_000)]:
        path = root / f"long.{suffix}"
        media.write_audio(path, long, RATE, bit_rate=bit_rate)
        retag(path, "A long track")
        paths.append(path)
    return paths
