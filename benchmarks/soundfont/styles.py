"""What each family sounds like, and ``random_song``: musically sensible songs drawn from it.

The builders (``random_progression``, ``random_melody``, ``random_bass``, ``random_drums``,
``random_instruments``, ``random_arrangement``) are public so related tracks can redraw one
part: a remix is ``replace(song, drums=random_drums(other_family, rng), tempo=...)``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from benchmarks.soundfont.model import (
    BEATS_PER_BAR,
    Chord,
    ChordQuality,
    DrumHit,
    DrumKit,
    DrumPattern,
    DrumVoice,
    Family,
    Humanise,
    Instruments,
    Key,
    Mode,
    Note,
    Part,
    Reverb,
    Section,
    SectionKind,
    Song,
    Stroke,
)

Q = ChordQuality
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)

# Progressions start on the tonic so the key is heard. Minor ones that reach V7 take its major
# third from the harmonic minor scale (the raised seventh, 11 semitones above the tonic).
MINOR_PROGRESSIONS: tuple[tuple[tuple[int, ChordQuality], ...], ...] = (
    ((0, Q.MINOR7), (8, Q.MAJOR7), (5, Q.MINOR7), (7, Q.DOMINANT7)),
    ((0, Q.MINOR7), (5, Q.MINOR7), (10, Q.DOMINANT7), (3, Q.MAJOR7)),
    ((0, Q.MINOR7), (8, Q.MAJOR7), (3, Q.MAJOR7), (7, Q.DOMINANT7)),
    ((0, Q.MINOR_MAJOR7), (5, Q.MINOR7), (2, Q.HALF_DIMINISHED7), (7, Q.DOMINANT7)),
    ((0, Q.MINOR7), (10, Q.DOMINANT7), (8, Q.MAJOR7), (7, Q.DOMINANT7)),
    ((0, Q.MINOR7), (3, Q.MAJOR7), (5, Q.MINOR7), (0, Q.MINOR7)),
)
MAJOR_PROGRESSIONS: tuple[tuple[tuple[int, ChordQuality], ...], ...] = (
    ((0, Q.MAJOR7), (9, Q.MINOR7), (2, Q.MINOR7), (7, Q.DOMINANT7)),
    ((0, Q.MAJOR7), (5, Q.MAJOR7), (4, Q.MINOR7), (9, Q.MINOR7)),
    ((0, Q.MAJOR7), (4, Q.MINOR7), (5, Q.MAJOR7), (7, Q.DOMINANT7)),
    ((0, Q.MAJOR7), (7, Q.DOMINANT7), (9, Q.MINOR7), (5, Q.MAJOR7)),
    ((0, Q.MAJOR7), (2, Q.MINOR7), (5, Q.MAJOR7), (0, Q.MAJOR7)),
)

# (start, length) within a bar, in beats.
Rhythm = tuple[tuple[float, float], ...]


def _hits(voice: DrumVoice, beats: Sequence[float], velocity: int = 100) -> list[DrumHit]:
    return [DrumHit(voice, beat, velocity) for beat in beats]


def _eighths(bars: int = 1) -> list[float]:
    return [i / 2 for i in range(BEATS_PER_BAR * 2 * bars)]


def _sixteenths(bars: int = 1) -> list[float]:
    return [i / 4 for i in range(BEATS_PER_BAR * 4 * bars)]


def _offbeats(bars: int = 1) -> list[float]:
    return [i + 0.5 for i in range(BEATS_PER_BAR * bars)]


def _hat_velocities(beats: Sequence[float], voice: DrumVoice, rng: random.Random) -> list[DrumHit]:
    """Hats accented on the beat, softer between, a little uneven like a played part."""
    return [
        DrumHit(voice, beat, (84 if beat % 1 == 0 else 64) + rng.randint(-6, 6)) for beat in beats
    ]


def _house_drums(rng: random.Random) -> DrumPattern:
    hits = _hits(DrumVoice.KICK, [0, 1, 2, 3], 112)
    hits += _hits(rng.choice([DrumVoice.CLAP, DrumVoice.SNARE]), [1, 3], 96)
    hits += _hits(rng.choice([DrumVoice.OPEN_HAT, DrumVoice.CLOSED_HAT]), _offbeats(), 80)
    if rng.random() < 0.6:
        hits += _hat_velocities(
            _sixteenths(), rng.choice([DrumVoice.SHAKER, DrumVoice.CLOSED_HAT]), rng
        )
    if rng.random() < 0.3:
        hits += _hits(DrumVoice.RIDE, _offbeats(), 70)
    return DrumPattern(1, tuple(hits))


def _breakbeat_drums(rng: random.Random) -> DrumPattern:
    kicks, snares = rng.choice(
        [
            ([0, 0.5, 2.25, 2.5, 4, 4.5, 6.5], [1, 1.75, 3, 3.75, 5, 5.75, 7]),
            ([0, 1.5, 2.5, 4, 5.5, 6.25], [1, 3, 5, 7, 7.5]),
            ([0, 0.75, 2.5, 4, 4.75, 6.5, 7.25], [1, 3, 3.75, 5, 7]),
        ]
    )
    hits = _hits(DrumVoice.KICK, kicks, 110) + _hits(DrumVoice.SNARE, snares, 100)
    hits += _hat_velocities(_eighths(2), DrumVoice.CLOSED_HAT, rng)
    hits += _hits(DrumVoice.SNARE, [2.75, 6.75], 52)  # ghost notes
    return DrumPattern(2, tuple(hits))


def _garage_drums(rng: random.Random) -> DrumPattern:
    kicks = rng.choice([[0, 2.5, 4, 5.75, 6.5], [0, 1.75, 2.5, 4, 6.5], [0, 2.75, 4, 6.75]])
    hits = _hits(DrumVoice.KICK, kicks, 110)
    hits += _hits(DrumVoice.CLAP, [1, 3, 5, 7], 98) + _hits(DrumVoice.RIMSHOT, [3.75, 7.25], 70)
    hits += _hat_velocities(_sixteenths(2), DrumVoice.CLOSED_HAT, rng)
    hits += _hits(DrumVoice.OPEN_HAT, [1.5, 5.5], 78)
    return DrumPattern(2, tuple(hits))


def _electro_drums(rng: random.Random) -> DrumPattern:
    kicks = rng.choice([[0, 0.75, 2.5, 3.25], [0, 1.75, 2.5], [0, 0.75, 1.75, 2.5]])
    hits = _hits(DrumVoice.KICK, kicks, 114) + _hits(DrumVoice.CLAP, [1, 3], 100)
    hits += _hat_velocities(_sixteenths(), DrumVoice.CLOSED_HAT, rng)
    if rng.random() < 0.6:
        hits += _hits(DrumVoice.COWBELL, [0.5, 2.25, 3.5], 72)
    if rng.random() < 0.4:
        hits += _hits(DrumVoice.CLAVES, [1.75, 3.75], 70)
    return DrumPattern(1, tuple(hits))


def _reggaeton_drums(rng: random.Random) -> DrumPattern:
    # The dembow: kick on every beat, snare on the "and-a" and the "and" of beats 1-2 and 3-4.
    hits = _hits(DrumVoice.KICK, [0, 1, 2, 3], 112)
    hits += _hits(rng.choice([DrumVoice.SNARE, DrumVoice.RIMSHOT]), [0.75, 1.5, 2.75, 3.5], 100)
    hits += _hat_velocities(_eighths(), DrumVoice.CLOSED_HAT, rng)
    if rng.random() < 0.5:
        hits += _hits(DrumVoice.HIGH_CONGA, [0.5, 2.5], 74) + _hits(DrumVoice.LOW_CONGA, [3.25], 74)
    return DrumPattern(1, tuple(hits))


def _boom_bap_drums(rng: random.Random) -> DrumPattern:
    kicks = rng.choice([[0, 1.75, 2.5, 4, 5.75, 6.25], [0, 0.75, 2.5, 4, 4.75, 6.5, 7.5]])
    hits = _hits(DrumVoice.KICK, kicks, 114) + _hits(DrumVoice.SNARE, [1, 3, 5, 7], 108)
    hits += _hat_velocities(_sixteenths(2), DrumVoice.CLOSED_HAT, rng)
    hits += _hits(DrumVoice.SNARE, [3.75, 7.25], 48)  # ghost notes
    return DrumPattern(2, tuple(hits))


def _trap_drums(rng: random.Random) -> DrumPattern:
    # Half time: one snare/clap a bar, on beat 3; hats in eighths with thirty-second rolls.
    kicks = rng.choice([[0, 0.75, 3.5, 4, 5.5, 6.75], [0, 1.5, 3.75, 4, 4.75, 7.25]])
    hits = _hits(DrumVoice.KICK, kicks, 116) + _hits(DrumVoice.CLAP, [2, 6], 104)
    hats = _eighths(2)
    for roll_at in rng.sample([1.5, 3.5, 5.5, 7.5], 2):
        hats += [roll_at + 0.125 * step for step in (1, 2, 3)]
    hits += _hat_velocities(sorted(set(hats)), DrumVoice.CLOSED_HAT, rng)
    hits += _hits(DrumVoice.OPEN_HAT, [7.5], 76)
    return DrumPattern(2, tuple(hits))


def _drum_and_bass_drums(rng: random.Random) -> DrumPattern:
    kicks = rng.choice([[0, 2.5, 4, 6.5], [0, 2.5, 4, 5.75, 6.5], [0, 1.75, 2.5, 4, 6.75]])
    hits = _hits(DrumVoice.KICK, kicks, 114) + _hits(DrumVoice.SNARE, [1, 3, 5, 7], 106)
    hits += _hat_velocities(_eighths(2), DrumVoice.CLOSED_HAT, rng)
    hits += _hits(DrumVoice.SNARE, [3.75, 6.25], 50)
    if rng.random() < 0.5:
        hits += _hits(DrumVoice.RIDE, _offbeats(2), 66)
    return DrumPattern(2, tuple(hits))


@dataclass(frozen=True)
class Style:
    """A family's ranges and choices; ``random_song`` draws from them."""

    tempo: tuple[int, int]  # BPM, inclusive
    minor_share: float
    swing: tuple[float, float]
    drums: Callable[[random.Random], DrumPattern] | None
    kits: tuple[DrumKit, ...]
    melody: tuple[int, ...]  # GM programs
    chords: tuple[int, ...]
    bass: tuple[int, ...]
    bass_rhythms: tuple[tuple[tuple[float, float, int], ...], ...]  # (start, length, interval)
    comping: tuple[Rhythm, ...]
    chord_bars: int = 1  # bars each chord lasts
    notes_per_bar: tuple[int, int] = (3, 6)


