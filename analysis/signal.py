"""Shared DSP for streaming analysis: cutting a block stream into overlapping frames.

The engine decodes a track in blocks of bounded size; every feature that needs frames (spectra,
chroma) pulls them through a ``Framer`` so frames straddling two blocks are not lost.
"""

from __future__ import annotations

import itertools
from types import ModuleType

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class Framer:
    """Turn consecutive 1-D blocks into frames of ``size`` samples every ``hop`` samples."""

    def __init__(self, size: int, hop: int) -> None:
        self.size = size
        self.hop = hop
        self._rest = np.zeros(0, dtype=np.float32)

    def push(self, block: np.ndarray) -> np.ndarray:
        """Return the frames (shape (n, size)) completed by ``block``; keep what is left over."""
        buffer = np.concatenate([self._rest, block]) if self._rest.size else block
        count = 0 if buffer.size < self.size else 1 + (buffer.size - self.size) // self.hop
        if count == 0:
            self._rest = buffer
            return np.zeros((0, self.size), dtype=np.float32)
        frames = sliding_window_view(buffer, self.size)[:: self.hop][:count]
        self._rest = buffer[count * self.hop :]
        return frames


def band_matrix(freqs: np.ndarray, edges: list[float]) -> np.ndarray:
    """A (bins, bands) 0/1 matrix summing spectrum bins into the bands between ``edges``."""
    bands = np.zeros((freqs.size, len(edges) - 1), dtype=np.float32)
    for band, (low, high) in enumerate(itertools.pairwise(edges)):
        bands[(freqs >= low) & (freqs < high), band] = 1.0
    return bands


def essentia_standard() -> ModuleType:
    """essentia's standard-mode algorithms, imported on first use (it takes a second)."""
    import essentia

    # Its import logs an unrelated line about SVM models at INFO level.
    essentia.log.infoActive = False
    import essentia.standard

    return essentia.standard
