"""The benchmark's tuning corpus: a labelled messy library of seeded tunes (``beetcrate.synth``).

The duplicate finder's constants were chosen on this corpus; ``heldout`` makes the same kinds of
copies of music from an unrelated generator to check they hold.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from beetcrate import media
from beetcrate.synth.tagging import add_mp3_tag_containers, retag
from beetcrate.synth.tunes import RATE, Take, tune
from benchmarks.dupes import edits
from benchmarks.dupes.edits import FLAC, Edit, Encoding
from benchmarks.dupes.labels import MASTER, RETAGGED, File, HardNegative

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
RETAGGED_COPIES = {
    "master": "flac",
    "mp3-320": "mp3",
    "vorbis-q5": "ogg",
    "opus-96": "opus",
    "aac-256": "m4a",
}


def _wander(samples: np.ndarray, depth: float, period: float) -> np.ndarray:
    """``samples`` played at a tempo wandering sinusoidally by ``depth`` over ``period`` s."""
    n = samples.shape[1]
    reach = depth * period / (2 * np.pi) * RATE  # the largest displacement, in samples
    source = np.arange(n) + reach * np.sin(2 * np.pi * np.arange(n) / (period * RATE))
    return np.stack([np.interp(source, np.arange(n), channel) for channel in samples])


def _take(n: int) -> Take:
    """Song ``n``'s live performance, drawn from its own seed."""
    rng = np.random.default_rng(3000 + n)
    return Take(
        seed=3000 + n,
        tempo=1 + rng.choice([-1, 1]) * rng.uniform(0.003, 0.01),
        drift=rng.uniform(-0.015, 0.015),
        jitter=rng.uniform(0.008, 0.02),
        dynamics=rng.uniform(2.0, 4.0),
    )


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
        files.append(File(flac, f"{rec}/{MASTER}", rec, MASTER))
        written = {MASTER: flac}
        for edit in EDITS:
            path = folder / f"{edit.kind}.{edit.encoding.suffix}"
            if edit.kind == "mp3-22k-decimated":  # every other sample: aliasing, no filter
                media.write_audio(path, master[:, ::2].copy(), RATE // 2, bit_rate=160_000)
            else:
                edits.write_copy(master, RATE, edit, path)
            files.append(File(path, f"{rec}/{edit.kind}", rec, edit.kind))
            written[edit.kind] = path
        # Retagged copies: every tag container, same audio as their source.
        retagged = [(kind, f"retagged.{suffix}") for kind, suffix in RETAGGED_COPIES.items()]
        retagged.append(("mp3-320", "retagged-containers.mp3"))
        for kind, copy_name in retagged:
            target = folder / copy_name
            _copy_retagged(written[kind], target, f"Another title for {rec}")
            files.append(File(target, f"{rec}/{kind}", rec, RETAGGED))
        if n % 2:
            negatives.append(HardNegative(f"song{n - 1}", rec, "album sibling"))
        # What a live take of the tune shares with it: the same notes, played 3 % slower, or
        # with a tempo that wanders ±2 % around the studio's.
        live = folder / "live.flac"
        media.write_audio(live, tune(1000 + n, seconds, key, bpm * 0.97), RATE)
        files.append(File(live, f"{rec}/live", f"{rec}-live", "live take"))
        negatives.append(HardNegative(rec, f"{rec}-live", "live take"))
        wandering = folder / "live-wandering.flac"
        media.write_audio(wandering, _wander(master, depth=0.02, period=seconds), RATE)
        label = f"{rec}-live-wandering"
        files.append(File(wandering, label, label, "live take"))
        negatives.append(HardNegative(rec, label, "live take"))
        # The band plays it again: the same notes, each a little early or late and louder or
        # softer, at a tempo off the studio's by 0.3-1 % that drifts by up to 1.5 %.
        performed = folder / "live-performed.flac"
        media.write_audio(
            performed,
            np.concatenate([SILENCE, tune(1000 + n, seconds, key, bpm, _take(n)), SILENCE], 1),
            RATE,
        )
        label = f"{rec}-live-performed"
        files.append(File(performed, label, label, "live take"))
        negatives.append(HardNegative(rec, label, "live take"))
        extended = folder / "extended.flac"
        media.write_audio(
            extended,
            np.concatenate([tune(5000 + n, 8, key, bpm), body, tune(6000 + n, 8, key, bpm)], 1),
            RATE,
        )
        files.append(File(extended, f"{rec}/extended", f"{rec}-extended", "radio edit vs extended"))
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
