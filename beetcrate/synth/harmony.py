"""The harmony of the DJ tuning generator's tracks (``grooves``): chords, voicings, bass lines,
melodies and pads, as varied as records are, with the key they were written in exact.

A track's harmony is an ``Arrangement``: a progression of its mode, how long each chord lasts,
how the chords are voiced and played, the bass line, whether a lead melody plays, and the mix
levels. ``score_bar`` turns it into the notes of one bar, pure and seeded per bar, so that the
renderer places them on its own clock (tempo drift included).

The progressions are the ones that make a key hard to read from a pitch-class profile: minor
keys that lean on their relative major (i-VI-III-VII, i-iv-VII-III), natural minor with no
leading tone, harmonic minor with a dominant seventh, ii-V-I with sevenths and ninths, one- and
two-chord vamps, dorian. ``CADENCE`` (I-IV-V-I, minor i-iv-V-i, root-position triads over an
eighth-note bass on the root) is the plain arrangement every track had before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from beetcrate.synth.tones import RATE

# Chord qualities: semitones above the root.
MAJOR = (0, 4, 7)
MINOR = (0, 3, 7)
DOMINANT7 = (0, 4, 7, 10)
MAJOR7 = (0, 4, 7, 11)
MINOR7 = (0, 3, 7, 10)
HALF_DIMINISHED7 = (0, 3, 6, 10)
DOMINANT9 = (0, 4, 7, 10, 14)
MAJOR9 = (0, 4, 7, 11, 14)
MINOR9 = (0, 3, 7, 10, 14)

# Scales a melody draws from: semitones above the tonic.
IONIAN = (0, 2, 4, 5, 7, 9, 11)
AEOLIAN = (0, 2, 3, 5, 7, 8, 10)
HARMONIC_MINOR = (0, 2, 3, 5, 7, 8, 11)
DORIAN = (0, 2, 3, 5, 7, 9, 10)


@dataclass(frozen=True)
class Chord:
    degree: int  # the root, semitones above the tonic
    quality: tuple[int, ...]


@dataclass(frozen=True)
class Progression:
    chords: tuple[Chord, ...]
    scale: tuple[int, ...]  # the melody's notes


def _chords(*chords: tuple[int, tuple[int, ...]]) -> tuple[Chord, ...]:
    return tuple(Chord(degree, quality) for degree, quality in chords)


MAJOR_PROGRESSIONS = {
    "cadence": Progression(_chords((0, MAJOR), (5, MAJOR), (7, MAJOR), (0, MAJOR)), IONIAN),
    "pop": Progression(_chords((0, MAJOR), (7, MAJOR), (9, MINOR), (5, MAJOR)), IONIAN),
    "doo_wop": Progression(_chords((0, MAJOR), (9, MINOR), (5, MAJOR), (7, MAJOR)), IONIAN),
    "ii_v_i": Progression(_chords((2, MINOR9), (7, DOMINANT9), (0, MAJOR7), (0, MAJOR9)), IONIAN),
    "vamp": Progression(_chords((0, MAJOR7)), IONIAN),
    "plagal_vamp": Progression(_chords((0, MAJOR), (5, MAJOR7)), IONIAN),
}
MINOR_PROGRESSIONS = {
    "cadence": Progression(_chords((0, MINOR), (5, MINOR), (7, MAJOR), (0, MINOR)), AEOLIAN),
    # The two that lean on the relative major: half their chords are its I, IV and V.
    "epic": Progression(_chords((0, MINOR), (8, MAJOR), (3, MAJOR), (10, MAJOR)), AEOLIAN),
    "relative": Progression(_chords((0, MINOR), (5, MINOR), (10, MAJOR), (3, MAJOR)), AEOLIAN),
    "natural": Progression(_chords((0, MINOR), (5, MINOR), (7, MINOR), (0, MINOR)), AEOLIAN),
    "harmonic": Progression(
        _chords((0, MINOR), (8, MAJOR), (5, MINOR), (7, DOMINANT7)), HARMONIC_MINOR
    ),
    "andalusian": Progression(
        _chords((0, MINOR), (10, MAJOR), (8, MAJOR), (7, DOMINANT7)), HARMONIC_MINOR
    ),
    "ii_v_i": Progression(
        _chords((2, HALF_DIMINISHED7), (7, DOMINANT7), (0, MINOR7), (0, MINOR9)), HARMONIC_MINOR
    ),
    "dorian": Progression(_chords((0, MINOR7), (5, DOMINANT7)), DORIAN),
    "vamp": Progression(_chords((0, MINOR9)), AEOLIAN),
}
CHORD_BEATS = (2, 4, 8)  # a chord every half bar, bar or two bars


class Voicing(StrEnum):
    FOLDED = "folded"  # every chord tone in the octave from the register up
    INVERSIONS = "inversions"  # the inversion nearest the register, so chords move little
    OPEN = "open"  # root and fifth, the rest an octave up: over two octaves


class Style(StrEnum):
    HELD = "held"  # the chord sounds as long as it lasts
    PAD = "pad"  # slow attack, long decay
    STABS = "stabs"  # short hits on the off-beats
    PLUCK = "pluck"  # short hits on the beats


class BassLine(StrEnum):
    EIGHTHS = "eighths"  # the root on every eighth
    QUARTERS = "quarters"  # the root on every beat
    ROOT_FIFTH = "root_fifth"  # root and the fifth below, beat about
    WALKING = "walking"  # root, third, fifth, a semitone into the next root
    HELD = "held"  # the root held
    SYNCOPATED = "syncopated"  # 3+3+2 eighths, as dembow and trap basses
    OCTAVES = "octaves"  # eighths between the root and its octave


# A swing groove's bass plays on the beats (eighths would fight the swung hats).
SWING_BASS_LINES = (BassLine.QUARTERS, BassLine.ROOT_FIFTH, BassLine.WALKING, BassLine.HELD)


@dataclass(frozen=True)
class Arrangement:
    """How a track's harmony is written and played."""

    progression: str  # a name in MAJOR_PROGRESSIONS or MINOR_PROGRESSIONS
    chord_beats: int = 4
    voicing: Voicing = Voicing.FOLDED
    register: int = 60  # MIDI note around which chords are voiced
    style: Style = Style.HELD
    bass_line: BassLine = BassLine.EIGHTHS
    bass_floor: int = 36  # the bass plays its notes in the octave from here up
    melody: bool = False
    # A sparse lead instead of the eighths one: this many long notes a bar (an ambient tune);
    # 0: the eighths lead.
    melody_notes: int = 0
    # Every triad played as its key's seventh chord (I and IV major sevenths, V and a minor
    # key's VII dominant sevenths, minor chords minor sevenths), as house, garage and drum and
    # bass voice them: a minor key's i7 then holds its relative major's tonic triad.
    sevenths: bool = False
    chord_level: float = 1.0  # multiples of the plain arrangement's chord and bass gains
    bass_level: float = 1.0
    melody_level: float = 1.0


