"""Musical key: essentia's key-extraction chain, streamed, and the tuning.

The key is read as essentia's ``KeyExtractor`` reads it, fed block by block so memory stays
bounded: 4096-sample Hann frames, the 60 strongest spectral peaks between 25 and 3500 Hz,
whitened (``SpectralWhitening``), a 12-bin harmonic pitch-class profile (``HPCP``, four
harmonics per peak) summed over the track, bins under a fifth of the loudest dropped, and
``Key`` with Ibrahim Sha'ath's profile (``shaath``; he wrote the KeyFinder key detector), one
tonic triad per key (no polyphony or three-chord models). The key moves a fourth up when the
one note that key holds and the profile's lacks sounds clearly more (a tune leaning on its
dominant correlates best with the dominant). A key and its relative (A minor,
C major) share their notes; between the two, the tonic is the one whose root and fifth sound
more where the phrases start and end, in the chords and in the bass (``estimate_key`` with the
bar grid), and the mode is the one the tonic's third says (minor when its minor third sounds
more than its major third). The profile and the relative check were chosen on the tuning draws,
whose harmony is drawn per track (``beetcrate.synth.harmony``), among the candidates listed in
docs/dj.md ("How the numbers were reached").

The tuning is measured as librosa's ``piptrack`` and ``pitch_tuning`` measure it, in numpy
(``spectral_peaks``, ``pitch_tuning``: sub-bin peak frequencies, their commonest deviation from
the equal-tempered grid), stored as ``tuning_cents``; the HPCP's one-semitone cosine window
tolerates the usual detuning (up to about 45 cents on the tuning set). The analysis runs no
numba code: librosa's kernels keep an on-disk cache that two analysis processes, writing it at
once on a fresh install, once left corrupt, and every later analysis crashed loading it.

A 12-note chroma per frame at A = 440 Hz is kept too, for the downbeats (where the harmony
changes, tuning does not matter).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import fft

from analysis.signal import Framer, essentia_standard

FFT_SIZE = 16384
HOP = 8192
# Pitch classes counted from C (beets' and Camelot's convention); essentia counts from A.
NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_ESSENTIA_NAMES = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#"}
_TUNING_PEAKS_PER_BLOCK = 256  # strongest peaks kept per block for the tuning: bounded memory
# piptrack is given the spectrum up to a quarter of the Nyquist frequency (5.5 kHz, above the
# 5 kHz it searches), with the sample rate and FFT size that keep the same bin spacing: the
# same peaks for a quarter of the work.
_TUNING_SHRINK = 4
# essentia's KeyExtractor settings (its defaults), and the profile chosen on the tuning draws.
KEY_FRAME = 4096
KEY_LOW_HZ, KEY_HIGH_HZ = 25.0, 3500.0
KEY_PEAKS = 60
KEY_PROFILE = "shaath"
_PCP_THRESHOLD = 0.2  # profile bins under this share of the loudest are dropped
# Dance music is built from 8-bar phrases (as analysis.cues counts them); 4-bar ones pair up.
PHRASE_BARS = 8
# The bass: the pitch classes of the spectral peaks from a low B to a high B (MIDI 23-59).
BASS_LOW_HZ, BASS_HIGH_HZ = 30.0, 250.0
# How much the bass's lean towards a tonic at phrase boundaries counts against the phrase
# boundaries' chords (both as shares of their totals), and its fifth within it; chosen on tuning
# draws 7 and 23 (generator versions 4 and 5), docs/dj.md, seventh round.
BASS_WEIGHT = 0.5
BASS_FIFTH = 0.5
# How much more (a share of the profile's loudest pitch class) the one note only the key a
# fourth up holds must sound than the one note only the profile's key holds, for the key to
# move a fourth up; chosen on tuning draws 7 and 23 and their live takes, docs/dj.md, sixteenth
# round.
FOURTH_UP_MARGIN = 0.1


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


def spectral_peaks(
    magnitude: np.ndarray, bin_hz: float, low: float = 80.0, high: float = 5000.0
) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies and magnitudes of the spectral peaks between ``low`` and ``high`` Hz that
    reach a tenth of their frame's loudest bin, placed between bins by a parabola through the
    peak and its neighbours: what librosa's ``piptrack`` finds (the module's description says why
    not ``piptrack`` itself)."""
    x = magnitude.astype(np.float64)
    centre, below, above = x[:, 1:-1], x[:, :-2], x[:, 2:]
    curve = above + below - 2 * centre
    slope = (above - below) / 2
    # A vertex more than a bin away is no peak of this parabola: no shift (as piptrack).
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(np.abs(slope) < np.abs(curve), -slope / curve, 0.0)
    index = np.arange(1, x.shape[1] - 1)
    inside = (index * bin_hz >= low) & (index * bin_hz < high)
    loud = centre > 0.1 * x.max(axis=1, keepdims=True)
    peak = loud & (centre > below) & (centre >= above) & inside
    frames, bins = np.nonzero(peak)
    frequencies = (bins + 1 + shift[frames, bins]) * bin_hz
    strengths = centre[frames, bins] + 0.5 * slope[frames, bins] * shift[frames, bins]
    return frequencies, strengths


