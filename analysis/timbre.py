"""Timbre: what a track sounds like, as 20 numbers that compare across a library.

The description is the classic one of music similarity (Logan 2000, Pampalk 2006): mel-frequency
cepstral coefficients (MFCCs) summarised over the whole track by their means and standard
deviations. MFCCs are the cosine transform of the log mel spectrum: the low coefficients say
how the energy is spread over frequency (dark or bright, thin or full, noisy or tonal) and leave
out the pitch, which the key already says. Means give the track's overall colour, deviations how
much it moves (a steady pad against drums and vocals coming and going).

It costs almost nothing: it reuses the power spectra the spectral collector computes anyway
(1024 samples, 23 ms: the usual MFCC window) and keeps one frame in four (a 23 ms hop, the
usual MFCC hop, instead of 5.8 ms), so it adds one small matrix product per kept frame. Only
running sums are kept, so memory stays constant.

The same audio louder gives the same timbre:

- a gain adds the same constant to every log mel band, which the cosine transform puts in
  coefficient 0 only; the means leave coefficient 0 out (it is loudness, which ``lufs`` says),
  the deviations keep it (how much the loudness moves does not depend on the gain);
- the log floor of each frame sits 60 dB under that frame's loudest band, not at a fixed level,
  so it moves with the gain; it also hides codec and dither noise at the bottom of the spectrum;
- frames count when they are louder than a thousandth of the loudest so far (silence and fades
  left out), a threshold that moves with the gain too.

The mel bands stop at 16 kHz, where MP3 and many AAC encoders cut off: the same recording as
FLAC or MP3 gets the same timbre.
"""

from __future__ import annotations

import numpy as np
from scipy import fft

from analysis.spectral import FFT_SIZE

MEL_BANDS = 40
MEL_RANGE = (30.0, 16000.0)
COEFFICIENTS = 10  # means of coefficients 1-10, deviations of 0-9: 20 numbers
DECIMATION = 4  # one spectral frame in four: a 23 ms hop
FLOOR = 1e-6  # 60 dB under a frame's loudest band
_QUIET = 1e-3  # frames quieter than this share of the loudest so far are left out
DECIMALS = 2
# Slaney's mel scale: 3 mel per 200 Hz below the knee, then a 6.4x frequency every 27 mel.
_MEL_LINEAR_HZ = 200.0 / 3
_MEL_KNEE_HZ = 1000.0
_MEL_LOG_STEP = np.log(6.4) / 27.0


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    # Slaney's mel scale (the Auditory Toolbox's, librosa's default): linear to 1 kHz, then log.
    linear = hz / _MEL_LINEAR_HZ
    log = (
        _MEL_KNEE_HZ / _MEL_LINEAR_HZ
        + np.log(np.maximum(hz, _MEL_KNEE_HZ) / _MEL_KNEE_HZ) / _MEL_LOG_STEP
    )
    return np.where(hz >= _MEL_KNEE_HZ, log, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    knee = _MEL_KNEE_HZ / _MEL_LINEAR_HZ
    log = _MEL_KNEE_HZ * np.exp(_MEL_LOG_STEP * (np.maximum(mel, knee) - knee))
    return np.where(mel >= knee, log, mel * _MEL_LINEAR_HZ)


def mel_filterbank(
    sample_rate: int, fft_size: int, bands: int, low: float, high: float
) -> np.ndarray:
    """(bands, bins) triangular filters evenly spaced on the mel scale, each of unit area
    (Slaney's normalisation): the filterbank ``librosa.filters.mel`` builds, in numpy, so that the
    analysis runs no numba code (``analysis.key`` says why)."""
    freqs = np.linspace(0.0, sample_rate / 2, 1 + fft_size // 2)
    edges = _mel_to_hz(
        np.linspace(_hz_to_mel(np.array(low)), _hz_to_mel(np.array(high)), bands + 2)
    )
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]


class TimbreCollector:
    """Streams power spectra (from ``SpectralCollector.feed``) into running MFCC statistics."""

    def __init__(self, sample_rate: int) -> None:
        mel = mel_filterbank(sample_rate, FFT_SIZE, MEL_BANDS, *MEL_RANGE)
        self._mel = np.ascontiguousarray(mel.T, dtype=np.float32)  # (bins, bands)
        self._phase = 0  # index of the next frame to keep in the next block
        self._loudest = 0.0
        self._count = 0
        self._sum = np.zeros(COEFFICIENTS + 1)
        self._squares = np.zeros(COEFFICIENTS + 1)

    def feed(self, power: np.ndarray) -> None:
        """Take the (frames, bins) power spectra of one block."""
        kept = power[self._phase :: DECIMATION]
        self._phase = (self._phase - len(power)) % DECIMATION
        if not len(kept):
            return
        bands = kept @ self._mel
        loudest = bands.max(axis=1, keepdims=True)
        total = bands.sum(axis=1)
        self._loudest = max(self._loudest, float(total.max(initial=0.0)))
        audible = total > _QUIET * self._loudest
        if not audible.any():
            return
        level = 10 * np.log10(np.maximum(bands[audible], FLOOR * loudest[audible]))
        cepstrum = fft.dct(level.astype(np.float64), type=2, norm="ortho", axis=1)
        cepstrum = cepstrum[:, : COEFFICIENTS + 1]
        self._count += len(cepstrum)
        self._sum += cepstrum.sum(axis=0)
        self._squares += (cepstrum**2).sum(axis=0)

    def result(self) -> tuple[float, ...] | None:
        """Means of MFCC 1-10 then deviations of MFCC 0-9, rounded; None if nothing sounded."""
        if not self._count:
            return None
        mean = self._sum / self._count
        spread = np.sqrt(np.maximum(self._squares / self._count - mean**2, 0.0))
        values = np.concatenate([mean[1:], spread[:COEFFICIENTS]])
        return tuple(round(float(value), DECIMALS) for value in values)