STABS_OFFBEAT: Rhythm = ((0.5, 0.35), (1.5, 0.35), (2.5, 0.35), (3.5, 0.35))
HELD: Rhythm = ((0.0, 3.9),)
HALVES: Rhythm = ((0.0, 1.9), (2.0, 1.9))
SYNCOPATED: Rhythm = ((0.0, 0.4), (0.75, 0.4), (1.5, 0.4), (2.75, 0.4), (3.5, 0.4))
CHARLESTON: Rhythm = ((0.0, 1.2), (1.5, 0.4), (3.0, 0.8))

STYLES: dict[Family, Style] = {
    Family.HOUSE: Style(
        tempo=(120, 130),
        minor_share=0.6,
        swing=(0.0, 0.12),
        drums=_house_drums,
        kits=(DrumKit.ELECTRONIC, DrumKit.TR808, DrumKit.STANDARD),
        melody=(80, 81, 11, 4, 85, 98),
        chords=(4, 5, 16, 89, 90, 50),
        bass=(38, 39, 87),
        bass_rhythms=(
            ((0.5, 0.4, 0), (1.5, 0.4, 0), (2.5, 0.4, 12), (3.5, 0.4, 0)),
            ((0.0, 0.2, 0), (0.75, 0.2, 0), (1.5, 0.4, 7), (2.5, 0.4, 0), (3.5, 0.4, 12)),
        ),
        comping=(STABS_OFFBEAT, HELD, SYNCOPATED),
    ),
    Family.BREAKBEAT: Style(
        tempo=(125, 138),
        minor_share=0.7,
        swing=(0.0, 0.08),
        drums=_breakbeat_drums,
        kits=(DrumKit.STANDARD, DrumKit.ROOM, DrumKit.POWER),
        melody=(81, 84, 29, 62, 80),
        chords=(81, 90, 18, 50, 61),
        bass=(38, 39, 34),
        bass_rhythms=(((0.0, 0.4, 0), (0.75, 0.4, 0), (2.5, 0.9, 0), (3.5, 0.4, 7)),),
        comping=(CHARLESTON, HALVES, SYNCOPATED),
    ),
    Family.GARAGE: Style(
        tempo=(128, 136),
        minor_share=0.6,
        swing=(0.12, 0.3),
        drums=_garage_drums,
        kits=(DrumKit.ELECTRONIC, DrumKit.STANDARD, DrumKit.TR808),
        melody=(85, 54, 4, 11, 80),
        chords=(4, 5, 16, 89),
        bass=(38, 39, 35),
        bass_rhythms=(
            ((0.0, 0.6, 0), (0.75, 0.4, 0), (2.5, 0.4, 7), (3.25, 0.5, 0)),
            ((0.0, 1.2, 0), (1.75, 0.6, 12), (2.75, 1.0, 0)),
        ),
        comping=(SYNCOPATED, STABS_OFFBEAT),
    ),
    Family.ELECTRO: Style(
        tempo=(118, 132),
        minor_share=0.8,
        swing=(0.0, 0.05),
        drums=_electro_drums,
        kits=(DrumKit.TR808, DrumKit.ELECTRONIC),
        melody=(80, 81, 62, 82, 83),
        chords=(90, 62, 63, 50),
        bass=(38, 39, 87),
        bass_rhythms=(
            tuple((i / 4, 0.2, (0, 0, 12, 0)[i % 4]) for i in range(16)),
            ((0.0, 0.4, 0), (0.75, 0.4, 0), (1.5, 0.4, 12), (2.5, 0.4, 0), (3.25, 0.4, 7)),
        ),
        comping=(SYNCOPATED, ((0.0, 0.4), (0.75, 0.4), (1.5, 0.4)), HELD),
    ),
    Family.REGGAETON: Style(
        tempo=(85, 100),
        minor_share=0.75,
        swing=(0.0, 0.06),
        drums=_reggaeton_drums,
        kits=(DrumKit.TR808, DrumKit.ELECTRONIC, DrumKit.STANDARD),
        melody=(24, 81, 85, 73, 11),
        chords=(0, 4, 24, 89, 50),
        bass=(38, 33, 39),
        bass_rhythms=(((0.0, 0.7, 0), (0.75, 0.6, 0), (2.0, 0.7, 0), (2.75, 0.6, 7)),),
        comping=(STABS_OFFBEAT, ((0.0, 0.4), (0.75, 0.4), (1.5, 0.9), (2.5, 0.9))),
    ),
    Family.BOOM_BAP: Style(
        tempo=(85, 100),
        minor_share=0.6,
        swing=(0.18, 0.4),
        drums=_boom_bap_drums,
        kits=(DrumKit.STANDARD, DrumKit.ROOM, DrumKit.JAZZ),
        melody=(4, 11, 26, 65, 56, 0),
        chords=(4, 0, 26, 48, 11),
        bass=(32, 33, 35),
        bass_rhythms=(
            ((0.0, 1.4, 0), (1.75, 0.5, 0), (2.5, 1.2, 7)),
            ((0.0, 0.7, 0), (0.75, 0.7, 12), (2.5, 1.0, 0), (3.5, 0.4, 7)),
        ),
        comping=(HELD, CHARLESTON, HALVES),
        notes_per_bar=(2, 5),
    ),
    Family.TRAP: Style(
        tempo=(130, 150),
        minor_share=0.85,
        swing=(0.0, 0.04),
        drums=_trap_drums,
        kits=(DrumKit.TR808, DrumKit.ELECTRONIC),
        melody=(10, 8, 12, 108, 46, 81),
        chords=(89, 94, 52, 48),
        bass=(38, 39),
        bass_rhythms=(((0.0, 1.4, 0), (1.5, 1.0, 0), (3.5, 0.5, 12)), ((0.0, 3.4, 0),)),
        comping=(HELD, HALVES),
        notes_per_bar=(3, 7),
    ),
    Family.DRUM_AND_BASS: Style(
        tempo=(160, 180),
        minor_share=0.75,
        swing=(0.0, 0.05),
        drums=_drum_and_bass_drums,
        kits=(DrumKit.STANDARD, DrumKit.ELECTRONIC, DrumKit.POWER),
        melody=(81, 85, 73, 98, 4),
        chords=(89, 50, 94, 91, 4),
        bass=(38, 39, 87),
        bass_rhythms=(
            ((0.0, 2.2, 0), (2.5, 1.4, 0)),
            ((0.0, 1.4, 0), (1.75, 0.6, 7), (2.5, 1.4, 0)),
        ),
        comping=(HELD, HALVES),
        notes_per_bar=(2, 6),
    ),
    Family.AMBIENT: Style(
        tempo=(60, 90),
        minor_share=0.5,
        swing=(0.0, 0.0),
        drums=None,
        kits=(DrumKit.STANDARD,),
        melody=(10, 8, 98, 11, 88, 73),
        chords=(88, 89, 91, 92, 94, 95, 49),
        bass=(89, 48, 42),
        bass_rhythms=(((0.0, 4.0, 0),),),
        comping=(HELD,),
        chord_bars=2,
        notes_per_bar=(1, 2),
    ),
}


