"""The timing of the hits: a copy of one recording, or the same notes played again.

Fingerprint frames (0.124 s) are too coarse to tell a copy from another performance at the same
tempo: a live take whose notes each land 10-25 ms early or late, with a tempo that wanders a
little, matches its studio version as well as a lossy copy does. Its hits do not line up,
though: a copy keeps the exact time of every hit (encodings blur a hit by a millisecond or two,
gain, resampling and a mono downmix keep it, padding and trims shift them all alike), another
performance moves each one. So a pair that passed every fingerprint rule is checked once more,
on onset envelopes (spectral flux every 5 ms) of the first ``EXCERPT_SECONDS`` of each file's
audible audio: aligned at the lag the fingerprints found, refined to a fraction of a step, each
clear hit of one is looked up in the other, and the median distance between partners is the
*hit gap* (the median, because a lossy encoder's smear or a masked hit sends a few hits' partners
far away while a new performance moves most of them). It runs only on the few pairs the
fingerprints already call the same recording, and decodes each file once per grouping run.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from beetcrate import media
from beetcrate.fingerprints import RATE, SILENCE
from beetsplug.dupes.fingerprint import FRAME_SECONDS, Verdict, peak_shift
from beetsplug.dupes.model import Relation

EXCERPT_SECONDS = 30.0  # of audible audio, from each file's first audible sample
HOP = 55  # samples at RATE between envelope values: 5 ms
WINDOW = 256  # samples (23 ms) each spectrum of the flux is taken over
LAG_SEARCH_FRAMES = 1.5  # the fingerprints' lag is refined within this many of their frames
HIT_SPACING = 0.05  # seconds: a hit is the largest flux value within this much either side
# ...and at least this share of the loudest hits' (98th percentile) flux: weaker peaks include
# a lossy encoder's own (pre-echo before a hit), which the original does not have.
HIT_LEVEL = 0.6
PARTNER_SEARCH = 0.05  # seconds either side where a hit's partner in the other file is sought
MIN_HITS = 8  # fewer clear hits (a drone, a pad) cannot tell a copy from a take
# Median distance between partnered hits, at most. On the tuning corpus, copies of a song (lossy
# encodings, lossy-to-lossy chains, resamples, trims, padding, gain, mono) are at most 1.86 ms
# apart, its live takes 19 ms or more, and the same notes played again at the very same tempo,
# each note off by 8 ms (standard deviation), 4.3 ms or more (4 ms: 1.6 to 2.4 ms, not told).
MAX_HIT_GAP_MS = 3.0
CACHED_ENVELOPES = 512  # envelopes a grouping run keeps at once, 24 KB each


@dataclass(frozen=True)
class HitGap:
    """How far apart two files' hits are, or why it could not be measured."""

    milliseconds: float | None  # median distance between partnered hits; None when not measured
    hits: int  # hits partnered, over both directions
    unmeasured: str = ""  # why not measured, in words for ``show --near``


def confirm(verdict: Verdict, gap: HitGap) -> Verdict:
    """The fingerprints' verdict with the hits' timing: the same recording stays so when its hits
    line up, or when they could not be timed (the fingerprints' verdict is kept and the rule says
    so: a file moved or unreadable since its scan must not split a group of real copies)."""
    if verdict.relation is not Relation.SAME:
        return verdict
    if gap.milliseconds is None:
        return replace(verdict, rule=f"{verdict.rule} (the hits were not timed: {gap.unmeasured})")
    if gap.milliseconds > MAX_HIT_GAP_MS:
        return Verdict(
            None,
            verdict.match,
            f"the hits are {gap.milliseconds:.1f} ms apart (median; limit"
            f" {MAX_HIT_GAP_MS:.1f} ms): another performance",
        )
    return replace(
        verdict, rule=f"{verdict.rule}, the hits {gap.milliseconds:.1f} ms apart (median)"
    )


def envelope(samples: np.ndarray) -> np.ndarray:
    """Spectral flux of mono ``samples`` at ``RATE``, one value per ``HOP``: how much louder each
    frequency got, summed. Loudness is normalised first, so a gain change keeps it."""
    if samples.size < WINDOW + HOP:
        return np.zeros(0)
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    frames = np.lib.stride_tricks.sliding_window_view(samples / (rms or 1.0), WINDOW)[::HOP]
    magnitude = np.log1p(10 * np.abs(np.fft.rfft(frames * np.hanning(WINDOW), axis=1)))
    return np.maximum(np.diff(magnitude, axis=0), 0).sum(axis=1)


def hit_gap(a: np.ndarray, b: np.ndarray, offset: int) -> HitGap:
    """The median distance in ms between the hits of envelopes ``a`` and ``b``, where the
    fingerprints found a's frame i at b's frame i + ``offset``. Symmetric: each file's hits are
    looked up in the other."""
    lag = _lag(a, b, offset * FRAME_SECONDS * RATE / HOP)
    if lag is None:
        return HitGap(None, 0, "the excerpts do not overlap")
    forward, backward = _partner_gaps(a, b, lag), _partner_gaps(b, a, -lag)
    hits = forward.size + backward.size
    if min(forward.size, backward.size) < MIN_HITS:
        return HitGap(None, hits, f"too few clear hits to time ({hits}; needs {2 * MIN_HITS})")
    median = float(np.median(np.concatenate([forward, backward])))
    return HitGap(median * HOP / RATE * 1000, hits)


