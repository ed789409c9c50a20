"""A labelled set of synthesized dance tracks with known tempo, beats, downbeats and key.

The DJ benchmark (``benchmarks/dj_bench.py``) measures the analysis on sets of them; the DJ
tests analyse a few short ones.

Every track is rendered from a score, so its labels are exact: a constant-tempo grid (the
ground truth beats, from the first sample to the end, beatless intro included), downbeats on
every fourth beat, and the key its harmony was written in. A labelled set's harmony is drawn per
track (``harmony.draw``: progressions that lean on the relative major, natural and harmonic
minor, sevenths and ninths, vamps, dorian; on half the tracks every chord a seventh; inversions,
pads or stabs, walking or syncopated bass lines, a melody, mix levels), from a generator of its
own so each draw keeps its tempi and patterns; a ``Spec`` without an ``arrangement`` plays the
plain cadence (major: I-IV-V-I; minor: i-iv-V-i with the raised leading tone, which no relative
major contains).

Drum patterns are written on a 16-step bar:

- ``four_on_floor``: kick on every beat, clap on 2 and 4, open hats on the off-beats;
- ``breakbeat``: syncopated kicks, snare on 2 and 4 with a ghost note;
- ``drum_and_bass``: kick on 1 and the and-of-3, snare on 2 and 4, at 160-178 BPM (read at
  half tempo by most trackers);
- ``half_time_trap``: kick on 1 and syncopations, a single snare on 3, rolling 16th hats
  (labelled at full tempo, felt at half);
- ``swing``: backbeat with hats on swung eighths (the off-beat delayed to the last triplet);
- ``syncopated``: kicks off the beat, 16th hats with accents;
- ``dembow``: reggaeton's kick on every beat under a louder snare off the beat, 3+3+2 (the
  "a" of 1, the "and" of 2, and again in the second half), at 85-100 BPM (read at double tempo
  by trackers that follow the loudest hits);
- ``two_step``: UK garage, kick on 1 and the "and" of 3, clap on 2 and 4, skippy shuffled 16th
  hats (every other 16th a twelfth of a beat late);
- ``electro``: syncopated kicks, claps on 2 and 4 and a loud 808-style cowbell on every
  off-beat; or (generator version 6, two tracks in three) its sixteenth figures: kicks on the
  "a" or the "e" of a beat, 16th hats, and claves on the "a"s, often the loudest hits of the
  bar, so that the grid a sixteenth early carries more than the beat does.

In the last three the loudest hits of the groove, or most of them, fall off the beat.

A set can end with beatless tracks (``ambient_specs``): no drums, slow pads, a held bass and a
bell tune of one to three long notes a bar on eighths drawn anew each bar. They are labelled
with no beat, as a DJ would read them.

Every track of a labelled set plays its own kit (``Kit``, drawn by ``draw_kit``), because records
are not mixed politely: an 808's boomy kick or a tight one, often soft; a snare or a clap; closed
hats, open hats or a ride, often as loud as the backbeat or louder (garage's shuffled hats always,
electro's cowbell always tops the clap); a shaker on every 16th; ghost snares; trap hats rolling
in triplets; a few bars where the kick drops out; a fill at the end of every 8-bar phrase (a
snare roll climbing to the next downbeat, or a run down the toms, often far louder than the
groove) and a crash cymbal on the phrase's first beat, the loudest high hits of a record and
the rarest. Clips built from a ``Spec`` without a kit keep the polite default kit and render as
they always did.

Every other track is tuned away from A = 440 Hz by 15 to 45 cents either way, as records are:
a deck a little fast, an old master, A = 432 Hz (-32 cents). Its name says by how much.

A *stressed* set (``labelled_set(..., stressed=True)``) plays like a person and a worn copy:
every drum hit off the grid by a few milliseconds (standard deviation 6 ms) and at a velocity of
60-100 %, with noise 30 dB below full scale. The labels stay the grid the drummer aimed at.
A *live* set (``live=True``) is stressed too, looser (each track's drums off the grid by a
standard deviation of 6 to 16 ms) and drifting: its tempo swings 1.5 to 3 % either way and back
over 8 to 32 bars (``Spec.drift``, ``Spec.drift_beats``), and the labels follow the drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

import numpy as np

from beetcrate import media
from beetcrate.synth import harmony
from beetcrate.synth.tones import RATE

# Bumped when the same spec renders other audio (2: kits drawn per track; 3: harmony drawn per
# track; 4: fills and crashes at phrase boundaries; 5: all chords sevenths on half the tracks;
# 6: electro's sixteenth figures), so that rendered sets cached under a spec's name are not
# mistaken for the new ones.
GENERATOR_VERSION = 6
PHRASE_BARS = 8
SEVENTHS_SHARE = 0.5  # of tracks whose chords are all sevenths
PATTERNS: dict[str, dict[str, list[int]]] = {
    "four_on_floor": {"kick": [0, 4, 8, 12], "snare": [4, 12], "hat": [2, 6, 10, 14]},
    "breakbeat": {"kick": [0, 2, 10], "snare": [4, 12, 15], "hat": [0, 2, 4, 6, 8, 10, 12, 14]},
    "drum_and_bass": {"kick": [0, 10], "snare": [4, 12], "hat": [0, 2, 4, 6, 8, 10, 12, 14]},
    "half_time_trap": {"kick": [0, 3, 11], "snare": [8], "hat": list(range(16))},
    "swing": {"kick": [0, 8], "snare": [4, 12], "hat": [0, 2, 4, 6, 8, 10, 12, 14]},
    "syncopated": {"kick": [0, 3, 6, 10], "snare": [4, 12], "hat": list(range(16))},
    "dembow": {"kick": [0, 4, 8, 12], "snare": [3, 6, 11, 14], "hat": [0, 4, 8, 12]},
    "two_step": {"kick": [0, 10], "snare": [4, 12], "hat": [2, 3, 6, 7, 10, 13, 14]},
    "electro": {
        "kick": [0, 6, 10],
        "snare": [4, 12],
        "hat": [0, 4, 8, 12],
        "cowbell": [2, 6, 10, 14],
    },
}
# Electro's sixteenth figures (``Kit.figure``): 808 kicks that land on the "a" (the last 16th
# of a beat) or the "e" (its second) as well as on 1, under claves on some of the "a"s; the
# hats play every 16th.
ELECTRO_FIGURES: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((0, 3, 7, 10), (7, 15)),
    ((0, 7, 10), (3, 7, 11, 15)),
    ((0, 3, 10, 15), (7, 11)),
    ((0, 6, 11, 13), (3, 11, 15)),
)
SIXTEENTH_FIGURE_SHARE = 2 / 3  # of electro tracks
# Drums a pattern plays louder than the rest of the kit: dembow's snare tops its kick.
_SNARE_GAIN = {"dembow": 1.0}
_SHUFFLED = ("two_step",)
TEMPO_RANGES = {
    "four_on_floor": (118.0, 132.0),
    "breakbeat": (125.0, 140.0),
    "drum_and_bass": (160.0, 178.0),
    "half_time_trap": (130.0, 150.0),
    "swing": (70.0, 105.0),
    "syncopated": (95.0, 125.0),
    "dembow": (85.0, 100.0),
    "two_step": (128.0, 136.0),
    "electro": (110.0, 130.0),
}
FORMATS = ("flac", "mp3", "ogg")
# A beatless track (``labelled_set(..., beatless=n)``): no drums at all, pads, a held bass and a
# sparse bell tune; its score keeps a tempo (between these), its labels have no beat.
AMBIENT = "ambient"
AMBIENT_TEMPO = (60.0, 90.0)


class KickSound(StrEnum):
    TIGHT = "tight"
    BOOMY = "boomy"  # an 808's long low sine


class BackbeatSound(StrEnum):
    SNARE = "snare"
    CLAP = "clap"


class FillSound(StrEnum):
    NONE = "none"
    SNARE_ROLL = "snare_roll"  # the last beat in 16ths, each louder than the one before
    TOMS = "toms"  # the last two beats in 16ths, from the high tom down to the floor tom


class HatSound(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    RIDE = "ride"


@dataclass(frozen=True)
class Kit:
    """How one track's drums sound and how loud each plays; the default is the polite kit every
    clip had before kits were drawn (its tracks render exactly as they did).

    Levels multiply the pattern's own gains (kick 0.9, snare or clap 0.7, hats 0.3, cowbell
    0.45): real records mix an off-beat hat or cowbell as loud as the clap, a kick soft under
    a bass line, a ride over everything.
    """

    kick: KickSound = KickSound.TIGHT
    backbeat: BackbeatSound = BackbeatSound.SNARE
    hat: HatSound = HatSound.CLOSED
    kick_level: float = 1.0
    backbeat_level: float = 1.0
    hat_level: float = 1.0
    cowbell_level: float = 1.0
    shaker_level: float = 0.0  # a shaker on every 16th, accented on the off-beats; 0: none
    ghosts: float = 0.0  # chance of a ghost snare on each empty 16th
    hat_rolls: bool = False  # trap: the last beat of every other bar rolls in hat triplets
    # Bars (from, to) in which the kick drops out and the rest of the kit plays on.
    kickless: tuple[int, int] = (0, 0)
    # The last bar of each phrase ends in a fill, this many times the backbeat's level.
    fill: FillSound = FillSound.NONE
    fill_level: float = 1.0
    crash_level: float = 0.0  # a crash on each phrase's first beat (and the drums' first); 0: none
    # Electro's sixteenth figure (``ELECTRO_FIGURES``): the kick's steps, in place of the
    # pattern's, and the claves'; () plays the pattern as written.
    kick_steps: tuple[int, ...] = ()
    clave_steps: tuple[int, ...] = ()
    clave_level: float = 1.0


def draw_kit(pattern: str, bars: int, intro_bars: int, rng: np.random.Generator) -> Kit:
    """A kit as varied as records are: timbres, levels, ghosts and a stretch without kick.
    (Fills and crashes came later and are drawn by ``draw_phrase_marks``.)"""
    backbeat_level = float(rng.uniform(0.4, 1.0))
    hat_level = float(rng.uniform(0.6, 3.0))
    cowbell_level = float(rng.uniform(0.8, 2.5))
    if pattern == "two_step":
        # Garage: the shuffled hats are the loudest thing in the kit.
        hat_level = float(rng.uniform(2.5, 3.5))
    if pattern == "electro":
        # Electro: the cowbell tops the clap (0.45 x level against 0.7 x level).
        cowbell_level = float(rng.uniform(1.6, 2.5))
    start = intro_bars + int(rng.integers(2, 6))
    length = int(rng.integers(2, 5))
    return Kit(
        kick=KickSound(rng.choice(list(KickSound))),
        backbeat=BackbeatSound(rng.choice(list(BackbeatSound))),
        hat=HatSound(rng.choice(list(HatSound), p=[0.5, 0.3, 0.2])),
        kick_level=float(rng.uniform(0.35, 1.0)),
        backbeat_level=backbeat_level,
        hat_level=hat_level,
        cowbell_level=cowbell_level,
        shaker_level=float(rng.uniform(0.1, 0.3)) if rng.random() < 0.3 else 0.0,
        ghosts=float(rng.uniform(0.0, 0.15)),
        hat_rolls=pattern == "half_time_trap",
        kickless=(start, start + length)
        if rng.random() < 0.5 and start + length < bars
        else (0, 0),
    )


def draw_figure(kit: Kit, rng: np.random.Generator) -> Kit:
    """An electro kit with one of the sixteenth figures, two tracks in three: 808 electro
    puts its kicks and claves on the "a" as often as on the beat."""
    if rng.random() >= SIXTEENTH_FIGURE_SHARE:
        return kit
    kicks, claves = ELECTRO_FIGURES[int(rng.integers(len(ELECTRO_FIGURES)))]
    return replace(
        kit, kick_steps=kicks, clave_steps=claves, clave_level=float(rng.uniform(0.5, 1.5))
    )


def draw_phrase_marks(kit: Kit, rng: np.random.Generator) -> Kit:
    """The kit with the fills and crashes that mark its phrases: most records have both, and
    they are the loudest, rarest drum hits in them."""
    fill = FillSound(rng.choice(list(FillSound), p=[0.2, 0.4, 0.4]))
    return replace(
        kit,
        fill=fill,
        fill_level=float(rng.uniform(1.0, 2.5)),
        crash_level=float(rng.uniform(0.5, 2.0)) if rng.random() < 0.7 else 0.0,
    )


@dataclass(frozen=True)
class Spec:
    name: str
    pattern: str
    bpm: float
    tonic: int  # pitch class, C = 0
    minor: bool
    seconds: float
    intro_bars: int  # beatless bars (pads only) at the start
    suffix: str = "flac"
    seed: int = 0
    detune: int = 0  # cents from A = 440 Hz
    stressed: bool = False  # humanized drums and background noise
    jitter: float = 0.006  # seconds: the standard deviation of a stressed drum hit's timing
    # Tempo swinging this fraction either way over the track (0.02: +-2 %), as a band playing
    # live drifts: up to +drift a quarter of the way in, down to -drift at three quarters.
    drift: float = 0.0
    # Beats of one swing of the drift, up and down again; 0: the whole track.
    drift_beats: float = 0.0
    kit: Kit = Kit()
    # Chords, bass and melody; None: the plain cadence (a swing groove's bass on the beats).
    arrangement: harmony.Arrangement | None = None

    @property
    def key_name(self) -> str:
        names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
        return f"{names[self.tonic]} {'minor' if self.minor else 'major'}"


@dataclass(frozen=True)
class Labels:
    beats: np.ndarray
    downbeats: np.ndarray


def labelled_set(
    count: int,
    seconds: float,
    seed: int = 7,
    stressed: bool = False,
    live: bool = False,
    beatless: int = 0,
) -> list[Spec]:
    """``count`` specs cycling through patterns, all 24 keys and the three formats; ``live``:
    played like a band (stressed, looser, the tempo drifting); then ``beatless`` ambient specs
    (``ambient_specs``), the same in a live draw."""
    rng = np.random.default_rng(seed)
    # A generator of its own, so that adding detuning left the tempi of each draw as they were.
    tunings = np.random.default_rng(seed + 1)
    # And the kits another, so that drawing them left tempi, keys and detuning as they were.
    kits = np.random.default_rng(seed + 2)
    # And one for the harmony, which came later still, and one for the fills and crashes.
    harmonies = np.random.default_rng([seed, 2])
    phrase_marks = np.random.default_rng([seed, 3])
    # And one for whether the chords are sevenths (generator version 5).
    sevenths = np.random.default_rng([seed, 4])
    # And one for how a live take drifts and how loose it plays.
    takes = np.random.default_rng([seed, 5])
    # And one for electro's sixteenth figures (generator version 6).
    figures = np.random.default_rng([seed, 7])
    patterns = list(PATTERNS)
    specs = []
    for n in range(count):
        pattern = patterns[n % len(patterns)]
        low, high = TEMPO_RANGES[pattern]
        # Fractional tempi: two decimals, as DJ software displays them.
        bpm = round(float(rng.uniform(low, high)), 2)
        key_index = (n * 7) % 24
        cents = int(tunings.uniform(15, 45)) * int(tunings.choice([-1, 1]))
        detune = cents if n % 2 else 0
        intro_bars = (0, 4, 8)[n % 3]
        kit = draw_kit(pattern, int(seconds * bpm / 240), intro_bars, kits)
        kit = draw_phrase_marks(kit, phrase_marks)
        if pattern == "electro":
            kit = draw_figure(kit, figures)
        minor = key_index >= 12
        bass_lines = harmony.SWING_BASS_LINES if pattern == "swing" else tuple(harmony.BassLine)
        arrangement = harmony.draw(harmonies, minor, bass_lines)
        if sevenths.random() < SEVENTHS_SHARE:
            arrangement = replace(arrangement, sevenths=True)
        drift = float(takes.uniform(0.015, 0.03) * takes.choice([-1, 1]))
        jitter = float(takes.uniform(0.006, 0.016))
        drift_beats = float(takes.uniform(32, 128))
        specs.append(
            Spec(
                name=f"{n:03d}_{pattern}_{bpm:.2f}"
                + (f"_{detune:+d}c" if detune else "")
                + ("_stressed" if stressed and not live else "")
                + (
                    f"_live{100 * drift:+.1f}pc{drift_beats / 4:.0f}bars{1000 * jitter:.0f}ms"
                    if live
                    else ""
                )
                + f"_{arrangement.progression}"
                + ("7" if arrangement.sevenths else ""),
                pattern=pattern,
                bpm=bpm,
                tonic=key_index % 12,
                minor=minor,
                seconds=seconds,
                intro_bars=intro_bars,
                # Every pattern in every format (patterns cycle faster than formats).
                suffix=FORMATS[(n // len(patterns)) % len(FORMATS)],
                seed=int(rng.integers(1 << 30)),
                detune=detune,
                stressed=stressed or live,
                jitter=jitter if live else Spec.jitter,
                drift=drift if live else 0.0,
                drift_beats=drift_beats if live else 0.0,
                kit=kit,
                arrangement=arrangement,
            )
        )
    return specs + ambient_specs(beatless, seconds, seed)


def ambient_specs(count: int, seconds: float, seed: int = 7) -> list[Spec]:
    """``count`` beatless specs (``AMBIENT``): pads, a held bass and a bell tune of one to three
    notes a bar, each from its own generator, so a draw's grooves stay as they were."""
    rng = np.random.default_rng([seed, 6])
    specs = []
    for n in range(count):
        minor = bool(n % 2)
        tonic = int(rng.integers(12))
        bpm = round(float(rng.uniform(*AMBIENT_TEMPO)), 2)
        names = harmony.MINOR_PROGRESSIONS if minor else harmony.MAJOR_PROGRESSIONS
        arrangement = harmony.Arrangement(
            progression=str(rng.choice(list(names))),
            chord_beats=int(rng.choice([4, 8])),
            voicing=harmony.Voicing(rng.choice(list(harmony.Voicing))),
            register=int(rng.integers(52, 72)),
            style=harmony.Style.PAD,
            bass_line=harmony.BassLine.HELD,
            bass_floor=int(rng.integers(31, 41)),
            melody=True,
            melody_notes=int(rng.integers(1, 4)),
            sevenths=bool(rng.random() < SEVENTHS_SHARE),
            melody_level=float(rng.uniform(0.6, 1.5)),
        )
        specs.append(
            Spec(
                name=f"{n:03d}_{AMBIENT}_{arrangement.progression}"
                + ("7" if arrangement.sevenths else "")
                + f"_{arrangement.melody_notes}notes",
                pattern=AMBIENT,
                bpm=bpm,
                tonic=tonic,
                minor=minor,
                seconds=seconds,
                intro_bars=0,
                suffix=FORMATS[n % len(FORMATS)],
                seed=int(rng.integers(1 << 30)),
                arrangement=arrangement,
            )
        )
    return specs