def random_key(rng: random.Random, minor_share: float = 0.5) -> Key:
    return Key(rng.randrange(12), Mode.MINOR if rng.random() < minor_share else Mode.MAJOR)


def random_progression(mode: Mode, rng: random.Random, chord_bars: int = 1) -> tuple[Chord, ...]:
    table = MINOR_PROGRESSIONS if mode is Mode.MINOR else MAJOR_PROGRESSIONS
    return tuple(Chord(root, quality, chord_bars) for root, quality in rng.choice(table))


def _scale_for(mode: Mode, chord: Chord) -> tuple[int, ...]:
    """The melody's scale under ``chord``: harmonic minor (raised 7th) under a minor key's V7."""
    if mode is Mode.MAJOR:
        return MAJOR_SCALE
    if chord.root % 12 == 7 and chord.quality is ChordQuality.DOMINANT7:
        return (0, 2, 3, 5, 7, 8, 11)
    return NATURAL_MINOR_SCALE


def _bar_rhythm(rng: random.Random, notes: int) -> Rhythm:
    """``notes`` onsets on the eighth/sixteenth grid of a bar, each held until the next."""
    grid = sorted(rng.sample([i / 2 for i in range(8)] + [0.75, 2.75, 3.25], notes))
    if grid[0] != 0 and rng.random() < 0.7:
        grid[0] = 0.0
    grid = sorted(set(grid))
    ends = [*grid[1:], float(BEATS_PER_BAR)]
    return tuple(
        (start, max(0.2, (end - start) * rng.uniform(0.6, 0.95)))
        for start, end in zip(grid, ends, strict=True)
    )


