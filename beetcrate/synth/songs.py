"""Royalty-free music from numbers: drums, bass and chords at an exact tempo and key.

Pure functions, numpy in and numpy out, no I/O. Every random choice comes from a generator seeded
by the caller, so the same arguments always give the same samples. The demo library is rendered
with ``render_track``; analysis tests use it and the smaller building blocks to get music whose
tempo, key and phrase structure are known exactly.

Time is laid out on a grid of bars of four beats, each beat four sixteenth-note steps. Step
positions are computed from the fractional tempo and rounded per hit, never accumulated, so a
track at 127.5 BPM does not drift however long it runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SAMPLE_RATE = 44100
STEPS_PER_BAR = 16
# Beat-driven sections (intro, breakdown) start and last whole phrases of this many bars.
PHRASE_BARS = 8

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLATS = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#"}

SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
}
# One chord per bar, as 0-based scale degrees: I-IV-V-I and i-iv-v-i. Tonic, subdominant and
# dominant together contain every note of the scale and all point at the tonic, so neither the
# key nor the mode can be mistaken for the relative major or minor.
PROGRESSIONS: dict[str, tuple[int, ...]] = {
    "major": (0, 3, 4, 0),
    "minor": (0, 3, 4, 0),
}

# Steps (0-15) on which each drum plays, per pattern.
PATTERNS: dict[str, dict[str, tuple[int, ...]]] = {
    "four_on_the_floor": {
        "kick": (0, 4, 8, 12),
        "snare": (4, 12),
        "hat": (2, 6, 10, 14),
    },
    "breakbeat": {
        "kick": (0, 6, 10),
        "snare": (4, 12),
        "ghost": (7, 15),
        "hat": (0, 2, 4, 6, 8, 10, 12, 14),
    },
    # The snare on beat three only: the groove feels like half the tempo, the grid stays at it.
    "half_time": {
        "kick": (0, 3, 10),
        "snare": (8,),
        "hat": (0, 2, 4, 6, 8, 10, 12, 14),
    },
}

# Relative loudness of each voice in the drum bus.
_DRUM_GAINS = {"kick": 1.0, "snare": 0.55, "ghost": 0.2, "hat": 0.18}


def pitch_class(key: str) -> int:
    """The pitch class (C = 0) of a key name such as ``"F#"`` or ``"Bb"``."""
    name = _FLATS.get(key, key)
    if name not in PITCH_CLASSES:
        raise ValueError(f"unknown key {key!r}; use one of {', '.join(PITCH_CLASSES)}")
    return PITCH_CLASSES.index(name)


def midi_to_hz(note: float) -> float:
    """Equal temperament, A4 (MIDI 69) at 440 Hz."""
    return 440.0 * 2.0 ** ((note - 69) / 12)


def bar_length(bpm: float, sample_rate: int = SAMPLE_RATE) -> float:
    """Samples per bar of four beats; fractional, so fractional tempos stay exact."""
    if bpm <= 0:
        raise ValueError(f"tempo must be positive, not {bpm}")
    return 4 * 60.0 / bpm * sample_rate


def track_length(bpm: float, bars: int, sample_rate: int = SAMPLE_RATE) -> int:
    """Samples in ``bars`` bars: the length every building block returns."""
    return round(bars * bar_length(bpm, sample_rate))


def _step_position(bpm: float, step: int, sample_rate: int) -> int:
    return round(step * bar_length(bpm, sample_rate) / STEPS_PER_BAR)


def _band_noise(
    rng: np.random.Generator, n: int, low: float, high: float, sample_rate: int
) -> np.ndarray:
    """White noise filtered to [low, high] Hz in the frequency domain, peak 1."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / sample_rate)
    spectrum[(freqs < low) | (freqs > high)] = 0
    out = np.fft.irfft(spectrum, n)
    return out / np.max(np.abs(out))


def kick(rng: np.random.Generator, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A bass drum: a sine sweeping from 150 Hz down to 45 Hz, with a click of noise on top.

    The click is the beater hitting the skin: it makes the attack audible on small speakers and
    visible to onset detectors, which hear little of a low sine's start.
    """
    t = np.arange(int(0.35 * sample_rate)) / sample_rate
    freq = 45 + 105 * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(freq) / sample_rate
    click = _band_noise(rng, t.size, 2000, 10000, sample_rate) * np.exp(-t / 0.003)
    return (np.sin(phase) * np.exp(-t / 0.09) + 0.3 * click).astype(np.float32)


def snare(rng: np.random.Generator, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A snare: band-limited noise for the wires over a short 185 Hz body."""
    t = np.arange(int(0.25 * sample_rate)) / sample_rate
    wires = _band_noise(rng, t.size, 1000, 9000, sample_rate) * np.exp(-t / 0.06)
    body = np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.04)
    return (0.7 * wires + 0.5 * body).astype(np.float32)


