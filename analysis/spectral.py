"""Short-time spectra of the mono signal, reduced as they stream to a few numbers per frame.

Every 256 samples (5.8 ms at 44.1 kHz) a 1024-sample spectrum yields, for three bands
(low < 200 Hz: kicks and bass; mid; high > 3 kHz: hats and air):

- ``flux``: the rise of log energy across 24 log-spaced sub-bands (spectral flux), which peaks
  on note and drum onsets and drives tempo, beats and downbeats;
- ``amplitude``: the band's RMS amplitude, which the waveforms and cue points show;
- ``snare``: the amplitude of each of the eight sub-bands between 1 and 8 kHz, where a snare's
  wires and a clap sound all at once and a hat, most of whose energy is higher, hardly does
  (half precision: only their rises are read).

Only these numbers per frame are kept, never the spectra (each block's spectra are handed on
to the timbre, which keeps running sums), so memory grows by 40 bytes per frame (about 25 MB
for a two-hour mix).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import fft

from analysis.signal import Framer, band_matrix

FFT_SIZE = 1024
HOP = 256
BAND_EDGES = (200.0, 3000.0)  # low | mid | high
_FLUX_EDGES = list(np.geomspace(30.0, 16000.0, 25))
# The flux sub-bands (by their centres) where snares and claps are told from hats: the best of
# five ranges on the tuning draws (docs/dj.md, "How the numbers were reached").
SNARE_RANGE = (1000.0, 8000.0)


@dataclass(frozen=True)
class Frames:
    rate: float  # frames per second
    offset: float  # time of frame 0 (its window's centre), seconds
    flux: np.ndarray  # (3, n): low, mid, high onset strength
    amplitude: np.ndarray  # (3, n): low, mid, high RMS amplitude, full scale = 1
    # (8, n) float16: amplitude of each flux sub-band in SNARE_RANGE; no rows when not measured
    snare: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float16))

    @property
    def count(self) -> int:
        return self.flux.shape[1]

    def resampled(self, at: np.ndarray) -> Frames:
        """The frames read at fractional frame positions ``at`` (linear interpolation): a
        track's frames on another clock."""
        index = np.arange(self.count)

        def rows(values: np.ndarray) -> np.ndarray:
            read = [np.interp(at, index, row.astype(np.float32)) for row in values]
            return np.array(read, dtype=values.dtype).reshape(values.shape[0], at.size)

        return Frames(
            self.rate, self.offset, rows(self.flux), rows(self.amplitude), rows(self.snare)
        )


class SpectralCollector:
    """Streams mono blocks into per-frame band flux and amplitude."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._framer = Framer(FFT_SIZE, HOP)
        self._window = np.hanning(FFT_SIZE).astype(np.float32)
        freqs = np.fft.rfftfreq(FFT_SIZE, 1 / sample_rate)
        low, high = BAND_EDGES
        self._amp_bands = band_matrix(freqs, [0.0, low, high, sample_rate / 2 + 1])
        # Parseval: mean square of the windowed frame from its one-sided power spectrum.
        self._amp_scale = 2.0 / (FFT_SIZE * float(np.sum(self._window**2)))
        self._flux_bands = band_matrix(freqs, _FLUX_EDGES)
        centres = np.sqrt(np.array(_FLUX_EDGES[:-1]) * np.array(_FLUX_EDGES[1:]))
        self._flux_groups = band_matrix(centres, [0.0, low, high, 1e9])
        in_range = (centres >= SNARE_RANGE[0]) & (centres < SNARE_RANGE[1])
        self._snare_bands = np.ascontiguousarray(self._flux_bands[:, in_range])
        self._previous: np.ndarray | None = None
        self._flux: list[np.ndarray] = []
        self._amplitude: list[np.ndarray] = []
        self._snare: list[np.ndarray] = []

    def feed(self, mono: np.ndarray) -> np.ndarray:
        """Take one block; return its frames' power spectra (frames, bins) for the timbre."""
        frames = self._framer.push(mono)
        if not len(frames):
            return np.zeros((0, FFT_SIZE // 2 + 1), dtype=np.float32)
        # scipy's FFT keeps float32 (numpy's computes in float64): several times faster.
        spectrum = fft.rfft(frames * self._window, axis=1)
        power = spectrum.real**2 + spectrum.imag**2
        self._amplitude.append(np.sqrt(power @ self._amp_bands * self._amp_scale).T)
        self._snare.append(np.sqrt(power @ self._snare_bands).T.astype(np.float16))
        # Log compression makes the flux respond to relative, not absolute, changes.
        level = np.log1p(1e3 * (power @ self._flux_bands))
        previous = level[:1] if self._previous is None else self._previous[None]
        rise = np.maximum(np.diff(level, axis=0, prepend=previous), 0.0)
        self._previous = level[-1]
        self._flux.append((rise @ self._flux_groups).T)
        return power

    def result(self) -> Frames:
        return Frames(
            rate=self.sample_rate / HOP,
            offset=FFT_SIZE / 2 / self.sample_rate,
            flux=_joined(self._flux, 3, np.float32),
            amplitude=_joined(self._amplitude, 3, np.float32),
            snare=_joined(self._snare, self._snare_bands.shape[1], np.float16),
        )


def _joined(blocks: list[np.ndarray], rows: int, dtype: type[np.floating]) -> np.ndarray:
    if not blocks:
        return np.zeros((rows, 0), dtype=dtype)
    return np.concatenate(blocks, axis=1).astype(dtype, copy=False)