def _nearest(pitch: int, candidates: Sequence[int]) -> int:
    return min(candidates, key=lambda c: (abs(c - pitch), c))


def random_melody(
    progression: Sequence[Chord],
    mode: Mode,
    rng: random.Random,
    notes_per_bar: tuple[int, int] = (3, 6),
) -> tuple[Note, ...]:
    """A motif of two bars' rhythm repeated over the loop, its pitches fitted to each chord:
    chord tones on the beats, scale steps between, within about an octave and a half."""
    motif = [_bar_rhythm(rng, rng.randint(*notes_per_bar)) for _ in range(2)]
    bars = [chord for chord in progression for _ in range(chord.bars)]
    notes: list[Note] = []
    pitch = rng.choice([0, 4 if mode is Mode.MAJOR else 3, 7])
    for index, chord in enumerate(bars):
        rhythm = motif[index % 2]
        if index == len(bars) - 1 and rng.random() < 0.6:
            rhythm = _bar_rhythm(rng, rng.randint(*notes_per_bar))
        scale = _scale_for(mode, chord)
        scale_pitches = [step + 12 * octave for octave in (-1, 0, 1, 2) for step in scale]
        chord_pitches = [tone + 12 * octave for octave in (-1, 0, 1) for tone in chord.tones]
        for start, length in rhythm:
            if start % 1 == 0:
                pitch = _nearest(pitch + rng.choice([-2, 0, 2, 3]), chord_pitches)
            else:
                position = scale_pitches.index(_nearest(pitch, scale_pitches))
                position = min(
                    len(scale_pitches) - 1, max(0, position + rng.choice([-2, -1, 1, 1, 2]))
                )
                pitch = scale_pitches[position]
            pitch = min(19, max(-3, pitch))
            velocity = 100 if start % 1 == 0 else 84
            notes.append(
                Note(index * BEATS_PER_BAR + start, length, pitch, velocity + rng.randint(-8, 8))
            )
    return tuple(notes)