CADENCE = Arrangement("cadence")
SWING_CADENCE = Arrangement("cadence", bass_line=BassLine.QUARTERS)


@dataclass(frozen=True)
class Timbre:
    harmonics: int
    decay: float  # time constant, in beats
    attack: float = 0.01  # seconds, and the release; a note cut off dead clicks (an onset)


@dataclass(frozen=True)
class Note:
    pitch: float  # MIDI note number at A = 440 Hz
    beat: float  # start, in beats from the bar's first beat
    beats: float  # length in beats
    gain: float
    timbre: Timbre


def progression(arrangement: Arrangement, minor: bool) -> Progression:
    written = (MINOR_PROGRESSIONS if minor else MAJOR_PROGRESSIONS)[arrangement.progression]
    if not arrangement.sevenths:
        return written
    chords = tuple(Chord(c.degree, _seventh(c, minor)) for c in written.chords)
    return Progression(chords, written.scale)


def _seventh(chord: Chord, minor: bool) -> tuple[int, ...]:
    """The chord's quality with the key's seventh added; sevenths and ninths stay as written."""
    if chord.quality == MINOR:
        return MINOR7
    if chord.quality != MAJOR:
        return chord.quality
    dominant = chord.degree == 7 or (minor and chord.degree == 10)
    return DOMINANT7 if dominant else MAJOR7


def draw(
    rng: np.random.Generator, minor: bool, bass_lines: tuple[BassLine, ...] = tuple(BassLine)
) -> Arrangement:
    """A random arrangement in the given mode."""
    names = list(MINOR_PROGRESSIONS if minor else MAJOR_PROGRESSIONS)
    sparse = rng.random() < 0.2  # harmony far under the drums
    return Arrangement(
        progression=str(rng.choice(names)),
        chord_beats=int(rng.choice(CHORD_BEATS)),
        voicing=Voicing(rng.choice(list(Voicing))),
        register=int(rng.integers(52, 72)),
        style=Style(rng.choice(list(Style))),
        bass_line=BassLine(rng.choice(list(bass_lines))),
        bass_floor=int(rng.integers(31, 41)),
        melody=bool(rng.random() < 0.6),
        chord_level=float(rng.uniform(0.15, 0.4) if sparse else rng.uniform(0.6, 1.5)),
        bass_level=float(rng.uniform(0.2, 0.5) if sparse else rng.uniform(0.5, 1.3)),
        melody_level=float(rng.uniform(0.4, 1.2)),
    )


