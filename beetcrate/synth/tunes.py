"""Seeded tunes for the duplicate finder's tests and benchmark: each seed a different song.

Pure tones fingerprint poorly (Chromaprint listens to chroma changes), so a tune here has what
a fingerprint needs: a chord progression, a melody, a bass line and drums, all decided by a seed.
Two tunes may share key and tempo and still differ, like two songs on one album. A ``Take``
plays a tune again as a band would live: the same notes at another tempo that drifts, each note a
little early or late and louder or softer.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

RATE = 44100
MAJOR = [0, 2, 4, 5, 7, 9, 11]


@dataclass(frozen=True)
class Take:
    """How a performance departs from the studio's: its own timing and dynamics, seeded."""

    seed: int
    tempo: float = 1.0  # the take's tempo at its middle over the studio's
    drift: float = 0.0  # the tempo's change from the first bar to the last (0.01: 1 % faster)
    jitter: float = 0.0  # seconds: the spread (standard deviation) of each note's timing
    dynamics: float = 0.0  # dB: the spread of each note's loudness


@dataclass(frozen=True)
class Tune:
    seed: int
    key: int = 57  # MIDI note of the tonic (A3)
    bpm: float = 112.0

    def bars(self, count: int, take: Take | None = None) -> np.ndarray:
        """``count`` bars of 4 beats, stereo float32 at ``RATE``; played as ``take``, if given."""
        rng = np.random.default_rng(self.seed)
        progression = rng.choice(7, size=4, replace=True)
        melody = rng.choice(7, size=(count, 8)) + 7 * rng.integers(1, 3, size=(count, 8))
        drum_pattern = rng.random(8) < 0.5
        played = np.random.default_rng(take.seed if take else 0)
        out = []
        for i in range(count):
            beat, shifts, gains = 60.0 / self.bpm, np.zeros(8, int), np.ones(8)
            if take is not None:
                middle = (i + 0.5) / count - 0.5  # where the bar lies, -0.5 to 0.5
                beat /= take.tempo * (1 + take.drift * middle)
                shifts = np.round(played.normal(0, take.jitter, 8) * RATE).astype(int)
                gains = 10 ** (played.normal(0, take.dynamics, 8) / 20)
            chord = int(progression[i % 4])
            out.append(_bar(self.key, chord, melody[i], drum_pattern, beat, shifts, gains))
        mono = np.concatenate(out)
        return np.stack([mono, np.roll(mono, 30)]).astype(np.float32)


def _note(midi: float, seconds: float, harmonics: int = 4, decay: float = 3.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    freq = 440.0 * 2 ** ((midi - 69) / 12)
    wave = sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, harmonics + 1))
    return wave * np.exp(-decay * t)


def _degree(key: int, degree: int) -> int:
    return key + MAJOR[degree % 7] + 12 * (degree // 7)


def _bar(
    key: int,
    chord: int,
    melody: np.ndarray,
    drums: np.ndarray,
    beat: float,
    shifts: np.ndarray,
    gains: np.ndarray,
) -> np.ndarray:
    """One bar; each of its eight eighth notes (melody, drum hit, kick) moved by ``shifts``
    samples and scaled by ``gains`` (the chord and bass by the first)."""
    length = int(4 * beat * RATE)
    bar = np.zeros(length)
    for degree in (chord, chord + 2, chord + 4):
        bar += 0.12 * gains[0] * _note(_degree(key, degree), 4 * beat, decay=0.6)[:length]
    bar += 0.2 * gains[0] * _note(_degree(key - 12, chord), 4 * beat, 2, 1.0)[:length]
    step = int(beat / 2 * RATE)
    rng = np.random.default_rng(int(melody.sum()))
    for i, degree in enumerate(melody):
        at = min(max(0, i * step + int(shifts[i])), length - 1)
        note = 0.18 * gains[i] * _note(_degree(key + 12, int(degree)), beat / 2, decay=5.0)
        bar[at : at + note.size] += note[: length - at]
        if drums[i]:
            hit = rng.standard_normal(step // 4) * np.exp(-np.arange(step // 4) / 400) * 0.1
            bar[at : at + hit.size] += gains[i] * hit[: length - at]
        if i % 2 == 0:
            kick = _note(33, beat / 4, 1, 25.0) * 0.4 * gains[i]
            bar[at : at + kick.size] += kick[: length - at]
    return bar / 1.6


@functools.lru_cache(maxsize=64)
def _cached(seed: int, bars: int, key: int, bpm: float, take: Take | None) -> np.ndarray:
    samples = Tune(seed, key, bpm).bars(bars, take)
    samples.flags.writeable = False  # shared between callers: nobody may change it
    return samples


def tune(
    seed: int, seconds: float = 12.0, key: int = 57, bpm: float = 112.0, take: Take | None = None
) -> np.ndarray:
    """About ``seconds`` of the tune ``seed`` (whole bars), stereo float32 at ``RATE``; played
    as ``take`` (as many bars, at its own tempo), if given."""
    beat = 60.0 / bpm
    return _cached(seed, max(1, round(seconds / (4 * beat))), key, bpm, take)