def _kick(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.3 * RATE)) / RATE
    freq = 50 + 110 * np.exp(-t / 0.03)
    return np.sin(2 * np.pi * np.cumsum(freq) / RATE) * np.exp(-t / 0.12)


def _snare(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.2 * RATE)) / RATE
    noise = np.diff(rng.standard_normal(t.size + 1)) * 0.5
    return 0.6 * noise * np.exp(-t / 0.06) + 0.5 * np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.07)


def _hiss(rng: np.random.Generator, size: int) -> np.ndarray:
    """High noise (white noise differenced twice): hats, shakers, a cymbal's ping."""
    return np.diff(rng.standard_normal(size + 2), n=2) * 0.25


def _hat(rng: np.random.Generator, seconds: float = 0.05, decay: float = 0.012) -> np.ndarray:
    """A closed hat; longer and slower to decay (0.3 s, 90 ms), an open one."""
    t = np.arange(int(seconds * RATE)) / RATE
    return _hiss(rng, t.size) * np.exp(-t / decay)


def _clave(rng: np.random.Generator) -> np.ndarray:
    """Claves: a hard wooden click ringing at 2.5 kHz for a few tens of milliseconds."""
    t = np.arange(int(0.08 * RATE)) / RATE
    return np.sin(2 * np.pi * 2500 * t) * np.exp(-t / 0.015) + 0.3 * _hiss(rng, t.size) * np.exp(
        -t / 0.003
    )