def random_bass(
    progression: Sequence[Chord], rhythm: Sequence[tuple[float, float, int]]
) -> tuple[Note, ...]:
    """The rhythm played on each bar's chord root (interval 0, 7 = fifth, 12 = octave)."""
    bars = [chord for chord in progression for _ in range(chord.bars)]
    return tuple(
        Note(index * BEATS_PER_BAR + start, length, chord.root % 12 + interval, 104)
        for index, chord in enumerate(bars)
        for start, length, interval in rhythm
    )


def random_fill(rng: random.Random) -> tuple[DrumHit, ...]:
    """A one-beat snare roll, a two-beat tom run, or a clap and snare pickup (beats in a bar)."""
    kind = rng.randrange(3)
    if kind == 0:
        return tuple(DrumHit(DrumVoice.SNARE, 3 + step / 4, 70 + 12 * step) for step in range(4))
    if kind == 1:
        toms = (
            DrumVoice.HIGH_TOM,
            DrumVoice.HIGH_TOM,
            DrumVoice.HIGH_MID_TOM,
            DrumVoice.LOW_MID_TOM,
            DrumVoice.LOW_TOM,
            DrumVoice.LOW_TOM,
            DrumVoice.HIGH_FLOOR_TOM,
            DrumVoice.LOW_FLOOR_TOM,
        )
        return tuple(DrumHit(tom, 2 + step / 4, 88 + 3 * step) for step, tom in enumerate(toms))
    return (
        DrumHit(DrumVoice.CLAP, 3.0, 100),
        DrumHit(DrumVoice.SNARE, 3.5, 90),
        DrumHit(DrumVoice.SNARE, 3.75, 110),
        DrumHit(DrumVoice.OPEN_HAT, 3.5, 80),
    )