def pitch_tuning(frequencies: np.ndarray, resolution: float = 0.01) -> float:
    """Semitones (-0.5..0.5) from the equal-tempered grid at A = 440 Hz where most of the
    frequencies fall: the commonest deviation, in steps of ``resolution`` (librosa's
    ``pitch_tuning``)."""
    frequencies = frequencies[frequencies > 0]
    if not frequencies.size:
        return 0.0
    deviation = np.mod(12 * np.log2(frequencies / 440.0), 1.0)
    deviation[deviation >= 0.5] -= 1.0
    counts, edges = np.histogram(
        deviation, np.linspace(-0.5, 0.5, int(np.ceil(1 / resolution)) + 1)
    )
    return float(edges[np.argmax(counts)])


@dataclass(frozen=True)
class Chroma:
    frames: np.ndarray  # (n, 12) per-frame chroma at A = 440 Hz, C = 0
    rate: float  # frames per second
    key_frames: np.ndarray  # (m, 12) the key chain's HPCP of each KEY_FRAME, C = 0
    key_rate: float  # key frames per second
    tuning: float  # semitones from A = 440 Hz, -0.5..0.5
    bass: np.ndarray  # (n, 12) the bass's chroma, frame by frame with ``frames``, C = 0

    @property
    def profile(self) -> np.ndarray:
        """(12,) the HPCP summed over the track, C = 0."""
        return self.key_frames.sum(axis=0, dtype=np.float64)