def _lag(a: np.ndarray, b: np.ndarray, centre: float) -> float | None:
    """b's position of a's step 0, in steps: the normalised cross-correlation's peak within
    ``LAG_SEARCH_FRAMES`` of ``centre``, to a fraction of a step."""
    reach = int(np.ceil(LAG_SEARCH_FRAMES * FRAME_SECONDS * RATE / HOP))
    lags = np.arange(round(centre) - reach, round(centre) + reach + 1)
    # a's steps whose partner lies inside b at every lag searched.
    start, stop = max(0, -int(lags[0])), min(a.size, b.size - int(lags[-1]))
    if stop - start < 2 * MIN_HITS:
        return None
    x = a[start:stop] - a[start:stop].mean()
    shifted = np.lib.stride_tricks.sliding_window_view(
        b[start + lags[0] : stop + lags[-1]], stop - start
    )
    y = shifted - shifted.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(y, axis=1) * np.linalg.norm(x)
    correlation = np.divide(y @ x, norms, out=np.zeros(lags.size), where=norms > 0)
    return float(lags[0]) + _vertex(correlation, int(correlation.argmax()))


def _vertex(values: np.ndarray, peak: int) -> float:
    """``peak`` refined to the vertex of the parabola through it and its neighbours."""
    if 0 < peak < values.size - 1:
        return peak + float(peak_shift(values[peak - 1], values[peak], values[peak + 1]))
    return float(peak)


def _partner_gaps(a: np.ndarray, b: np.ndarray, lag: float) -> np.ndarray:
    """For each clear hit of ``a``, how far (in steps) ``b``'s largest flux near it lies from
    where the lag puts it."""
    spacing = round(HIT_SPACING * RATE / HOP)
    search = round(PARTNER_SEARCH * RATE / HOP)
    if a.size <= 2 * spacing or b.size <= 2 * search + 2:
        return np.zeros(0)
    local_max = np.lib.stride_tricks.sliding_window_view(a, 2 * spacing + 1).max(axis=1)
    steps = np.arange(spacing, a.size - spacing)
    level = HIT_LEVEL * float(np.quantile(a, 0.98))
    hits = steps[(a[steps] == local_max) & (a[steps] >= level) & (a[steps] > 0)]
    expected = hits + lag
    first = np.round(expected).astype(int) - search
    inside = (first >= 1) & (first + 2 * search + 1 < b.size - 1)
    expected, first = expected[inside], first[inside]
    if not first.size:
        return np.zeros(0)
    neighbourhoods = np.lib.stride_tricks.sliding_window_view(b, 2 * search + 1)[first]
    peak = neighbourhoods.argmax(axis=1)
    position = first + peak
    shift = peak_shift(b[position - 1], b[position], b[position + 1])
    return np.abs(position + shift - expected)


def read_envelope(path: str) -> np.ndarray:
    """The onset envelope of ``path``'s first ``EXCERPT_SECONDS`` of audible audio (silence cut
    as the fingerprint cuts it, so the fingerprints' offsets hold). Raises ``media.MediaError``
    for a file that cannot be decoded."""
    wanted = int(EXCERPT_SECONDS * RATE)
    kept: list[np.ndarray] = []
    held = 0
    with contextlib.closing(media.iter_decode(path, sample_rate=RATE, mono=True)) as blocks:
        for block in blocks:
            samples = block[0]
            if not kept:
                loud = np.flatnonzero(np.abs(samples) > SILENCE)
                if not loud.size:
                    continue
                samples = samples[loud[0] :]
            kept.append(samples)
            held += samples.size
            if held >= wanted:
                break
    if not kept:
        raise media.MediaError(f"no audible audio in {path}")
    return envelope(np.concatenate(kept)[:wanted]).astype(np.float32)


class HitTimer:
    """Hit gaps between audio hashes, each file decoded once (``files`` names a file holding
    each audio hash; a hash without one, or whose file cannot be read, is not measured)."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = files
        # An envelope (or why there is none) per audio hash, the latest used kept: a copy's
        # pairs come together, and a whole library's envelopes would not fit in memory.
        self._envelopes: OrderedDict[str, np.ndarray | str] = OrderedDict()

    def gap(self, hash_a: str, hash_b: str, offset: int) -> HitGap:
        a, b = self._envelope(hash_a), self._envelope(hash_b)
        if isinstance(a, str):
            return HitGap(None, 0, a)
        if isinstance(b, str):
            return HitGap(None, 0, b)
        return hit_gap(a, b, offset)

    def _envelope(self, audio_hash: str) -> np.ndarray | str:
        if audio_hash in self._envelopes:
            self._envelopes.move_to_end(audio_hash)
            return self._envelopes[audio_hash]
        path = self.files.get(audio_hash)
        found: np.ndarray | str = "no file holds the audio"
        if path is not None:
            try:
                found = read_envelope(path)
            except media.MediaError as exc:
                found = str(exc)
        self._envelopes[audio_hash] = found
        if len(self._envelopes) > CACHED_ENVELOPES:
            self._envelopes.popitem(last=False)
        return found