def random_drums(family: Family, rng: random.Random) -> DrumPattern | None:
    """The family's pattern, with a fill before section changes."""
    builder = STYLES[family].drums
    return replace(builder(rng), fill=random_fill(rng)) if builder else None


def random_instruments(family: Family, rng: random.Random) -> Instruments:
    style = STYLES[family]
    return Instruments(
        melody=rng.choice(style.melody),
        chords=rng.choice(style.chords),
        bass=rng.choice(style.bass),
        kit=rng.choice(style.kits),
    )


def _phrases(total: int, parts: int, loop_bars: int) -> list[int]:
    """``total`` bars cut into ``parts`` near-equal lengths, whole loops where they fit."""
    unit = loop_bars if total >= parts * loop_bars else 1
    units = max(parts, total // unit)
    lengths = [units // parts + (1 if i < units % parts else 0) for i in range(parts)]
    lengths = [length * unit for length in lengths]
    lengths[-1] += max(0, total - sum(lengths))
    return lengths


def random_arrangement(
    family: Family, rng: random.Random, bars: int, loop_bars: int = 4
) -> tuple[Section, ...]:
    """Intro, body, breakdown (no kick), drop, [breakdown, drop,] outro filling ``bars`` bars
    (rounded to whole 8-bar phrases when there are 64 or more).

    Long tracks get DJ-length phrases (8 or 16 bars of intro, breakdown and outro; the hip-hop
    families' intros 4 or 8) and, when long enough, sometimes a second breakdown and drop.
    About a third open with a beatless intro (chords only); a breakdown keeps chords and melody
    (sometimes the drums but the kick). The ambient family has no drums: pads in, the tune,
    pads out. Short tracks (a minute or less) keep the order with shorter sections.
    """
    P = Part
    if family is Family.AMBIENT:
        edge = max(1, bars // 4)
        return (
            Section(SectionKind.INTRO, edge, frozenset({P.CHORDS})),
            Section(
                SectionKind.BODY, max(1, bars - 2 * edge), frozenset({P.CHORDS, P.MELODY, P.BASS})
            ),
            Section(SectionKind.OUTRO, edge, frozenset({P.CHORDS})),
        )
    hip_hop = family in (Family.BOOM_BAP, Family.TRAP, Family.REGGAETON)
    if bars >= 64:
        bars = round(bars / 8) * 8  # phrases of 8 bars
        intro = rng.choice([4, 8] if hip_hop else [8, 16])
        breakdown, outro = rng.choice([8, 16]), rng.choice([8, 16])
    else:
        intro = breakdown = outro = max(1, round(bars / 7))
    middle = max(2, bars - intro - breakdown - outro)
    two_drops = middle >= 64 and rng.random() < 0.4
    beatless_intro = rng.random() < 0.35
    intro_parts = frozenset({P.CHORDS}) if beatless_intro else frozenset({P.KICK, P.DRUMS, P.BASS})
    breakdown_parts = frozenset({P.CHORDS, P.MELODY} | ({P.DRUMS} if rng.random() < 0.4 else set()))
    sections = [Section(SectionKind.INTRO, intro, intro_parts)]
    if two_drops:
        second_breakdown = max(4, breakdown // 2)
        body, drop, second_drop = _phrases(middle - second_breakdown, 3, loop_bars)
        sections += [
            Section(SectionKind.BODY, body, frozenset(P)),
            Section(SectionKind.BREAKDOWN, breakdown, breakdown_parts),
            Section(SectionKind.DROP, drop, frozenset(P)),
            Section(SectionKind.BREAKDOWN, second_breakdown, breakdown_parts),
            Section(SectionKind.DROP, second_drop, frozenset(P)),
        ]
    else:
        body, drop = _phrases(middle, 2, loop_bars)
        sections += [
            Section(SectionKind.BODY, body, frozenset(P)),
            Section(SectionKind.BREAKDOWN, breakdown, breakdown_parts),
            Section(SectionKind.DROP, drop, frozenset(P)),
        ]
    sections.append(Section(SectionKind.OUTRO, outro, frozenset({P.KICK, P.DRUMS})))
    return tuple(sections)


def random_reverb(family: Family, rng: random.Random) -> Reverb | None:
    """Most tracks have a room: long and wet for ambient pads, short and subtle otherwise."""
    if family is Family.AMBIENT:
        return Reverb(round(rng.uniform(2.5, 4.0), 2), round(rng.uniform(0.4, 0.6), 2))
    if rng.random() < 0.25:
        return None
    return Reverb(round(rng.uniform(0.6, 2.0), 2), round(rng.uniform(0.1, 0.3), 2))


def random_song(
    family: Family,
    rng: random.Random,
    seconds: float = 180.0,
    tempo: float | None = None,
    key: Key | None = None,
) -> Song:
    """A song of ``family`` about ``seconds`` long (whole bars), every choice drawn from ``rng``."""
    style = STYLES[family]
    tempo = tempo if tempo is not None else float(rng.randint(*style.tempo))
    key = key or random_key(rng, style.minor_share)
    progression = random_progression(key.mode, rng, style.chord_bars)
    loop_bars = sum(chord.bars for chord in progression)
    bars = max(loop_bars, round(seconds * tempo / 60 / BEATS_PER_BAR))
    detune = rng.uniform(-30.0, 30.0) if rng.random() < 0.3 else 0.0
    return Song(
        family=family,
        tempo=tempo,
        key=key,
        progression=progression,
        melody=random_melody(progression, key.mode, rng, style.notes_per_bar),
        bass=random_bass(progression, rng.choice(style.bass_rhythms)),
        comping=tuple(Stroke(start, length) for start, length in rng.choice(style.comping)),
        drums=random_drums(family, rng),
        instruments=random_instruments(family, rng),
        sections=random_arrangement(family, rng, bars, loop_bars),
        swing=round(rng.uniform(*style.swing), 3),
        humanise=Humanise(timing_ms=round(rng.uniform(0.0, 8.0), 1), velocity=rng.randint(0, 10)),
        detune_cents=round(detune, 1),
        reverb=random_reverb(family, rng),
        lead_in=round(rng.uniform(0.05, 1.0), 3) if rng.random() < 0.5 else 0.0,
        seed=rng.randrange(2**31),
    )
