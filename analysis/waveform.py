"""3-band waveforms at three zoom levels, packed as compact binary.

Each point holds the peak RMS amplitude of the low (< 200 Hz), mid and high (> 3 kHz) bands over
its span of spectral frames, quantized to one byte per band against the track's loudest band
value. A 16,000-point zoom therefore takes 48 kB; all three zooms take about 63 kB.

Binary layout (little endian): ``b"BCWF"``, version (u8), bands (u8), reserved (u16), points
(u32), seconds per point (f32), amplitude of byte 255 (f32), then points x bands bytes,
point-major (low, mid, high, low, mid, high, ...).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

ZOOM_POINTS = (1000, 4000, 16000)
_HEADER = struct.Struct("<4sBBHIff")
_MAGIC = b"BCWF"
_VERSION = 1


@dataclass(frozen=True)
class Waveform:
    seconds_per_point: float
    scale: float  # amplitude (full scale = 1) that byte 255 stands for
    bands: np.ndarray  # (points, 3) uint8: low, mid, high

    @property
    def points(self) -> int:
        return self.bands.shape[0]

    def amplitudes(self) -> np.ndarray:
        """(points, 3) float amplitudes, full scale = 1."""
        return self.bands.astype(np.float32) * (self.scale / 255.0)


def zoom_levels(amplitude: np.ndarray, frame_rate: float) -> list[Waveform]:
    """Waveforms at each of ``ZOOM_POINTS`` from per-frame band amplitudes (3, n).

    A track shorter than a zoom's point count gets one point per frame instead.
    """
    frames = amplitude.shape[1]
    scale = float(amplitude.max(initial=0.0)) or 1.0
    levels = []
    for points in ZOOM_POINTS:
        count = max(1, min(points, frames))
        edges = np.linspace(0, frames, count + 1).astype(int)
        peaks = np.maximum.reduceat(amplitude, edges[:-1], axis=1).T if frames else np.zeros((1, 3))
        quantized = np.round(255 * np.clip(peaks / scale, 0, 1)).astype(np.uint8)
        levels.append(Waveform(frames / frame_rate / count, scale, quantized))
    return levels


def pack(waveform: Waveform) -> bytes:
    header = _HEADER.pack(
        _MAGIC,
        _VERSION,
        waveform.bands.shape[1],
        0,
        waveform.points,
        waveform.seconds_per_point,
        waveform.scale,
    )
    return header + np.ascontiguousarray(waveform.bands, dtype=np.uint8).tobytes()


def unpack(data: bytes) -> Waveform:
    magic, version, bands, _, points, seconds, scale = _HEADER.unpack_from(data)
    if magic != _MAGIC or version != _VERSION:
        raise ValueError("not a beetcrate waveform (or an unknown version)")
    body = np.frombuffer(data, dtype=np.uint8, offset=_HEADER.size, count=points * bands)
    return Waveform(seconds, scale, body.reshape(points, bands))
