"""The held-out corpus: songs written as MIDI and played through a General MIDI SoundFont.

Nothing here was used to choose the duplicate finder's constants. The music comes from
``benchmarks.soundfont`` (sampled instruments and kits, arrangements in sections, humanised
timing), which shares no code with the tunes of the tuning corpus (``corpus``); the copies are
made by the same ``edits`` as there, with their amounts drawn per song from the issue's ranges:
silence padding of 0.5-2 s, trims of up to 2 s at either end, gain changes of up to ±6 dB, other
sample rates and bit depths, mono downmixes and lossy-to-lossy chains. The hard negatives are
the renderer's own related songs (``benchmarks.soundfont.variants``): its radio edit and
extended mix, an album sibling, a song sharing its drums-only intro, a cover, a remix and a
live take.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np

from beetcrate import media
from beetcrate.synth.tagging import retag
from benchmarks.dupes import edits
from benchmarks.dupes.edits import Edit, Encoding
from benchmarks.dupes.labels import MASTER, RETAGGED, File, HardNegative
from benchmarks.soundfont import Family, Song, compose, random_song, render, variants

RATE = 44100
# The kind of hard negative each related track is, for the report.
KINDS = {
    "radio edit": "radio edit vs extended",
    "extended mix": "radio edit vs extended",
    "album sibling": "album sibling",
    "shared intro": "shared intro",
    "cover": "cover",
    "remix": "remix",
    "live take": "live take",
}
FAMILIES = [family for family in Family if family is not Family.AMBIENT]
LOSSY = [
    Encoding("mp3", bit_rate=128_000),
    Encoding("m4a", bit_rate=128_000),
    Encoding("opus", bit_rate=64_000),
    Encoding("mp3", quality=2),
]


SEED = 15  # the draw the benchmark reports by default


def copies(rng: random.Random) -> list[Edit]:
    """One song's copies beyond the issue's encodings, amounts drawn from the issue's ranges."""

    def seconds() -> float:
        return round(rng.uniform(0.5, 2.0), 2)

    def decibels() -> float:
        return round(rng.uniform(1.0, 6.0), 1)

    first, then = rng.sample(LOSSY, 2)
    return [
        Edit("silence-padded", Encoding("flac"), pad=(seconds(), seconds())),
        Edit("trimmed-start", Encoding("mp3", quality=2), trim=(seconds(), 0.0)),
        Edit("trimmed-end", Encoding("m4a", bit_rate=256_000), trim=(0.0, seconds())),
        Edit("trimmed-both", Encoding("flac"), trim=(seconds(), seconds())),
        Edit("gain-down", Encoding("mp3", bit_rate=320_000), gain_db=-decibels()),
        Edit("gain-up", Encoding("flac"), gain_db=decibels()),
        Edit(
            "resampled",
            # Not 48 kHz: the FLAC 24/48 copy is that one already (the same audio).
            Encoding("flac", rate=rng.choice([22050, 32000, 88200, 96000]), bit_depth=24),
        ),
        Edit("mono", Encoding("mp3", quality=2), mono=True),
        Edit("lossy-to-lossy", then, source=first),
    ]


def _audio(song: Song) -> np.ndarray:
    return render(compose(song), sample_rate=RATE)


def build(
    root: Path, songs: int, seconds: float, seed: int = SEED
) -> tuple[list[File], list[HardNegative]]:
    """Write the held-out corpus under ``root`` (emptied first)."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    files: list[File] = []
    negatives: list[HardNegative] = []
    for n in range(songs):
        rng = random.Random(seed * 1000 + n)
        # The song opens with a drums-only intro that its twin shares, then goes its own way.
        song, intro_twin = variants.shared_intro(
            random_song(FAMILIES[n % len(FAMILIES)], rng, seconds=seconds), rng
        )
        rec = f"midi{n}"
        folder = root / rec
        folder.mkdir()
        master = _audio(song)
        flac = folder / "master.flac"
        media.write_audio(flac, master, RATE)
        files.append(File(flac, f"{rec}/{MASTER}", rec, MASTER))
        for edit in [*edits.encodings(), *copies(rng)]:
            path = folder / f"{edit.kind}.{edit.encoding.suffix}"
            edits.write_copy(master, RATE, edit, path)
            files.append(File(path, f"{rec}/{edit.kind}", rec, edit.kind))
            if edit.kind in ("mp3-320", "opus-96"):
                retagged = folder / f"retagged-{path.name}"
                shutil.copyfile(path, retagged)
                retag(retagged, f"Another title for {rec}")
                files.append(File(retagged, f"{rec}/{edit.kind}", rec, RETAGGED))
        twins = {
            "radio edit": variants.radio_edit(song),
            "extended mix": variants.extended_mix(song),
            "album sibling": variants.album_sibling(song, rng),
            "shared intro": intro_twin,
            "cover": variants.cover(song, rng),
            "remix": variants.remix(song, rng),
            "live take": variants.live_take(song, rng),
        }
        labels = {}
        for name, twin in twins.items():
            label = labels[name] = f"{rec}-{name.replace(' ', '-')}"
            path = folder / f"{name.replace(' ', '-')}.flac"
            media.write_audio(path, _audio(twin), RATE)
            files.append(File(path, label, label, KINDS[name]))
        for name, label in labels.items():
            negatives.append(HardNegative(rec, label, KINDS[name]))
        negatives.append(
            HardNegative(labels["radio edit"], labels["extended mix"], "radio edit vs extended")
        )
    return files, negatives
