"""The benchmark's labelled messy library, synthesized from scratch.

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

SILENCE = np.zeros((2, RATE), np.float32)

# name -> (suffix, bit rate, sample rate, transform); one re-encoding each
REENCODINGS = {
    "mp3-320": ("mp3", 320_000, RATE, None),
    "mp3-192": ("mp3", 192_000, RATE, None),  # stands in for LAME V2 (~190 kbps)
    "mp3-128": ("mp3", 128_000, RATE, None),
    "opus-96": ("opus", 96_000, RATE, None),
    "vorbis": ("ogg", None, RATE, None),
    "aac-128": ("m4a", 128_000, RATE, None),
    "resampled-22k": ("mp3", 160_000, RATE // 2, "resample"),
    "silence-added": ("flac", None, RATE, "pad"),
    "silence-trimmed": ("flac", None, RATE, "trim"),
    "gain-6db": ("mp3", 256_000, RATE, "gain"),
}


@dataclass(frozen=True)
class File:
    path: Path
    audio: str  # equal for files whose audio payload is identical
    recording: str  # equal for the same recording in any encoding
    role: str  # what the file is, for the report


@dataclass(frozen=True)
class HardNegative:
    a: str  # recording labels that must not be merged
    b: str
    kind: str


def _transform(samples: np.ndarray, how: str | None) -> np.ndarray:
    if how == "resample":
        return np.ascontiguousarray(samples[:, ::2])
    if how == "pad":
        return np.concatenate([SILENCE, SILENCE, samples, SILENCE, SILENCE], axis=1)
    if how == "trim":
        return np.ascontiguousarray(samples[:, RATE:-RATE])  # the master's silence, cut
    if how == "gain":
        return samples * 0.5
    return samples


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
        files.append(File(flac, f"{rec}/flac", rec, "master"))
        mp3 = folder / "mp3-320.mp3"
        for name, (suffix, bit_rate, rate, how) in REENCODINGS.items():
            path = folder / f"{name}.{suffix}"
            media.write_audio(path, _transform(master, how), rate, bit_rate=bit_rate)
            files.append(File(path, f"{rec}/{name}", rec, name))
        # Retagged copies: every tag container, same audio as their source.
        for source, copy_name in [
            (flac, "retagged.flac"),
            (mp3, "retagged-id3.mp3"),
            (mp3, "retagged-containers.mp3"),
            (folder / "vorbis.ogg", "retagged.ogg"),
            (folder / "opus-96.opus", "retagged.opus"),
            (folder / "aac-128.m4a", "retagged.m4a"),
        ]:
            target = folder / copy_name
            _copy_retagged(source, target, f"Another title for {rec}")
            label = next(f.audio for f in files if f.path == source)
            files.append(File(target, label, rec, f"retag-{target.suffix[1:]}"))
        if n % 2:
            negatives.append(HardNegative(f"song{n - 1}", rec, "same key and tempo"))
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
        negatives.append(HardNegative(rec, f"{rec}-intro", "identical intro"))
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
