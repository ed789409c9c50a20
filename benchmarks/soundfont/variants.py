"""Related songs, for duplicate-finding corpora: each is ``dataclasses.replace`` of a song.

What each shares with the song it comes from (and so what a duplicate finder must not merge):

- ``radio_edit`` / ``extended_mix``: the same song, arranged shorter / longer.
- ``album_sibling``: same family, tempo, key, instruments and kit; other chords, melody, bass
  and drum pattern.
- ``shared_intro``: two songs with the same drums-only intro (identical audio up to its end),
  then different chords, melody and bass.
- ``cover``: the same melody and chords in another key and tempo, on other instruments and
  drums, played by other hands.
- ``remix``: the same melody and chords over another family's drums, bass and tempo.
- ``live_take``: the same song with a drifting tempo and looser playing.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

from benchmarks.soundfont.model import (
    BEATS_PER_BAR,
    Family,
    Humanise,
    Instruments,
    Key,
    Part,
    Reverb,
    SectionKind,
    Song,
    Stroke,
    TempoDrift,
)
from benchmarks.soundfont.styles import (
    STYLES,
    random_arrangement,
    random_bass,
    random_drums,
    random_melody,
    random_progression,
    random_reverb,
)

T = TypeVar("T")


def _other(rng: random.Random, options: Sequence[T], current: T) -> T:
    """A random option other than ``current`` when there is one."""
    others = [option for option in options if option != current]
    return rng.choice(others or list(options))


def _resized(song: Song, bars_of: dict[SectionKind, int]) -> Song:
    sections = tuple(
        replace(section, bars=bars_of.get(section.kind, section.bars)) for section in song.sections
    )
    return replace(song, sections=tuple(section for section in sections if section.bars > 0))


def radio_edit(song: Song) -> Song:
    """Intro cut to a bar or two, breakdown halved, outro dropped."""
    lengths = {section.kind: section.bars for section in song.sections}
    return _resized(
        song,
        {
            SectionKind.INTRO: min(lengths.get(SectionKind.INTRO, 0), 2),
            SectionKind.BREAKDOWN: max(1, lengths.get(SectionKind.BREAKDOWN, 0) // 2),
            SectionKind.OUTRO: 0,
        },
    )


def extended_mix(song: Song) -> Song:
    """Intro, body and outro twice as long (a DJ's extended version)."""
    return _resized(
        song,
        {
            section.kind: section.bars * 2
            for section in song.sections
            if section.kind in (SectionKind.INTRO, SectionKind.BODY, SectionKind.OUTRO)
        },
    )


def _new_harmony(song: Song, rng: random.Random) -> Song:
    """Other chords, melody and bass in the same key and family style."""
    style = STYLES[song.family]
    chord_bars = song.progression[0].bars
    progression = random_progression(song.key.mode, rng, chord_bars)
    for _ in range(8):  # another progression than the song's when the table allows
        if progression != song.progression:
            break
        progression = random_progression(song.key.mode, rng, chord_bars)
    return replace(
        song,
        progression=progression,
        melody=random_melody(progression, song.key.mode, rng, style.notes_per_bar),
        bass=random_bass(progression, rng.choice(style.bass_rhythms)),
    )


def album_sibling(song: Song, rng: random.Random) -> Song:
    """Another track of the same album: same tempo, key, instruments; other tune and drums."""
    sibling = _new_harmony(song, rng)
    return replace(sibling, drums=random_drums(song.family, rng), seed=rng.randrange(2**31))


def shared_intro(song: Song, rng: random.Random) -> tuple[Song, Song]:
    """The song with a drums-only intro, and a second song opening with the same intro (same
    drums, tempo, kit and performance) that goes on with other chords, melody and bass."""
    drums_only = frozenset({Part.KICK, Part.DRUMS})
    first = replace(
        song,
        sections=tuple(
            replace(section, parts=drums_only) if section.kind is SectionKind.INTRO else section
            for section in song.sections
        ),
    )
    return first, _new_harmony(first, rng)


def cover(song: Song, rng: random.Random) -> Song:
    """The same melody and chords moved to another key (1 to 5 semitones) and tempo (4 to 10 %
    away), on other instruments and drums, with other humanisation, in another room."""
    style = STYLES[song.family]
    shift = rng.choice([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5])
    factor = 1 + rng.choice([-1, 1]) * rng.uniform(0.04, 0.10)
    instruments = Instruments(
        melody=_other(rng, style.melody, song.instruments.melody),
        chords=_other(rng, style.chords, song.instruments.chords),
        bass=_other(rng, style.bass, song.instruments.bass),
        kit=_other(rng, style.kits, song.instruments.kit),
    )
    return replace(
        song,
        tempo=round(song.tempo * factor, 1),
        key=Key((song.key.tonic + shift) % 12, song.key.mode),
        instruments=instruments,
        drums=random_drums(song.family, rng),
        comping=tuple(Stroke(start, length) for start, length in rng.choice(style.comping)),
        humanise=Humanise(round(rng.uniform(2.0, 12.0), 1), rng.randint(4, 12)),
        detune_cents=0.0,
        reverb=random_reverb(song.family, rng),
        seed=rng.randrange(2**31),
    )


def remix(song: Song, rng: random.Random, family: Family | None = None) -> Song:
    """The same melody and chords over ``family``'s (by default another beat family's) drums,
    bass line, tempo and arrangement, about as long as the song."""
    beat_families = [f for f in Family if f is not Family.AMBIENT]
    family = family or _other(rng, beat_families, song.family)
    style = STYLES[family]
    tempo = float(rng.randint(*style.tempo))
    seconds = song.bars * BEATS_PER_BAR * 60 / song.tempo
    bars = max(song.loop_bars, round(seconds * tempo / 60 / BEATS_PER_BAR))
    return replace(
        song,
        family=family,
        tempo=tempo,
        drums=random_drums(family, rng),
        bass=random_bass(song.progression, rng.choice(style.bass_rhythms)),
        comping=tuple(Stroke(start, length) for start, length in rng.choice(style.comping)),
        instruments=replace(
            song.instruments, bass=rng.choice(style.bass), kit=rng.choice(style.kits)
        ),
        sections=random_arrangement(family, rng, bars, song.loop_bars),
        swing=round(rng.uniform(*style.swing), 3),
        seed=rng.randrange(2**31),
    )


def live_take(song: Song, rng: random.Random) -> Song:
    """The song played live: tempo wandering 1.5 to 3 % over 8 to 32 bars, timing ±10-25 ms,
    velocities ±8-16, in a bigger room, another performance (seed)."""
    return replace(
        song,
        drift=TempoDrift(round(rng.uniform(0.015, 0.03), 4), float(rng.choice([8, 16, 32]))),
        humanise=Humanise(round(rng.uniform(10.0, 25.0), 1), rng.randint(8, 16)),
        reverb=Reverb(round(rng.uniform(1.5, 2.5), 2), round(rng.uniform(0.25, 0.4), 2)),
        seed=rng.randrange(2**31),
    )
