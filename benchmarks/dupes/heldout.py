"""The held-out corpus: songs written as MIDI and played through a General MIDI SoundFont.

Nothing here was used to choose the duplicate finder's constants. The music comes from
``benchmarks.soundfont`` (sampled instruments and kits, arrangements in sections, humanised
timing), which shares no code with the tunes of the tuning corpus (``corpus``); the copies are
made by the same ``edits`` as there, with their amounts drawn per song from the issue's ranges:
silence padding of 0.5-2 s, trims of up to 2 s at either end, gain changes of up to ±6 dB, other
sample rates and bit depths, mono downmixes and lossy-to-lossy chains. The hard negatives are
relations a score can express: an extended mix (more sections), an album sibling (same tempo,
key and instruments, other chords and melody), a track sharing the intro, a cover (other
instruments, key and tempo), a remix (other drums and tempo) and a live take (tempo drift and
looser timing).
"""

from __future__ import annotations

import random
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np

from beetcrate import media
from beetcrate.synth.tagging import retag
from benchmarks.dupes import edits
from benchmarks.dupes.edits import Edit, Encoding
from benchmarks.dupes.labels import MASTER, RETAGGED, File, HardNegative
from benchmarks.soundfont import Family, Key, Song, compose, random_song, render
from benchmarks.soundfont.model import Humanise, Section, SectionKind, TempoDrift

RATE = 44100
FAMILIES = [family for family in Family if family is not Family.AMBIENT]
LOSSY = [
    Encoding("mp3", bit_rate=128_000),
    Encoding("m4a", bit_rate=128_000),
    Encoding("opus", bit_rate=64_000),
    Encoding("mp3", quality=2),
]


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


def _extended(song: Song) -> Song:
    """The extended mix: the intro and the drop twice as long, and a second breakdown."""
    longer = []
    for section in song.sections:
        if section.kind in (SectionKind.INTRO, SectionKind.DROP):
            section = replace(section, bars=2 * section.bars)
        longer.append(section)
        if section.kind is SectionKind.BREAKDOWN:
            longer.append(Section(SectionKind.BODY, section.bars))
            longer.append(section)
    return replace(song, sections=tuple(longer))


def _sibling(song: Song, rng: random.Random, seconds: float) -> Song:
    """Another track of the album: same tempo, key, instruments and drums; other chords and tune."""
    other = random_song(song.family, rng, seconds=seconds, tempo=song.tempo, key=song.key)
    return replace(other, instruments=song.instruments, drums=song.drums)


def _cover(song: Song, rng: random.Random, seconds: float) -> Song:
    """The same chords and melody, played by another band: instruments, key and tempo differ."""
    band = random_song(song.family, rng, seconds=seconds)
    return replace(
        song,
        instruments=band.instruments,
        drums=band.drums,
        key=Key((song.key.tonic + rng.choice([-3, -2, 2, 3])) % 12, song.key.mode),
        tempo=round(song.tempo * rng.choice([0.92, 0.95, 1.05, 1.08]), 1),
    )


def _remix(song: Song, rng: random.Random, seconds: float) -> Song:
    """The same melody and chords over another family's drums, at that family's tempo."""
    family = rng.choice([f for f in FAMILIES if f is not song.family])
    beat = random_song(family, rng, seconds=seconds)
    return replace(song, family=family, drums=beat.drums, tempo=beat.tempo, bass=beat.bass)


def _live(song: Song, rng: random.Random) -> Song:
    """The same band playing it live: the tempo wanders and the timing is looser."""
    return replace(
        song,
        drift=TempoDrift(depth=rng.uniform(0.015, 0.03)),
        humanise=Humanise(timing_ms=rng.uniform(12.0, 25.0), velocity=12),
        seed=rng.randrange(2**31),
    )


def _audio(song: Song) -> np.ndarray:
    return render(compose(song), sample_rate=RATE)


def build(
    root: Path, songs: int, seconds: float, seed: int = 15
) -> tuple[list[File], list[HardNegative]]:
    """Write the held-out corpus under ``root`` (emptied first)."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    files: list[File] = []
    negatives: list[HardNegative] = []
    for n in range(songs):
        rng = random.Random(seed * 1000 + n)
        song = random_song(FAMILIES[n % len(FAMILIES)], rng, seconds=seconds)
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
        related = {
            "radio edit vs extended": _audio(_extended(song)),
            "album sibling": _audio(_sibling(song, rng, seconds)),
            "cover": _audio(_cover(song, rng, seconds)),
            "remix": _audio(_remix(song, rng, seconds)),
            "live take": _audio(_live(song, rng)),
        }
        # The same first 8 s (the intro a DJ edit keeps), then another track of the album.
        cut = 8 * RATE
        related["shared intro"] = np.concatenate(
            [master[:, :cut], _audio(_sibling(song, rng, seconds))[:, cut:]], axis=1
        )
        for kind, audio in related.items():
            label = f"{rec}-{kind.replace(' ', '-')}"
            path = folder / f"{kind.replace(' ', '-')}.flac"
            media.write_audio(path, audio, RATE)
            files.append(File(path, label, label, kind))
            negatives.append(HardNegative(rec, label, kind))
    return files, negatives
