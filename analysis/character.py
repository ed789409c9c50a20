"""Energy and danceability: how loud and busy a track is, and how steady its pulse.

- ``energy`` is the RMS amplitude (full scale = 1) over the audible part of the track, from the
  spectral frames' band amplitudes: a plain, reproducible measure of intensity.
- ``danceability`` is essentia's ``Danceability`` (detrended fluctuation analysis of the
  signal's energy, Streich & Herrera 2005; about 0 to 3, higher is more danceable), computed on
  30-second segments as they stream and averaged, so memory stays bounded.
"""

from __future__ import annotations

import numpy as np

from analysis.signal import essentia_standard

SEGMENT_SECONDS = 30.0
_MIN_SEGMENT_SECONDS = 5.0


class DanceabilityCollector:
    def __init__(self, sample_rate: int) -> None:
        self._algorithm = essentia_standard().Danceability(sampleRate=sample_rate)
        self._segment = int(SEGMENT_SECONDS * sample_rate)
        self._minimum = int(_MIN_SEGMENT_SECONDS * sample_rate)
        self._pending: list[np.ndarray] = []
        self._pending_size = 0
        self._values: list[tuple[float, int]] = []

    def feed(self, mono: np.ndarray) -> None:
        self._pending.append(mono)
        self._pending_size += mono.size
        if self._pending_size >= self._segment:
            self._flush()

    def _flush(self) -> None:
        samples = np.concatenate(self._pending).astype(np.float32)
        self._pending, self._pending_size = [], 0
        if samples.size >= self._minimum and np.any(samples):
            value, _ = self._algorithm(samples)
            self._values.append((float(value), samples.size))

    def result(self) -> float:
        if self._pending_size:
            self._flush()
        if not self._values:
            return 0.0
        values, weights = zip(*self._values, strict=True)
        return round(float(np.average(values, weights=weights)), 3)


def energy(amplitude: np.ndarray) -> float:
    """RMS amplitude over the audible frames of (3, n) band amplitudes."""
    total = np.sqrt((amplitude.astype(np.float64) ** 2).sum(axis=0))
    if total.size == 0 or total.max() <= 0:
        return 0.0
    audible = total[total > 0.01 * total.max()]
    return round(float(np.sqrt(np.mean(audible**2))), 4)