def _cowbell(rng: np.random.Generator) -> np.ndarray:
    """Two detuned square-ish tones at 540 and 800 Hz, as the TR-808 cowbell."""
    t = np.arange(int(0.25 * RATE)) / RATE
    wave = sum(np.sin(2 * np.pi * freq * h * t) / h for freq in (540.0, 800.0) for h in (1, 3, 5))
    return 0.5 * wave * (0.6 * np.exp(-t / 0.015) + 0.4 * np.exp(-t / 0.12))


def _boomy_kick() -> np.ndarray:
    """An 808's kick: a long low sine whose pitch falls slowly, more boom than click."""
    t = np.arange(int(0.7 * RATE)) / RATE
    freq = 45 + 70 * np.exp(-t / 0.04)
    return np.sin(2 * np.pi * np.cumsum(freq) / RATE) * np.exp(-t / 0.3)


def _clap(rng: np.random.Generator) -> np.ndarray:
    """Hands that do not meet at once: three noise bursts 11 ms apart, then the room. A clap's
    crack sits around 1-2.5 kHz (noise through a 1.6 kHz resonance), with a little hiss above."""
    t = np.arange(int(0.25 * RATE)) / RATE
    ring = np.arange(int(0.004 * RATE)) / RATE
    resonance = np.sin(2 * np.pi * 1600 * ring) * np.hanning(ring.size)
    resonance = resonance / np.abs(resonance).sum() * 4
    crack = np.convolve(rng.standard_normal(t.size), resonance, "same")
    noise = crack + 0.3 * np.diff(rng.standard_normal(t.size + 1))
    bursts = sum(np.where(t >= at, np.exp(-(t - at) / 0.004), 0.0) for at in (0.0, 0.011, 0.022))
    tail = np.where(t >= 0.022, 0.6 * np.exp(-(t - 0.022) / 0.05), 0.0)
    return 0.8 * noise * (bursts + tail)