def score_bar(arrangement: Arrangement, tonic: int, minor: bool, bar: int, seed: int) -> list[Note]:
    """The notes of bar ``bar`` (chords, bass, melody), the same for the same arguments."""
    rng = np.random.default_rng([seed, bar])
    written = progression(arrangement, minor)
    notes: list[Note] = []
    for start, length, chord, following in _segments(arrangement, written, bar):
        root = tonic + chord.degree
        notes += _chord_notes(arrangement, root, chord.quality, start, length)
        notes += _bass_notes(arrangement, root, chord.quality, start, length, tonic + following)
    if arrangement.melody:
        notes += _melody(arrangement, tonic, written, bar, rng)
    return notes


def tone(pitch: float, seconds: float, timbre: Timbre, beat: float) -> np.ndarray:
    """A note of ``seconds`` at MIDI ``pitch``, its decay measured in beats of ``beat`` s."""
    t = np.arange(int(seconds * RATE)) / RATE
    freq = 440.0 * 2 ** ((pitch - 69) / 12)
    wave = sum(np.sin(2 * np.pi * freq * h * t) / h for h in range(1, timbre.harmonics + 1))
    envelope = np.minimum(1.0, np.minimum(t, seconds - t) / timbre.attack)
    return wave * envelope * np.exp(-t / (timbre.decay * beat))


def _segments(
    arrangement: Arrangement, written: Progression, bar: int
) -> Iterator[tuple[float, float, Chord, int]]:
    """(start in the bar, beats, chord, the next chord's degree) for each chord in the bar."""
    chords = written.chords
    every = arrangement.chord_beats
    for beat in range(4 * bar, 4 * bar + 4):
        if beat % every == 0 or beat == 4 * bar:
            index = beat // every
            length = min(every - beat % every, 4 * bar + 4 - beat)
            following = chords[(index + 1) % len(chords)].degree
            yield beat - 4 * bar, length, chords[index % len(chords)], following


def _voicing(arrangement: Arrangement, root: int, quality: tuple[int, ...]) -> list[int]:
    if arrangement.voicing is Voicing.FOLDED:
        return [
            arrangement.register + (root + step - arrangement.register) % 12 for step in quality
        ]
    if arrangement.voicing is Voicing.OPEN:
        low = arrangement.register - 12 + (root - arrangement.register) % 12
        return [low, low + 7] + [low + 12 + step for step in quality if step not in (0, 7)]
    # Inversions: of every inversion in every octave, the one whose middle is nearest the
    # register, as a keyboard player keeps the hands in one place.
    best: list[int] = []
    for inversion in range(len(quality)):
        steps = [*quality[inversion:], *(step + 12 for step in quality[:inversion])]
        lowest = root % 12 + steps[0]
        for octave in range(2, 8):
            voiced = [12 * octave + lowest - steps[0] + step for step in steps]
            if not best or abs(np.mean(voiced) - arrangement.register) < abs(
                np.mean(best) - arrangement.register
            ):
                best = voiced
    return best


def _chord_notes(
    arrangement: Arrangement, root: int, quality: tuple[int, ...], start: float, length: float
) -> list[Note]:
    pitches = _voicing(arrangement, root, quality)
    gain = 0.12 * arrangement.chord_level
    hits: list[tuple[float, float, Timbre]]
    if arrangement.style is Style.HELD:
        hits = [(start, length, Timbre(4, length))]
    elif arrangement.style is Style.PAD:
        hits = [(start, length, Timbre(3, 4 * length, attack=0.15))]
    elif arrangement.style is Style.STABS:
        hits = [(start + b + 0.5, 0.25, Timbre(5, 0.15)) for b in range(int(length))]
    else:  # pluck
        hits = [(start + b, 0.5, Timbre(6, 0.3)) for b in range(int(length))]
    return [Note(pitch, at, beats, gain, timbre) for at, beats, timbre in hits for pitch in pitches]


