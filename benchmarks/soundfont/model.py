"""The song model: what a generated track is made of, as frozen dataclasses.

Every field is independent, so a related track is ``dataclasses.replace(song, ...)``: another
arrangement (``sections``), other instruments, tempo or key (a cover), other drums (a remix), a
tempo drift and other humanisation (a live take). Pitches are semitones above the key's tonic,
so a song moved to another key keeps its melody, chords and bass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
BEATS_PER_BAR = 4


class Family(StrEnum):
    """A style of track, with its tempo range and rhythm (see ``styles.STYLES``)."""

    HOUSE = "house"  # four-on-the-floor house and techno, 120-130 BPM
    BREAKBEAT = "breakbeat"
    GARAGE = "garage"  # syncopated UK garage / 2-step
    ELECTRO = "electro"
    REGGAETON = "reggaeton"  # dembow, 85-100 BPM
    BOOM_BAP = "boom_bap"  # swung hip-hop, 85-100 BPM
    TRAP = "trap"  # 130-150 BPM with a half-time feel
    DRUM_AND_BASS = "drum_and_bass"  # 160-180 BPM
    AMBIENT = "ambient"  # beatless pads: no tempo label


class Mode(StrEnum):
    MAJOR = "major"
    MINOR = "minor"


@dataclass(frozen=True)
class Key:
    """The nominal key: tonic pitch class (C = 0) and mode. A detuned render keeps it."""

    tonic: int
    mode: Mode

    @property
    def name(self) -> str:
        return f"{PITCH_NAMES[self.tonic % 12]} {self.mode.value}"


class ChordQuality(StrEnum):
    MAJOR7 = "maj7"
    MINOR7 = "m7"
    DOMINANT7 = "7"
    HALF_DIMINISHED7 = "m7b5"
    MINOR_MAJOR7 = "mMaj7"


CHORD_INTERVALS: dict[ChordQuality, tuple[int, int, int, int]] = {
    ChordQuality.MAJOR7: (0, 4, 7, 11),
    ChordQuality.MINOR7: (0, 3, 7, 10),
    ChordQuality.DOMINANT7: (0, 4, 7, 10),
    ChordQuality.HALF_DIMINISHED7: (0, 3, 6, 10),
    ChordQuality.MINOR_MAJOR7: (0, 3, 7, 11),
}


@dataclass(frozen=True)
class Chord:
    """A seventh chord on ``root`` semitones above the tonic, held for ``bars`` bars."""

    root: int
    quality: ChordQuality
    bars: int = 1

    @property
    def tones(self) -> tuple[int, ...]:
        """Its pitches as semitones above the tonic (root in 0..11)."""
        return tuple(self.root % 12 + step for step in CHORD_INTERVALS[self.quality])


@dataclass(frozen=True)
class Note:
    """A pitched note of a loop: ``start`` and ``length`` in beats from the loop's start."""

    start: float
    length: float
    pitch: int  # semitones above the tonic (may be negative or above 12)
    velocity: int = 96


@dataclass(frozen=True)
class Stroke:
    """When the chord part plays within a bar (beats), e.g. off-beat stabs or a held pad."""

    start: float
    length: float
    velocity: int = 80


class DrumVoice(IntEnum):
    """General MIDI percussion keys (channel 10) the patterns use."""

    KICK = 36
    RIMSHOT = 37
    SNARE = 38
    CLAP = 39
    CLOSED_HAT = 42
    LOW_FLOOR_TOM = 41
    HIGH_FLOOR_TOM = 43
    PEDAL_HAT = 44
    LOW_TOM = 45
    LOW_MID_TOM = 47
    HIGH_MID_TOM = 48
    HIGH_TOM = 50
    OPEN_HAT = 46
    CRASH = 49
    RIDE = 51
    TAMBOURINE = 54
    COWBELL = 56
    HIGH_CONGA = 62
    LOW_CONGA = 64
    SHAKER = 70
    CLAVES = 75


@dataclass(frozen=True)
class DrumHit:
    voice: DrumVoice
    beat: float  # from the pattern's start
    velocity: int = 100


@dataclass(frozen=True)
class DrumPattern:
    """A loop of ``bars`` bars of drum hits, repeated wherever the drums play, and the fill
    played in the last bar before a section change (beats within that bar: from its first hit
    on it replaces the loop's hits but the kick's)."""

    bars: int
    hits: tuple[DrumHit, ...]
    fill: tuple[DrumHit, ...] = ()