def _ride(rng: np.random.Generator) -> np.ndarray:
    """A ride cymbal: a noisy ping over inharmonic partials that ring for most of a second."""
    t = np.arange(int(0.8 * RATE)) / RATE
    phases = rng.uniform(0, 2 * np.pi, 5)
    partials = (3150.0, 4720.0, 5410.0, 6900.0, 8130.0)
    ring = sum(np.sin(2 * np.pi * f * t + phase) for f, phase in zip(partials, phases, strict=True))
    ping = _hiss(rng, t.size) * np.exp(-t / 0.01)
    return ping + 0.12 * ring * np.exp(-t / 0.4)


def _shaker(rng: np.random.Generator) -> np.ndarray:
    """A shaker: high noise that swells for 8 ms and fades, no sharp attack."""
    t = np.arange(int(0.08 * RATE)) / RATE
    return _hiss(rng, t.size) * np.minimum(1.0, t / 0.008) * np.exp(-t / 0.025)


def _crash(rng: np.random.Generator) -> np.ndarray:
    """A crash cymbal: a burst of high noise that washes on for a second and a half."""
    t = np.arange(int(1.5 * RATE)) / RATE
    return 1.5 * _hiss(rng, t.size) * (0.5 * np.exp(-t / 0.02) + 0.5 * np.exp(-t / 0.5))