def hat(rng: np.random.Generator, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A closed hi-hat: noise above 7 kHz, gone in a few tens of milliseconds."""
    t = np.arange(int(0.08 * sample_rate)) / sample_rate
    noise = _band_noise(rng, t.size, 7000, 16000, sample_rate)
    return (noise * np.exp(-t / 0.015)).astype(np.float32)


def _add(out: np.ndarray, sound: np.ndarray, at: int, gain: float = 1.0) -> None:
    """Mix ``sound`` into ``out`` starting at sample ``at``, cutting what runs past the end."""
    end = min(out.shape[-1], at + sound.shape[-1])
    if end > at:
        out[..., at:end] += gain * sound[..., : end - at]


def _active_bars(bars: int, active: Sequence[bool] | None) -> Sequence[bool]:
    if active is None:
        return [True] * bars
    if len(active) != bars:
        raise ValueError(f"{len(active)} flags for {bars} bars")
    return active


def drum_track(
    bpm: float,
    pattern: str,
    bars: int,
    seed: int = 0,
    sample_rate: int = SAMPLE_RATE,
    active: Sequence[bool] | None = None,
) -> np.ndarray:
    """A mono drum-machine part, shape (n,), playing ``pattern`` in the bars flagged ``active``."""
    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; use one of {', '.join(PATTERNS)}")
    rng = np.random.default_rng(seed)
    sounds = {
        "kick": kick(rng, sample_rate),
        "snare": snare(rng, sample_rate),
        "ghost": snare(rng, sample_rate),
        "hat": hat(rng, sample_rate),
    }
    out = np.zeros(track_length(bpm, bars, sample_rate), dtype=np.float32)
    for bar, playing in enumerate(_active_bars(bars, active)):
        if not playing:
            continue
        for voice, steps in PATTERNS[pattern].items():
            for step in steps:
                # A little velocity variation keeps the loop from sounding like a loop.
                gain = _DRUM_GAINS[voice] * rng.uniform(0.85, 1.0)
                at = _step_position(bpm, bar * STEPS_PER_BAR + step, sample_rate)
                _add(out, sounds[voice], at, gain)
    return out


def _check_key(key: str, mode: str) -> None:
    pitch_class(key)
    if mode not in SCALES:
        raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(SCALES)}")


def chord_roots(key: str, mode: str, bars: int) -> list[int]:
    """The root pitch class of each bar's chord, cycling through the mode's progression."""
    _check_key(key, mode)
    tonic, scale, progression = pitch_class(key), SCALES[mode], PROGRESSIONS[mode]
    return [(tonic + scale[progression[bar % len(progression)]]) % 12 for bar in range(bars)]


def triad(key: str, mode: str, degree: int) -> list[int]:
    """MIDI notes of the triad on a 0-based scale degree, its root between A3 and G#4."""
    _check_key(key, mode)
    tonic, scale = pitch_class(key), SCALES[mode]
    # Stack scale steps degree, degree + 2 and degree + 4, wrapping into the next octave.
    stacked = [
        tonic + scale[step % 7] + 12 * (step // 7) for step in (degree, degree + 2, degree + 4)
    ]
    shift = 57 + (stacked[0] - 57) % 12 - stacked[0]
    return [note + shift for note in stacked]


def _tone(freq: float, n: int, sample_rate: int, harmonics: int) -> np.ndarray:
    """A band-limited sawtooth-like tone: harmonics at 1/k amplitude, none above Nyquist."""
    t = np.arange(n) / sample_rate
    out = np.zeros(n)
    for k in range(1, harmonics + 1):
        if k * freq < sample_rate / 2:
            out += np.sin(2 * np.pi * k * freq * t) / k
    return out


def bass_line(
    bpm: float,
    key: str,
    mode: str,
    bars: int,
    seed: int = 0,
    sample_rate: int = SAMPLE_RATE,
    active: Sequence[bool] | None = None,
) -> np.ndarray:
    """A mono bass part, shape (n,): each bar's chord root in octave two, in a seeded rhythm."""
    rng = np.random.default_rng(seed)
    # Rhythms as (step, interval above the root) pairs; the seed picks one for the whole track.
    rhythms = (
        ((0, 0), (4, 0), (8, 0), (12, 0)),
        ((0, 0), (3, 0), (6, 0), (8, 7), (11, 0), (14, 12)),
        ((0, 0), (2, 12), (4, 0), (6, 12), (8, 0), (10, 12), (12, 0), (14, 12)),
    )
    rhythm = rhythms[rng.integers(len(rhythms))]
    out = np.zeros(track_length(bpm, bars, sample_rate), dtype=np.float32)
    note_length = int(0.9 * bar_length(bpm, sample_rate) / 4)
    t = np.arange(note_length) / sample_rate
    envelope = np.minimum(1.0, t / 0.005) * np.exp(-t / 0.25)
    roots = chord_roots(key, mode, bars)
    # A track uses a handful of distinct notes; synthesize each once.
    notes: dict[int, np.ndarray] = {}
    for bar, playing in enumerate(_active_bars(bars, active)):
        if not playing:
            continue
        for step, interval in rhythm:
            # Roots between C2 and B2: low enough to be bass, high enough for small speakers.
            pitch = 36 + roots[bar] + interval
            if pitch not in notes:
                tone = _tone(midi_to_hz(pitch), note_length, sample_rate, harmonics=6)
                notes[pitch] = (tone * envelope).astype(np.float32)
            _add(out, notes[pitch], _step_position(bpm, bar * STEPS_PER_BAR + step, sample_rate))
    return out


def chord_pads(
    bpm: float, key: str, mode: str, bars: int, seed: int = 0, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """A stereo pad, shape (2, n), holding each bar's triad; left and right slightly detuned."""
    rng = np.random.default_rng(seed)
    # The seed sets the width of the chorus, so tracks do not all share one timbre.
    cents = rng.uniform(3, 9)
    out = np.zeros((2, track_length(bpm, bars, sample_rate)), dtype=np.float32)
    _check_key(key, mode)
    progression = PROGRESSIONS[mode]
    longest = int(np.ceil(bar_length(bpm, sample_rate))) + 1
    # Each chord of the progression is synthesized once, a bar long, and cut to each bar.
    chords: dict[int, np.ndarray] = {}
    for degree in set(progression):
        chord = np.zeros((2, longest), dtype=np.float32)
        for note in triad(key, mode, degree):
            for channel, detune in enumerate((-cents, cents)):
                chord[channel] += _tone(midi_to_hz(note + detune / 100), longest, sample_rate, 3)
        chords[degree] = chord
    for bar in range(bars):
        start = round(bar * bar_length(bpm, sample_rate))
        n = round((bar + 1) * bar_length(bpm, sample_rate)) - start
        t = np.arange(n) / sample_rate
        # A soft attack and a short release at the bar line, so chord changes do not click.
        envelope = np.minimum(1.0, t / 0.08) * np.minimum(1.0, (n - 1 - np.arange(n)) / 2000)
        _add(out, chords[progression[bar % len(progression)]][:, :n] * envelope, start)
    return out


def normalize(samples: np.ndarray, headroom_db: float = 3.0) -> np.ndarray:
    """Scale so the peak sits ``headroom_db`` below full scale, leaving room for lossy encoders."""
    peak = float(np.max(np.abs(samples)))
    if peak == 0:
        return samples.astype(np.float32)
    return (samples * (10 ** (-headroom_db / 20) / peak)).astype(np.float32)


def sections(
    bars: int, intro_bars: int = 0, breakdown_bar: int | None = None, breakdown_bars: int = 8
) -> list[bool]:
    """Per bar, whether the beat plays: silent through the intro and the breakdown.

    Both start and last on phrase boundaries (multiples of ``PHRASE_BARS``), where a DJ would
    expect them.
    """
    boundaries = [intro_bars, breakdown_bars] + (
        [breakdown_bar] if breakdown_bar is not None else []
    )
    if any(value % PHRASE_BARS for value in boundaries):
        raise ValueError(f"sections must start and last multiples of {PHRASE_BARS} bars")
    beat = [bar >= intro_bars for bar in range(bars)]
    if breakdown_bar is not None:
        for bar in range(breakdown_bar, min(bars, breakdown_bar + breakdown_bars)):
            beat[bar] = False
    return beat


def render_track(
    bpm: float,
    key: str,
    mode: str,
    seconds: float,
    pattern: str = "four_on_the_floor",
    seed: int = 0,
    intro_bars: int = 0,
    breakdown_bar: int | None = None,
    breakdown_bars: int = 8,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """A finished stereo track, shape (2, n), float32 peaking 3 dB below full scale.

    Drums and bass play from the end of a beatless intro, drop out for the breakdown and come
    back; the pad plays throughout. The last second fades out so the track does not end on a cut.
    """
    n = round(seconds * sample_rate)
    bars = int(np.ceil(n / bar_length(bpm, sample_rate)))
    beat = sections(bars, intro_bars, breakdown_bar, breakdown_bars)
    drums = drum_track(bpm, pattern, bars, seed, sample_rate, active=beat)
    bass = bass_line(bpm, key, mode, bars, seed + 1, sample_rate, active=beat)
    pads = chord_pads(bpm, key, mode, bars, seed + 2, sample_rate)
    mix = 0.3 * pads + 0.9 * drums + 0.35 * bass
    mix = mix[:, :n]
    fade = min(n, sample_rate)
    mix[:, n - fade :] *= np.linspace(1.0, 0.0, fade)
    return normalize(mix)
