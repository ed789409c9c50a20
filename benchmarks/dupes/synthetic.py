"""A synthetic fingerprint index at library scale: random-walk fingerprints and noisy copies.

Real sub-fingerprints change a few bits from one frame to the next; the walk imitates that.
Copies get independent bit errors (like a lossy re-encoding) and a start offset (like
trimmed silence), so the index has to find them by content, not by position.
"""

from __future__ import annotations

import numpy as np

FRAMES = 900  # about the 120 s that Chromaprint fingerprints by default


def walks(rng: np.random.Generator, count: int, frames: int = FRAMES) -> np.ndarray:
    steps = np.left_shift(np.uint32(1), rng.integers(0, 32, (count, frames)).astype(np.uint32))
    steps[rng.random((count, frames)) < 0.4] = 0
    steps[:, 0] = rng.integers(0, 2**32, count, dtype=np.uint64).astype(np.uint32)
    return np.bitwise_xor.accumulate(steps, axis=1)


def noisy_copy(rng: np.random.Generator, values: np.ndarray, bit_error: float) -> np.ndarray:
    flips = rng.random((values.size, 32)) < bit_error
    mask = np.packbits(flips, axis=1, bitorder="little").view("<u4").ravel()
    return (values ^ mask)[rng.integers(0, 12) :]


def index(count: int, copies: float, seed: int = 0) -> tuple[list[np.ndarray], list[int]]:
    """``count`` fingerprints, a share ``copies`` of them noisy copies of others.

    Returns the fingerprints and, per fingerprint, the original it was made from.
    """
    rng = np.random.default_rng(seed)
    originals = int(count * (1 - copies))
    base = walks(rng, originals)
    fingerprints = list(base)
    source = list(range(originals))
    for original in rng.integers(0, originals, count - originals):
        fingerprints.append(noisy_copy(rng, base[original], bit_error=0.02))
        source.append(int(original))
    return fingerprints, source