def _bass_notes(
    arrangement: Arrangement,
    root: int,
    quality: tuple[int, ...],
    start: float,
    length: float,
    following: int,
) -> list[Note]:
    floor = arrangement.bass_floor
    low = floor + (root - floor) % 12
    gain = 0.3 * arrangement.bass_level
    short = Timbre(3, 1 / 3)
    line = arrangement.bass_line
    if line is BassLine.EIGHTHS:
        steps = [(start + e / 2, low) for e in range(int(2 * length))]
        return [Note(pitch, at, 0.5, gain, short) for at, pitch in steps]
    if line is BassLine.QUARTERS:
        steps = [(start + b, low) for b in range(int(length))]
        return [Note(pitch, at, 0.5, gain, short) for at, pitch in steps]
    if line is BassLine.OCTAVES:
        steps = [(start + e / 2, low + 12 * (e % 2)) for e in range(int(2 * length))]
        return [Note(pitch, at, 0.5, gain, short) for at, pitch in steps]
    if line is BassLine.ROOT_FIFTH:
        # Root on the beat, the fifth (below, as bass players sit on it) on the next.
        steps = [(start + b, low if b % 2 == 0 else low - 5) for b in range(int(length))]
        return [Note(pitch, at, 1.0, gain, Timbre(3, 0.6)) for at, pitch in steps]
    if line is BassLine.WALKING:
        # Quarter notes: root, third, fifth, then a semitone into the next chord's root.
        target = floor + (following - floor) % 12
        walk = [low, low + quality[1], low + 7, target + (1 if target < low + 7 else -1)]
        steps = [
            (start + b, walk[b % 4] if b < length - 1 else walk[3]) for b in range(int(length))
        ]
        return [Note(pitch, at, 1.0, gain, Timbre(3, 0.7)) for at, pitch in steps]
    if line is BassLine.SYNCOPATED:
        # 3+3+2 eighths on the root, as dembow and trap basses.
        onsets = [e for e in (0, 3, 6) if e < 2 * length]
        return [Note(low, start + e / 2, 1.0, gain, Timbre(3, 0.8)) for e in onsets]
    return [Note(low, start, length, gain, Timbre(2, 2 * length))]  # held


def _melody(
    arrangement: Arrangement, tonic: int, written: Progression, bar: int, rng: np.random.Generator
) -> list[Note]:
    """A lead line on eighths: chord tones on the beats, scale steps between, with rests; or,
    with ``melody_notes``, that many long bell notes on eighths drawn per bar."""
    scale = written.scale
    # The scale over two octaves from the G below the lead's register.
    ladder = [67 + (tonic + step - 67) % 12 + 12 * octave for octave in (0, 1) for step in scale]
    ladder.sort()
    notes = []
    position = int(rng.integers(len(ladder)))
    chords = list(_segments(arrangement, written, bar))
    gain = 0.1 * arrangement.melody_level
    if arrangement.melody_notes:
        return _sparse_melody(arrangement, tonic, ladder, chords, position, gain, rng)
    eighth = 0
    while eighth < 8:
        length = int(rng.choice([1, 1, 2, 3]))
        if rng.random() < 0.7:
            if eighth % 2 == 0:
                # On the beat: the nearest tone of the chord under it.
                chord = next(c for s, n, c, _ in reversed(chords) if s <= eighth / 2)
                tones = {(tonic + chord.degree + step) % 12 for step in chord.quality}
                members = [i for i, pitch in enumerate(ladder) if pitch % 12 in tones]
                if members:
                    position = min(members, key=lambda i: abs(i - position))
            else:
                position = int(np.clip(position + rng.choice([-2, -1, 1, 2]), 0, len(ladder) - 1))
            beats = min(length, 8 - eighth) / 2
            notes.append(Note(ladder[position], eighth / 2, beats, gain, Timbre(8, 2 * beats)))
        eighth += length
    return notes


def _sparse_melody(
    arrangement: Arrangement,
    tonic: int,
    ladder: list[int],
    chords: list[tuple[float, float, Chord, int]],
    position: int,
    gain: float,
    rng: np.random.Generator,
) -> list[Note]:
    """``melody_notes`` chord tones a bar, each ringing until the next, on eighths drawn
    anew every bar: a tune with no pulse to follow."""
    starts = sorted(rng.choice(8, size=arrangement.melody_notes, replace=False).tolist())
    notes = []
    for start, end in zip(starts, [*starts[1:], 8], strict=True):
        chord = next(c for s, n, c, _ in reversed(chords) if s <= start / 2)
        tones = {(tonic + chord.degree + step) % 12 for step in chord.quality}
        members = [i for i, pitch in enumerate(ladder) if pitch % 12 in tones]
        position = int(rng.choice(members)) if members else position
        beats = (end - start) / 2
        notes.append(Note(ladder[position], start / 2, beats, gain, Timbre(4, 2.0, attack=0.02)))
    return notes
