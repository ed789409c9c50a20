"""Musical key: tuning-aware chroma, essentia's key profiles, and a bass check on the mode.

Chroma is computed as it streams, from 16384-sample spectra (0.37 s, fine enough to separate
semitones down to the bass): only spectral peaks count, so drums and noise, which have few
isolated peaks, weigh little. Each peak is credited to a 10-cent pitch bin, and the track's
average over those bins is kept rather than a 12-note chroma: a record tuned away from A = 440 Hz
(vinyl a little fast, an old master, A = 432) would otherwise smear every note over two pitch
classes. librosa measures the tuning (``piptrack`` and ``pitch_tuning``: sub-bin peak
frequencies, their deviation from the equal-tempered grid) and the fine profile is folded onto
the 12 pitch classes around the tuned semitones. The result goes to essentia's ``Key`` with the
EDMA profile (tuned on electronic dance music). Profiles alone often confuse a key with its
relative (A minor / C major share all their notes); the tonic is usually the note the bass
returns to, so a separate bass profile (40-250 Hz) arbitrates. They also confuse a key with
its neighbours on the circle of fifths (E major / B major: tonic and dominant swap roles); the
two scales differ by one note (A / A#), and the note that is actually played decides.

A 12-note chroma per frame at A = 440 Hz is kept too, for the downbeats (where the harmony
changes, tuning does not matter).
"""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np
from scipy import fft, sparse

from analysis.signal import Framer, essentia_standard

FFT_SIZE = 16384
HOP = 8192
# Pitch classes counted from C (beets' and Camelot's convention); essentia counts from A.
NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_ESSENTIA_NAMES = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#"}
# How much more the bass must dwell on the relative key's tonic before the mode is flipped.
_RELATIVE_BASS_RATIO = 1.5
BINS_PER_SEMITONE = 10  # the fine profile's resolution: 10 cents
_FINE_BINS = 12 * BINS_PER_SEMITONE
_TUNING_PEAKS_PER_BLOCK = 256  # strongest peaks kept per block for the tuning: bounded memory
# How much more the note only a neighbouring key's scale has must sound than the one only the
# estimated key's scale has, before the key moves by a fifth.
_SCALE_NOTE_RATIO = 2.0
_MAJOR_SCALE = frozenset({0, 2, 4, 5, 7, 9, 11})
_MINOR_SCALE = frozenset({0, 2, 3, 5, 7, 8, 10})  # natural minor
_QUIET = 1e-3  # frames quieter than this share of the loudest so far are left out
# piptrack is given the spectrum up to a quarter of the Nyquist frequency (5.5 kHz, above the
# 5 kHz it searches), with the sample rate and FFT size that keep the same bin spacing: the
# same peaks for a quarter of the work.
_TUNING_SHRINK = 4


@dataclass(frozen=True)
class Key:
    tonic: int  # pitch class, C = 0
    minor: bool
    strength: float  # 0..1, essentia's correlation with the profile
    tuning_cents: int = 0  # how far the record's A is from 440 Hz

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


def _fine_weights(freqs: np.ndarray, low: float, high: float) -> sparse.csr_matrix:
    """(120, bins) weights sharing each bin between its two nearest 10-cent pitch bins."""
    weights = np.zeros((freqs.size, _FINE_BINS), dtype=np.float32)
    inside = np.flatnonzero((freqs >= low) & (freqs <= high))
    position = (12 * np.log2(freqs[inside] / 440.0) + 9) * BINS_PER_SEMITONE  # C = 0
    below = np.floor(position)
    share = position - below
    weights[inside, below.astype(int) % _FINE_BINS] += (1 - share).astype(np.float32)
    weights[inside, (below.astype(int) + 1) % _FINE_BINS] += share.astype(np.float32)
    # Two non-zero weights per bin: a sparse product is several times faster.
    return sparse.csr_matrix(weights.T)


def fold(profile: np.ndarray, tuning: float) -> np.ndarray:
    """A 120-bin fine profile onto 12 pitch classes (C = 0) around semitones shifted by
    ``tuning`` (in semitones, -0.5..0.5); a bin half-way between two semitones counts for
    neither."""
    centres = np.arange(_FINE_BINS) / BINS_PER_SEMITONE - tuning
    nearest = np.round(centres)
    closeness = np.cos(np.pi * (centres - nearest)) ** 2
    chroma = np.zeros(12)
    np.add.at(chroma, nearest.astype(int) % 12, profile * closeness)
    return chroma


@dataclass(frozen=True)
class Chroma:
    frames: np.ndarray  # (n, 12) per-frame chroma at A = 440 Hz, C = 0
    rate: float  # frames per second
    profile: np.ndarray  # (120,) fine profile, 80-5000 Hz: the sum of frame-normalised frames
    bass: np.ndarray  # (120,) the same, 40-250 Hz
    tuning: float  # semitones from A = 440 Hz, -0.5..0.5


