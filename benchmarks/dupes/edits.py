"""The ways a library comes to hold one recording several times, applied to any master audio.

Both corpora (the tuning one from ``corpus`` and the held-out one from ``heldout``) make their
copies through ``write_copy``, so the two differ in the music only, never in how a copy is made.
Each ``Edit`` is one kind of copy the report counts apart: an encoding (format, bit rate or
quality, sample rate, bit depth), silence padding, a trim, a gain change, a mono downmix, or a
lossy encoding made from another lossy one.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import scipy.signal

from beetcrate import media


@dataclass(frozen=True)
class Encoding:
    suffix: str  # picks the encoder, see ``beetcrate.media.ENCODINGS``
    rate: int = 44100
    bit_rate: int | None = None
    quality: float | None = None  # VBR on the encoder's scale (LAME V2 is 2, Vorbis q5 is 5)
    bit_depth: int | None = None


@dataclass(frozen=True)
class Edit:
    kind: str  # the report's name for this kind of copy
    encoding: Encoding
    pad: tuple[float, float] = (0.0, 0.0)  # seconds of silence added at the start and end
    trim: tuple[float, float] = (0.0, 0.0)  # seconds of the audio cut at the start and end
    gain_db: float = 0.0  # peaks over full scale are clipped, as a careless normaliser does
    mono: bool = False
    source: Encoding | None = None  # encoded with this first, decoded, then re-encoded


FLAC = Encoding("flac")

# The encodings the issue names, one copy each of every song.
ENCODINGS: dict[str, Encoding] = {
    "flac-24-48k": Encoding("flac", rate=48000, bit_depth=24),
    "mp3-320": Encoding("mp3", bit_rate=320_000),
    "mp3-v2": Encoding("mp3", quality=2),
    "mp3-128": Encoding("mp3", bit_rate=128_000),
    "opus-96": Encoding("opus", bit_rate=96_000),
    "vorbis-q5": Encoding("ogg", quality=5),
    "aac-256": Encoding("m4a", bit_rate=256_000),
    "mp3-22k": Encoding("mp3", rate=22050, bit_rate=160_000),
}


def encodings() -> list[Edit]:
    return [Edit(kind, encoding) for kind, encoding in ENCODINGS.items()]


def write_copy(master: np.ndarray, rate: int, edit: Edit, path: Path) -> None:
    """Write ``master`` (float, shape (channels, n) at ``rate``) edited by ``edit`` to ``path``."""
    samples = master
    start, end = (round(s * rate) for s in edit.trim)
    samples = samples[:, start : samples.shape[1] - end]
    if edit.gain_db:
        samples = np.clip(samples * 10 ** (edit.gain_db / 20), -1.0, 1.0)
    if edit.mono:
        samples = samples.mean(axis=0, keepdims=True)
    before, after = (np.zeros((samples.shape[0], round(s * rate)), np.float32) for s in edit.pad)
    samples = np.concatenate([before, samples, after], axis=1)
    if edit.source is not None:
        with tempfile.TemporaryDirectory() as folder:
            first = Path(folder) / f"first.{edit.source.suffix}"
            _encode(samples, rate, edit.source, first)
            samples, rate = media.decode(first)
    _encode(samples, rate, edit.encoding, path)


def _encode(samples: np.ndarray, rate: int, encoding: Encoding, path: Path) -> None:
    if encoding.rate != rate:
        ratio = Fraction(encoding.rate, rate)
        samples = scipy.signal.resample_poly(samples, ratio.numerator, ratio.denominator, axis=1)
    media.write_audio(
        path,
        np.asarray(samples, np.float32),
        encoding.rate,
        bit_rate=encoding.bit_rate,
        quality=encoding.quality,
        bit_depth=encoding.bit_depth,
    )