class DrumKit(IntEnum):
    """General MIDI drum kits (bank 128 programs) that TimGM6mb carries."""

    STANDARD = 0
    ROOM = 8
    POWER = 16
    ELECTRONIC = 24
    TR808 = 25
    JAZZ = 32
    BRUSH = 40


@dataclass(frozen=True)
class Instruments:
    """General MIDI programs (0-127) of the pitched parts and the drum kit."""

    melody: int
    chords: int
    bass: int
    kit: DrumKit = DrumKit.STANDARD


class Part(StrEnum):
    KICK = "kick"
    DRUMS = "drums"  # every drum voice but the kick
    BASS = "bass"
    CHORDS = "chords"
    MELODY = "melody"


ALL_PARTS = frozenset(Part)


class SectionKind(StrEnum):
    INTRO = "intro"
    BODY = "body"
    BREAKDOWN = "breakdown"
    DROP = "drop"
    OUTRO = "outro"


@dataclass(frozen=True)
class Section:
    kind: SectionKind
    bars: int
    parts: frozenset[Part] = ALL_PARTS


@dataclass(frozen=True)
class Humanise:
    """Random timing (± ms, uniform) and velocity (± steps) offsets of every note."""

    timing_ms: float = 0.0
    velocity: int = 0


@dataclass(frozen=True)
class TempoDrift:
    """A live band's tempo: ``depth`` (fraction, 0.02 = ±2 %) of slow wander, ``period_bars``
    long; the labels' beats follow it, the tempo label stays the nominal tempo."""

    depth: float
    period_bars: float = 16.0


@dataclass(frozen=True)
class Reverb:
    """The room: ``decay`` seconds to fall 60 dB, returned at ``level`` (0-1) of each part's
    send (the MIDI's CC 91)."""

    decay: float
    level: float


@dataclass(frozen=True)
class Song:
    """One track's score. ``melody``, ``bass`` loop over the progression's length; ``drums``
    loops over its own; ``sections`` say which parts play in each stretch of bars."""

    family: Family
    tempo: float  # BPM, nominal
    key: Key
    progression: tuple[Chord, ...]
    melody: tuple[Note, ...]
    bass: tuple[Note, ...]
    comping: tuple[Stroke, ...]  # the chord part's rhythm within each bar
    drums: DrumPattern | None  # None: no drums at all (the ambient family)
    instruments: Instruments
    sections: tuple[Section, ...]
    swing: float = 0.0  # delay of the off-beat sixteenths, as a fraction of a sixteenth
    humanise: Humanise = field(default_factory=Humanise)
    detune_cents: float = 0.0  # whole-track tuning offset; the key label stays nominal
    drift: TempoDrift | None = None
    reverb: Reverb | None = None
    lead_in: float = 0.0  # seconds of silence before the first bar (the grid starts there)
    seed: int = 0  # drives the humanisation and the drift's phase

    def __post_init__(self) -> None:
        """A song MIDI cannot carry is refused here, in one line, not deep in ``compose``."""
        programs = (self.instruments.melody, self.instruments.chords, self.instruments.bass)
        problems = [
            (not 20 <= self.tempo <= 400, f"tempo {self.tempo} BPM is not in 20-400"),
            (not 0 <= self.key.tonic < 12, f"key tonic {self.key.tonic} is not a pitch class"),
            (not self.progression, "the progression has no chord"),
            (any(c.bars < 1 for c in self.progression), "a chord lasts less than a bar"),
            (not self.sections or any(s.bars < 1 for s in self.sections), "a section is empty"),
            (not all(0 <= p <= 127 for p in programs), f"GM programs {programs} not in 0-127"),
            (not 0 <= self.swing < 1, f"swing {self.swing} is not in [0, 1)"),
            (abs(self.detune_cents) > 100, f"detune {self.detune_cents} cents is over 100"),
            (self.lead_in < 0, f"lead-in {self.lead_in} s is negative"),
            (
                self.drift is not None and not 0 <= self.drift.depth < 0.5,
                "tempo drift depth is not in [0, 0.5)",
            ),
        ]
        for failed, message in problems:
            if failed:
                raise ValueError(f"song: {message}")

    @property
    def loop_bars(self) -> int:
        return sum(chord.bars for chord in self.progression)

    @property
    def bars(self) -> int:
        return sum(section.bars for section in self.sections)

    @property
    def beatless(self) -> bool:
        """No beat to label: the ambient family (tempo is only the score's clock)."""
        return self.family is Family.AMBIENT