class ChromaCollector:
    """Streams mono blocks into per-frame chroma, fine pitch profiles and tuning evidence."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.rate = sample_rate / HOP
        self._framer = Framer(FFT_SIZE, HOP)
        self._window = np.hanning(FFT_SIZE).astype(np.float32)
        freqs = np.fft.rfftfreq(FFT_SIZE, 1 / sample_rate)
        freqs[0] = 1.0
        self._chroma_weights = _pitch_weights(freqs, 80.0, 5000.0)
        self._full = _fine_weights(freqs, 80.0, 5000.0)
        self._bass = _fine_weights(freqs, 40.0, 250.0)
        self._chroma: list[np.ndarray] = []
        self._profile = np.zeros(_FINE_BINS)
        self._bass_profile = np.zeros(_FINE_BINS)
        self._loudest = 0.0
        self._pitches: list[np.ndarray] = []

    def feed(self, mono: np.ndarray) -> None:
        frames = self._framer.push(mono)
        if not len(frames):
            return
        magnitude = np.abs(fft.rfft(frames * self._window, axis=1))
        middle = magnitude[:, 1:-1]
        is_peak = (middle > magnitude[:, :-2]) & (middle >= magnitude[:, 2:])
        peaks = np.zeros_like(magnitude)
        peaks[:, 1:-1] = np.where(is_peak, middle, 0.0)
        self._chroma.append(peaks @ self._chroma_weights)
        active = self._active(peaks)
        self._profile += _normalised_sum((self._full @ peaks.T).T, active)
        self._bass_profile += _normalised_sum((self._bass @ peaks.T).T, active)
        self._collect_pitches(magnitude)

    def _active(self, peaks: np.ndarray) -> np.ndarray:
        energy = peaks.sum(axis=1)
        self._loudest = max(self._loudest, float(energy.max(initial=0.0)))
        return (energy > _QUIET * self._loudest) & (energy > 1e-6)

    def _collect_pitches(self, magnitude: np.ndarray) -> None:
        bins = FFT_SIZE // (2 * _TUNING_SHRINK) + 1
        pitches, strengths = librosa.piptrack(
            S=magnitude[:, :bins].T,
            sr=self.sample_rate / _TUNING_SHRINK,
            n_fft=FFT_SIZE // _TUNING_SHRINK,
            fmin=80.0,
            fmax=5000.0,
        )
        found = pitches > 0
        if not found.any():
            return
        # librosa.estimate_tuning's rule: peaks at least as strong as the median peak.
        strong = found & (strengths >= np.median(strengths[found]))
        order = np.argsort(strengths[strong])[::-1][:_TUNING_PEAKS_PER_BLOCK]
        self._pitches.append(pitches[strong][order])

    def result(self) -> Chroma:
        frames = np.concatenate(self._chroma) if self._chroma else np.zeros((0, 12))
        pitches = np.concatenate(self._pitches) if self._pitches else np.zeros(0)
        tuning = float(librosa.pitch_tuning(pitches, resolution=0.01)) if pitches.size else 0.0
        return Chroma(frames, self.rate, self._profile, self._bass_profile, tuning)


def _normalised_sum(chroma: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Sum of the active frames, each normalised so loud passages do not outvote the rest."""
    energy = chroma[active].sum(axis=1, keepdims=True)
    usable = energy[:, 0] > 0
    return (chroma[active][usable] / energy[usable]).sum(axis=0)


def _profile_key(chroma: np.ndarray) -> tuple[int, bool, float]:
    es = essentia_standard()
    # essentia's pitch-class profile starts at A.
    pcp = np.roll(chroma, -9).astype(np.float32)
    name, scale, strength, _ = es.Key(pcpSize=12, profileType="edma")(pcp)
    tonic = NAMES.index(_ESSENTIA_NAMES.get(name, name))
    return tonic, scale == "minor", float(strength)


def estimate_key(chroma: Chroma) -> Key | None:
    """The key of a track from its chroma; None when there is no pitched content."""
    if chroma.profile.sum() <= 0:
        return None
    profile = fold(chroma.profile, chroma.tuning)
    tonic, minor, strength = _profile_key(profile / profile.sum())
    tonic = _by_scale_notes(profile, tonic, minor)
    if chroma.bass.sum() > 0:
        bass_profile = fold(chroma.bass, chroma.tuning)
        relative = (tonic + 3) % 12 if minor else (tonic + 9) % 12
        if bass_profile[relative] > _RELATIVE_BASS_RATIO * bass_profile[tonic]:
            tonic, minor = relative, not minor
    return Key(
        tonic=tonic,
        minor=minor,
        strength=round(strength, 3),
        tuning_cents=round(100 * chroma.tuning),
    )


def _scale(tonic: int, minor: bool) -> set[int]:
    return {(tonic + step) % 12 for step in (_MINOR_SCALE if minor else _MAJOR_SCALE)}


def _by_scale_notes(profile: np.ndarray, tonic: int, minor: bool) -> int:
    """The tonic, moved a fifth up or down when the notes played belong to that key's scale."""
    best, best_ratio = tonic, _SCALE_NOTE_RATIO
    for neighbour in ((tonic + 7) % 12, (tonic + 5) % 12):
        (ours,) = _scale(tonic, minor) - _scale(neighbour, minor)
        (theirs,) = _scale(neighbour, minor) - _scale(tonic, minor)
        ratio = profile[theirs] / max(profile[ours], 1e-9)
        if ratio > best_ratio:
            best, best_ratio = neighbour, ratio
    return best
