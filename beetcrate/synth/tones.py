"""Small test signals: sine tones, noisy chords, plucked notes and white noise.

Arrays are stereo float32 of shape (2, n) at ``rate`` (44.1 kHz unless given). Seeded signals
give the same samples for the same seed. ``write_tone`` writes a tone to a file of any format
the media layer writes, and WAV.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from beetcrate import media

RATE = 44100


def sine(seconds: float, freq: float = 440.0, rate: int = RATE) -> np.ndarray:
    """A stereo sine tone, shape (2, n), at -10 dBFS."""
    t = np.arange(int(seconds * rate)) / rate
    tone = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([tone, tone])


def noisy_chord(seconds: float, seed: int = 0, rate: int = RATE) -> np.ndarray:
    """Stereo chords with a little noise: dense enough that VBR encoders use their bitrate."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    tone = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6, 1760.0))
    left = tone + 0.05 * rng.standard_normal(t.size)
    right = tone + 0.05 * rng.standard_normal(t.size)
    return np.stack([left, right]).astype(np.float32)


def plucked(seconds: float, seed: int = 0, rate: int = RATE) -> np.ndarray:
    """Plucked notes with overtones over a light noise floor: about as hard to encode as pop."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    out = np.zeros((2, t.size), np.float32)
    for start in np.arange(0.0, seconds, 0.5):
        freq = 110.0 * 2 ** (rng.integers(0, 24) / 12)
        span = (t >= start) & (t < start + 1.0)
        local = t[span] - start
        note = sum(0.1 / k * np.sin(2 * np.pi * freq * k * local) for k in range(1, 6))
        note *= np.exp(-3 * local)
        out[0, span] += note
        out[1, span] += 0.8 * note
    out += 0.01 * rng.standard_normal(out.shape)
    return out.astype(np.float32)


def white_noise(seconds: float, level: float = 0.05, seed: int = 0, rate: int = RATE) -> np.ndarray:
    """Stereo Gaussian white noise with standard deviation ``level``."""
    samples = np.random.default_rng(seed).standard_normal((2, int(seconds * rate)))
    return (level * samples).astype(np.float32)


def write_tone(path: Path, seconds: float = 2.0, freq: float = 440.0) -> Path:
    """A real audio file at ``path``; WAV through the standard library, the rest through PyAV."""
    samples = sine(seconds, freq)
    if path.suffix == ".wav":
        pcm = (np.clip(samples.T, -1, 1) * 32767).astype("<i2")
        with wave.open(str(path), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(pcm.tobytes())
    else:
        media.write_audio(path, samples, RATE)
    return path