# Tom pitches (Hz) from the high tom down to the floor tom.
_TOM_PITCHES = (220.0, 180.0, 145.0, 110.0)


def _tom(pitch: float) -> np.ndarray:
    """A tom: a pitched drum whose note sags a little as it rings, with a stick's click."""
    t = np.arange(int(0.35 * RATE)) / RATE
    freq = pitch * (1 + 0.3 * np.exp(-t / 0.02))
    body = np.sin(2 * np.pi * np.cumsum(freq) / RATE) * np.exp(-t / 0.15)
    click = np.sin(2 * np.pi * 3 * pitch * t) * np.exp(-t / 0.005)
    return body + 0.3 * click


def _voices(
    kit: Kit, rng: np.random.Generator, kit_rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Each drum's sound. The default kit's come from ``rng`` alone, in the order they always
    did; the other timbres from ``kit_rng``."""
    tight, snare, closed, cowbell = _kick(rng), _snare(rng), _hat(rng), _cowbell(rng)
    hats = {
        HatSound.CLOSED: lambda: closed,
        HatSound.OPEN: lambda: _hat(kit_rng, 0.3, 0.09),
        HatSound.RIDE: lambda: _ride(kit_rng),
    }
    return {
        "kick": tight if kit.kick is KickSound.TIGHT else _boomy_kick(),
        "snare": snare if kit.backbeat is BackbeatSound.SNARE else _clap(kit_rng),
        "hat": hats[kit.hat](),
        "cowbell": cowbell,
        "shaker": _shaker(kit_rng),
        "crash": _crash(kit_rng),
        **{f"tom{n}": _tom(pitch) for n, pitch in enumerate(_TOM_PITCHES)},
        # Drawn last and only when played, so that the other kits render as they did.
        **({"clave": _clave(kit_rng)} if kit.clave_steps else {}),
    }


def _add(track: np.ndarray, sound: np.ndarray, at: float, gain: float) -> None:
    start = round(at * RATE)
    if start >= track.size:
        return
    end = min(track.size, start + sound.size)
    track[start:end] += gain * sound[: end - start]


def beat_clock(spec: Spec) -> Callable[[np.ndarray | float], np.ndarray]:
    """Seconds at which the score reaches a (fractional) beat number.

    Constant tempo unless the spec drifts; then the tempo at beat ``b`` is
    ``bpm * (1 + drift * sin(2 pi b / B))``, ``B`` being ``drift_beats`` (or the track's length
    in beats at its central tempo), and the time is its integral, taken numerically on a fine
    grid.
    """
    beat = 60.0 / spec.bpm
    if not spec.drift:
        return lambda beats: np.asarray(beats) * beat
    length = spec.seconds / beat
    cycle = spec.drift_beats or length
    fine = np.linspace(0.0, 1.1 * length, int(96 * 1.1 * length) + 1)
    seconds_per_beat = beat / (1 + spec.drift * np.sin(2 * np.pi * fine / cycle))
    elapsed = np.concatenate(
        [[0.0], np.cumsum((seconds_per_beat[1:] + seconds_per_beat[:-1]) / 2 * np.diff(fine))]
    )
    return lambda beats: np.interp(beats, fine, elapsed)


def render(spec: Spec) -> tuple[np.ndarray, Labels]:
    """Stereo float32 samples (2, n) and the exact labels of one spec."""
    rng = np.random.default_rng(spec.seed)
    # Ghost notes and the drawn kits' timbres: a generator of their own, so that the default
    # kit's tracks render as they always did.
    kit_rng = np.random.default_rng([spec.seed, 1])
    clock = beat_clock(spec)
    total = int(spec.seconds * RATE)
    drums = np.zeros(total)
    music = np.zeros(total)
    voices = _voices(spec.kit, rng, kit_rng)
    swing = spec.pattern == "swing"
    arrangement = spec.arrangement or (harmony.SWING_CADENCE if swing else harmony.CADENCE)
    truth = labels(spec)
    bars = int(np.ceil(_score_beats(spec).size / 4))
    for number in range(bars):
        start = float(clock(4 * number))
        bar = float(clock(4 * number + 4)) - start
        beat = bar / 4
        for note in harmony.score_bar(arrangement, spec.tonic, spec.minor, number, spec.seed):
            sound = harmony.tone(
                note.pitch + spec.detune / 100, note.beats * beat, note.timbre, beat
            )
            _add(music, sound, float(clock(4 * number + note.beat)), note.gain)
        if number < spec.intro_bars or spec.pattern == AMBIENT:
            continue
        hits = _bar_hits(spec.pattern, spec.kit, number, kit_rng)
        for into_bar, voice, gain in hits + _phrase_marks(spec.kit, number, spec.intro_bars):
            at = float(clock(4 * number + into_bar))
            if spec.stressed:
                _add(
                    drums,
                    voices[voice],
                    max(0.0, at + rng.normal(0, spec.jitter)),
                    gain * rng.uniform(0.6, 1),
                )
            else:
                _add(drums, voices[voice], at, gain)
    mix = drums + music
    if spec.stressed:
        noise = np.convolve(rng.standard_normal(total), np.ones(8) / 8, mode="same")
        mix *= 0.8 / max(1e-9, np.abs(mix).max())
        mix += 10 ** (-30 / 20) * noise / np.abs(noise).max()
    mix *= 0.8 / max(1e-9, np.abs(mix).max())
    stereo = np.stack([mix, mix]).astype(np.float32)
    return stereo, truth


def labels(spec: Spec) -> Labels:
    """The exact beats and downbeats of one spec, without rendering it: every beat the score
    reaches within the track; none on an ambient track."""
    if spec.pattern == AMBIENT:
        return Labels(beats=np.zeros(0), downbeats=np.zeros(0))
    beats = _score_beats(spec)
    return Labels(beats=beats, downbeats=beats[::4])


def _score_beats(spec: Spec) -> np.ndarray:
    """The times of every beat the score reaches within the track."""
    clock = beat_clock(spec)
    enough = np.arange(0.0, 1.1 * spec.seconds * spec.bpm / 60 + 2)
    return clock(np.arange(int(np.searchsorted(clock(enough), spec.seconds))))


def _bar_hits(
    pattern_name: str, kit: Kit, number: int, rng: np.random.Generator
) -> list[tuple[float, str, float]]:
    """The drum hits of bar ``number``: (beats from the bar's start, voice, gain), step by step
    and, within a step, kick, snare, hat, cowbell (the order the humanising draws follow)."""
    pattern = PATTERNS[pattern_name]
    kicks = kit.kick_steps or pattern["kick"]
    hat_steps = range(16) if kit.kick_steps else pattern["hat"]
    swing = pattern_name == "swing"
    kick_gain = 0.0 if kit.kickless[0] <= number < kit.kickless[1] else 0.9 * kit.kick_level
    snare_gain = _SNARE_GAIN.get(pattern_name, 0.7) * kit.backbeat_level
    # A trap roll: the hats of the bar's last beat become six triplet 16ths, rising.
    rolling = kit.hat_rolls and number % 2 == 1
    hits = []
    for step in range(16):
        beats = _step_beats(step, pattern_name)
        if step in kicks and kick_gain:
            hits.append((beats, "kick", kick_gain))
        if step in pattern["snare"]:
            hits.append((beats, "snare", 0.35 * kit.backbeat_level if step == 15 else snare_gain))
        elif kit.ghosts and rng.random() < kit.ghosts:
            hits.append((beats, "snare", float(rng.uniform(0.1, 0.25)) * snare_gain))
        if step in hat_steps and not (rolling and step >= 12):
            # Open hats accent the off-beats; a swing ride accents the beats.
            accent = 1.0 if step % 4 == (0 if swing else 2) else 0.6
            hits.append((beats, "hat", 0.3 * accent * kit.hat_level))
        if step in pattern.get("cowbell", ()) and not kit.kick_steps:
            hits.append((beats, "cowbell", 0.45 * kit.cowbell_level))
        if step in kit.clave_steps:
            hits.append((beats, "clave", 0.5 * kit.clave_level))
        if kit.shaker_level:
            hits.append((beats, "shaker", kit.shaker_level * (1.0 if step % 4 == 2 else 0.5)))
    if rolling:
        hits.extend((3 + k / 6, "hat", 0.3 * kit.hat_level * (0.5 + 0.1 * k)) for k in range(6))
    return hits


def _phrase_marks(kit: Kit, number: int, intro_bars: int) -> list[tuple[float, str, float]]:
    """The crash on a phrase's first beat and the fill of its last bar, as ``_bar_hits``'s
    hits. The fill plays over the groove: drummers keep the kick and hats going under it."""
    hits: list[tuple[float, str, float]] = []
    if kit.crash_level and (number == intro_bars or number % PHRASE_BARS == 0):
        hits.append((0.0, "crash", 0.5 * kit.crash_level))
    if number % PHRASE_BARS != PHRASE_BARS - 1:
        return hits
    level = 0.7 * kit.backbeat_level * kit.fill_level
    if kit.fill is FillSound.SNARE_ROLL:
        hits.extend((3 + k / 4, "snare", level * (0.55 + 0.15 * k)) for k in range(4))
    elif kit.fill is FillSound.TOMS:
        hits.extend((2 + k / 4, f"tom{k * len(_TOM_PITCHES) // 8}", level) for k in range(8))
    return hits


def _step_beats(step: int, pattern: str) -> float:
    """Beats from the bar's start to a 16-step pattern's step."""
    if pattern == "swing" and step % 4 == 2:
        return step // 4 + 2 / 3
    if pattern in _SHUFFLED and step % 2:
        return step / 4 + 1 / 12
    return step / 4


def write(spec: Spec, directory: Path) -> tuple[Path, Labels]:
    """Render ``spec`` to ``directory/name.suffix``; returns the path and the labels."""
    samples, labels = render(spec)
    path = directory / f"{spec.name}.{spec.suffix}"
    media.write_audio(path, samples, RATE)
    return path, labels