class ChromaCollector:
    """Streams mono blocks into per-frame chroma, the key's pitch-class profile and tuning
    evidence."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.rate = sample_rate / HOP
        self._framer = Framer(FFT_SIZE, HOP)
        self._window = np.hanning(FFT_SIZE).astype(np.float32)
        freqs = np.fft.rfftfreq(FFT_SIZE, 1 / sample_rate)
        freqs[0] = 1.0
        self._chroma_weights = _pitch_weights(freqs, 80.0, 5000.0)
        self._chroma: list[np.ndarray] = []
        self._bass_bins = int(np.searchsorted(freqs, BASS_HIGH_HZ, side="right"))
        self._bass_weights = _pitch_weights(freqs[: self._bass_bins], BASS_LOW_HZ, BASS_HIGH_HZ)
        self._bass: list[np.ndarray] = []
        self._pitches: list[np.ndarray] = []
        self._key_frames = Framer(KEY_FRAME, KEY_FRAME)
        es = essentia_standard()
        self._key_window = es.Windowing(type="hann", size=KEY_FRAME)
        self._key_spectrum = es.Spectrum(size=KEY_FRAME)
        self._key_peaks = es.SpectralPeaks(
            orderBy="magnitude",
            magnitudeThreshold=1e-4,
            minFrequency=KEY_LOW_HZ,
            maxFrequency=KEY_HIGH_HZ,
            maxPeaks=KEY_PEAKS,
            sampleRate=sample_rate,
        )
        self._whitening = es.SpectralWhitening(maxFrequency=KEY_HIGH_HZ, sampleRate=sample_rate)
        self._hpcp = es.HPCP(
            size=12,
            referenceFrequency=440.0,
            harmonics=4,
            weightType="cosine",
            windowSize=1.0,
            minFrequency=KEY_LOW_HZ,
            maxFrequency=KEY_HIGH_HZ,
            sampleRate=sample_rate,
            normalized="none",
            bandPreset=False,
            nonLinear=False,
            maxShifted=False,
        )
        self._hpcp_frames: list[np.ndarray] = []  # essentia's order: A = 0

    def feed(self, mono: np.ndarray) -> None:
        self._feed_key(mono)
        frames = self._framer.push(mono)
        if not len(frames):
            return
        magnitude = np.abs(fft.rfft(frames * self._window, axis=1))
        middle = magnitude[:, 1:-1]
        is_peak = (middle > magnitude[:, :-2]) & (middle >= magnitude[:, 2:])
        peaks = np.zeros_like(magnitude)
        peaks[:, 1:-1] = np.where(is_peak, middle, 0.0)
        self._chroma.append(peaks @ self._chroma_weights)
        self._bass.append(peaks[:, : self._bass_bins] @ self._bass_weights)
        self._collect_pitches(magnitude)

    def _feed_key(self, mono: np.ndarray) -> None:
        for frame in self._key_frames.push(mono):
            spectrum = self._key_spectrum(
                self._key_window(np.ascontiguousarray(frame, dtype=np.float32))
            )
            freqs, magnitudes = self._key_peaks(spectrum)
            if freqs.size:
                whitened = self._whitening(spectrum, freqs, magnitudes)
                self._hpcp_frames.append(self._hpcp(freqs, whitened))
            else:
                self._hpcp_frames.append(np.zeros(12, dtype=np.float32))

    def _collect_pitches(self, magnitude: np.ndarray) -> None:
        bins = FFT_SIZE // (2 * _TUNING_SHRINK) + 1
        pitches, strengths = spectral_peaks(magnitude[:, :bins], self.sample_rate / FFT_SIZE)
        if not pitches.size:
            return
        # librosa.estimate_tuning's rule: peaks at least as strong as the median peak.
        strong = strengths >= np.median(strengths)
        order = np.argsort(strengths[strong])[::-1][:_TUNING_PEAKS_PER_BLOCK]
        self._pitches.append(pitches[strong][order])

    def result(self) -> Chroma:
        frames = np.concatenate(self._chroma) if self._chroma else np.zeros((0, 12))
        bass = np.concatenate(self._bass) if self._bass else np.zeros((0, 12))
        pitches = np.concatenate(self._pitches) if self._pitches else np.zeros(0)
        tuning = pitch_tuning(pitches)
        hpcp = np.array(self._hpcp_frames, dtype=np.float32).reshape(-1, 12)
        # essentia's profile starts at A; ours at C.
        key_frames = np.roll(hpcp, 9, axis=1)
        return Chroma(frames, self.rate, key_frames, self.sample_rate / KEY_FRAME, tuning, bass)


def _profile_key(profile: np.ndarray) -> tuple[int, bool, float]:
    es = essentia_standard()
    pcp = np.roll(profile, -9) / profile.max()  # essentia's order, A = 0
    pcp[pcp < _PCP_THRESHOLD] = 0.0
    name, scale, strength, _ = es.Key(
        pcpSize=12,
        profileType=KEY_PROFILE,
        numHarmonics=4,
        slope=0.6,
        usePolyphony=False,
        useThreeChords=False,
    )(pcp.astype(np.float32))
    tonic = NAMES.index(_ESSENTIA_NAMES.get(name, name))
    return tonic, scale == "minor", float(strength)


def _relative(tonic: int, minor: bool) -> tuple[int, bool]:
    """The key with the same notes in the other mode: A minor <-> C major."""
    return ((tonic + 3) % 12, False) if minor else ((tonic - 3) % 12, True)


def _fourth_up(profile: np.ndarray, tonic: int, minor: bool) -> int:
    """The profile's tonic, or the tonic a fourth up when the track's notes are that key's.

    A key and its dominant share six of their seven notes, and a tune that leans on its V
    chord (ii-V-I, a vamp between i and v) has a profile that correlates best with the
    dominant: D major read as A major. Each of the two keys holds one note the other lacks: a
    major key its leading tone, the key a fourth up its flat seventh (A major's G#, D major's
    G); a minor key its second, the key a fourth up its minor sixth (F# minor's G#, B minor's
    G). The key moves a fourth up when that note sounds clearly more. Never a fourth down: a
    dorian tune's raised sixth is its dominant's note too (A dorian has E minor's notes), and
    would move a right reading off.
    """
    loudest = profile.max()
    own, other = (
        ((tonic + 2) % 12, (tonic + 1) % 12) if minor else ((tonic + 11) % 12, (tonic + 10) % 12)
    )
    if profile[other] - profile[own] > FOURTH_UP_MARGIN * loudest:
        return (tonic + 5) % 12
    return tonic


def _phrase_boundaries(frames: np.ndarray, times: np.ndarray, downbeats: np.ndarray) -> np.ndarray:
    """(12,) the profile ``frames`` (centred at ``times``) summed over the first half of every
    phrase's first bar and the last half of its last bar: the chord a phrase starts from and the
    one it comes home to (a bar may hold two chords)."""
    bar = np.searchsorted(downbeats, times, side="right") - 1
    length = np.diff(downbeats, append=2 * downbeats[-1] - downbeats[-2])
    inside = (bar >= 0) & (times < downbeats[-1] + length[-1])
    bar, times, frames = bar[inside], times[inside], frames[inside]
    second_half = times >= downbeats[bar] + length[bar] / 2
    position = bar % PHRASE_BARS
    starts = (position == 0) & ~second_half
    ends = (position == PHRASE_BARS - 1) & second_half
    return frames[starts | ends].sum(axis=0, dtype=np.float64)


def _shares(profile: np.ndarray) -> np.ndarray:
    total = profile.sum()
    return profile / total if total > 0 else profile


def _root_and_fifth(profile: np.ndarray, tonic: int, fifth: float = 1.0) -> float:
    # Not the third: a minor key's third is its relative major's root (A minor's C).
    return float(profile[tonic] + fifth * profile[(tonic + 7) % 12])


def _tonic_evidence(chroma: Chroma, downbeats: np.ndarray) -> Callable[[int], float]:
    """How much a tonic sounds where phrases start and end: the root and fifth of the chords
    there, plus how much more the bass plays the root (and its fifth) there than over the whole
    track. The bass tells a minor seventh chord (A C E G) from its relative major's sixth (C E G
    A), whose notes are the same; and a kick or snare drum's fixed pitch, which a bass chroma
    also picks up, is there all along, so only the excess counts."""
    key_times = (np.arange(len(chroma.key_frames)) + 0.5) / chroma.key_rate
    chords = _shares(_phrase_boundaries(chroma.key_frames, key_times, downbeats))
    # A spectrum frame is centred one hop after its start.
    times = (np.arange(len(chroma.bass)) + 1.0) / chroma.rate
    bass = _shares(_phrase_boundaries(chroma.bass, times, downbeats)) - _shares(
        chroma.bass.sum(axis=0, dtype=np.float64)
    )
    return lambda tonic: (
        _root_and_fifth(chords, tonic) + BASS_WEIGHT * _root_and_fifth(bass, tonic, BASS_FIFTH)
    )


def _minor_third(profile: np.ndarray, tonic: int) -> bool:
    """Whether the tonic's minor third sounds more than its major third: what makes a key
    minor. A profile correlation can miss it when the rest of the scale leans the other way
    (a harmonic-minor tune's raised seventh and major dominant are the major key's too)."""
    return bool(profile[(tonic + 3) % 12] > profile[(tonic + 4) % 12])


def estimate_key(chroma: Chroma, downbeats: np.ndarray | None = None) -> Key | None:
    """The key of a track from its chroma; None when there is no pitched content.

    A tune leaning on its dominant correlates best with the dominant's profile; the one note
    of its own key the dominant lacks moves it back (``_fourth_up``). A key and its relative (A
    minor, C major) share their notes, so the profile over the whole track barely tells them
    apart: a minor progression that leans on its relative major (i-VI-III-VII) has the major
    key's profile. With the bar grid (``downbeats``), the tonic is the one of the two whose root
    and fifth sound more where phrases start and end, in the chords and in the bass
    (``_tonic_evidence``). The mode is then the tonic's third: minor when its minor third sounds
    more than its major third.
    """
    profile = chroma.profile  # summed over every frame: once
    if profile.max(initial=0.0) <= 0:
        return None
    tonic, minor, strength = _profile_key(profile)
    tonic = _fourth_up(profile, tonic, minor)
    if downbeats is not None and len(downbeats) >= PHRASE_BARS:
        relative, _ = _relative(tonic, minor)
        tonic = max((tonic, relative), key=_tonic_evidence(chroma, downbeats))
    return Key(
        tonic=tonic,
        minor=_minor_third(profile, tonic),
        strength=round(strength, 3),
        tuning_cents=round(100 * chroma.tuning),
    )
