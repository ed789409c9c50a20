"""Musical key: chroma from long spectra, essentia's key profiles, and a bass check on the mode.

Chroma is computed as it streams, from 16384-sample spectra (0.37 s, fine enough to separate
semitones down to the bass): only spectral peaks count, each credited to the pitch class it is
closest to, so drums and noise, which have few isolated peaks, weigh little. The mean chroma goes
to essentia's ``Key`` with the EDMA profile (tuned on electronic dance music). Profiles alone
often confuse a key with its relative (A minor / C major share all their notes); the tonic is
usually the note the bass returns to, so a separate bass chroma (40-250 Hz) arbitrates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft

from analysis.signal import Framer, essentia_standard

FFT_SIZE = 16384
HOP = 8192
# Pitch classes counted from C (beets' and Camelot's convention); essentia counts from A.
NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_ESSENTIA_NAMES = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#"}
# How much more the bass must dwell on the relative key's tonic before the mode is flipped.
_RELATIVE_BASS_RATIO = 1.5


@dataclass(frozen=True)
class Key:
    tonic: int  # pitch class, C = 0
    minor: bool
    strength: float  # 0..1, essentia's correlation with the profile

    @property
    def name(self) -> str:
        """``A minor``, ``F# major``."""
        return f"{NAMES[self.tonic]} {'minor' if self.minor else 'major'}"

    @property
    def beets(self) -> str:
        """beets' ``initial_key`` format: ``Am``, ``F#``."""
        return NAMES[self.tonic] + ("m" if self.minor else "")

    @property
    def camelot(self) -> str:
        """The Camelot wheel (``8A`` = A minor, ``8B`` = C major)."""
        return f"{(self._fifths + 7) % 12 + 1}{'A' if self.minor else 'B'}"

    @property
    def openkey(self) -> str:
        """Open Key notation (``1m`` = A minor, ``1d`` = C major)."""
        return f"{self._fifths + 1}{'m' if self.minor else 'd'}"

    @property
    def _fifths(self) -> int:
        # Position on the circle of fifths of the major key with the same notes.
        major = (self.tonic + 3) % 12 if self.minor else self.tonic
        return (7 * major) % 12


def _pitch_weights(freqs: np.ndarray, low: float, high: float) -> np.ndarray:
    """(bins, 12) weights crediting each bin to its nearest pitch class, C = 0."""
    weights = np.zeros((freqs.size, 12), dtype=np.float32)
    inside = (freqs >= low) & (freqs <= high)
    semitones = 12 * np.log2(freqs[inside] / 440.0) + 9  # C = 0
    nearest = np.round(semitones)
    # A bin half-way between two semitones belongs to neither.
    closeness = np.cos(np.pi * (semitones - nearest)) ** 2
    weights[np.flatnonzero(inside), nearest.astype(int) % 12] = closeness
    return weights


class ChromaCollector:
    """Streams mono blocks into per-frame chroma (full range) and bass chroma."""

    def __init__(self, sample_rate: int) -> None:
        self.rate = sample_rate / HOP
        self._framer = Framer(FFT_SIZE, HOP)
        self._window = np.hanning(FFT_SIZE).astype(np.float32)
        freqs = np.fft.rfftfreq(FFT_SIZE, 1 / sample_rate)
        freqs[0] = 1.0
        self._full = _pitch_weights(freqs, 80.0, 5000.0)
        self._bass = _pitch_weights(freqs, 40.0, 250.0)
        self._chroma: list[np.ndarray] = []
        self._bass_chroma: list[np.ndarray] = []

    def feed(self, mono: np.ndarray) -> None:
        frames = self._framer.push(mono)
        if not len(frames):
            return
        magnitude = np.abs(fft.rfft(frames * self._window, axis=1))
        middle = magnitude[:, 1:-1]
        is_peak = (middle > magnitude[:, :-2]) & (middle >= magnitude[:, 2:])
        peaks = np.zeros_like(magnitude)
        peaks[:, 1:-1] = np.where(is_peak, middle, 0.0)
        self._chroma.append(peaks @ self._full)
        self._bass_chroma.append(peaks @ self._bass)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """Chroma and bass chroma, each (frames, 12), C = 0."""
        if not self._chroma:
            return np.zeros((0, 12)), np.zeros((0, 12))
        return np.concatenate(self._chroma), np.concatenate(self._bass_chroma)


def _profile_key(chroma: np.ndarray) -> tuple[int, bool, float]:
    es = essentia_standard()
    # essentia's pitch-class profile starts at A.
    pcp = np.roll(chroma, -9).astype(np.float32)
    name, scale, strength, _ = es.Key(pcpSize=12, profileType="edma")(pcp)
    tonic = NAMES.index(_ESSENTIA_NAMES.get(name, name))
    return tonic, scale == "minor", float(strength)


def estimate_key(chroma: np.ndarray, bass: np.ndarray) -> Key | None:
    """The key of a track from its chroma frames; None when there is no pitched content."""
    energy = chroma.sum(axis=1)
    if chroma.size == 0 or energy.max(initial=0.0) <= 1e-6:
        return None
    # Each frame normalised so loud passages do not outvote the rest of the track.
    active = energy > 1e-3 * energy.max()
    profile = (chroma[active] / energy[active, None]).mean(axis=0)
    tonic, minor, strength = _profile_key(profile)
    bass_energy = bass.sum(axis=1)
    if bass_energy.max(initial=0.0) > 1e-6:
        keep = bass_energy > 1e-3 * bass_energy.max()
        bass_profile = (bass[keep] / bass_energy[keep, None]).mean(axis=0)
        relative = (tonic + 3) % 12 if minor else (tonic + 9) % 12
        if bass_profile[relative] > _RELATIVE_BASS_RATIO * bass_profile[tonic]:
            tonic, minor = relative, not minor
    return Key(tonic=tonic, minor=minor, strength=round(strength, 3))
