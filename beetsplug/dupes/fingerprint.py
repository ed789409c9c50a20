"""An alignment-tolerant comparison of Chromaprint fingerprints, and the grouping's rules.

The fingerprints themselves come from ``beetcrate.fingerprints`` (shared with the identify
stage). Silence is cut before fingerprinting, so a copy with silence added or trimmed lines up
with the original at offset zero; what remains (a start that is off by a fraction of a frame) is
absorbed by ``compare``, which searches the offsets where equal sub-fingerprints vote.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np

from beetsplug.dupes.model import Relation

# Chromaprint codes each of its 16 classifiers' outputs in two bits, a Gray code of four levels:
# the upper bit of each pair flips only where the output crosses the middle level, the lower one
# at either outer level. Lossy encodings flip the upper bits far less (on the tuning corpus's
# worst encoder, FFmpeg's Vorbis at q5, no frame survives whole but most upper halves do), so
# offsets are also voted on them alone.
STABLE_BITS = np.uint32(0xAAAAAAAA)
VOTE_RUN = 16  # a value found more often than this in the other fingerprint casts no votes

# Per-frame bit errors above this (out of 32) mean the frames do not match; unrelated audio
# sits around 16, re-encodings of the same recording well under 8.
FRAME_MISMATCH_BITS = 10


@dataclass(frozen=True)
class Match:
    similarity: float  # 1 - bit error rate over the matching frames
    offset: int  # a's frame i lines up with b's frame i + offset
    coverage_a: float  # share of a's frames that match b
    coverage_b: float
    # How far, in frames, the alignment wanders along the match: a fraction of a frame for a
    # copy, more for another performance whose timing drifts against it (a live take).
    drift: float = 0.0


def compare(a: np.ndarray, b: np.ndarray, candidates: int = 3) -> Match:
    """Best alignment of two fingerprints: offsets voted by equal sub-fingerprints (failing that,
    by equal stable halves of them), then checked frame by frame; a frame matches when it
    differs from its partner in few bits. The drift is measured only where it can decide."""
    none = Match(similarity=0.0, offset=0, coverage_a=0.0, coverage_b=0.0)
    if not a.size or not b.size:
        return none
    best = _best_of(a, b, _voted_offsets(a, b, candidates), none)
    if min(best.coverage_a, best.coverage_b) < MATCH_COVERAGE:
        stable = _voted_offsets(a & STABLE_BITS, b & STABLE_BITS, candidates)
        best = _best_of(a, b, stable, best)
    if best.similarity < MATCH_SIMILARITY or min(best.coverage_a, best.coverage_b) < MATCH_COVERAGE:
        return best
    return replace(best, drift=_drift(a, b, best.offset))


def _best_of(a: np.ndarray, b: np.ndarray, offsets: list[int], best: Match) -> Match:
    for offset in offsets:
        match = _check_offset(a, b, offset)
        if (match.coverage_a + match.coverage_b, match.similarity) > (
            best.coverage_a + best.coverage_b,
            best.similarity,
        ):
            best = match
    return best


def _voted_offsets(a: np.ndarray, b: np.ndarray, candidates: int) -> list[int]:
    """Offsets (b's frame - a's frame) most often shared by equal values, each ±1, and 0."""
    order_b = np.argsort(b, kind="stable")
    sorted_b = b[order_b]
    lo = np.searchsorted(sorted_b, a, "left")
    hi = np.searchsorted(sorted_b, a, "right")
    hits = hi - lo
    hits[hits > VOTE_RUN] = 0  # a value held for long (a drone, a loop) votes for every offset
    a_index = np.repeat(np.arange(a.size), hits)
    starts = np.repeat(lo, hits)
    within = np.arange(a_index.size) - np.repeat(np.cumsum(hits) - hits, hits)
    deltas = order_b[starts + within] - a_index
    voted = [0]
    if deltas.size:
        values, counts = np.unique(deltas, return_counts=True)
        voted += [int(v) for v in values[np.argsort(-counts)[:candidates]]]
    return sorted({o + d for o in voted for d in (-1, 0, 1)})


def _check_offset(a: np.ndarray, b: np.ndarray, offset: int) -> Match:
    start_a = max(0, -offset)
    stop_a = min(a.size, b.size - offset)
    if stop_a <= start_a:
        return Match(0.0, offset, 0.0, 0.0)
    errors = np.bitwise_count(a[start_a:stop_a] ^ b[start_a + offset : stop_a + offset])
    # Smooth over a second so a burst of noise does not split a match or fake one.
    window = np.ones(8)
    centre = slice(window.size // 2, window.size // 2 + errors.size)
    smooth = np.convolve(errors, window)[centre] / np.convolve(np.ones(errors.size), window)[centre]
    matched = smooth <= FRAME_MISMATCH_BITS
    n = int(matched.sum())
    similarity = 1.0 - float(errors[matched].mean()) / 32 if n else 0.0
    return Match(similarity, offset, n / a.size, n / b.size)


SEGMENT = 24  # frames (3 s) whose best alignment is found on its own
DRIFT_SEARCH = 4  # frames (0.5 s) either side of the overall alignment searched per segment
FRAME_SECONDS = 4096 / 3 / 11025  # Chromaprint's step from one sub-fingerprint to the next


def _drift(a: np.ndarray, b: np.ndarray, offset: int) -> float:
    """How far the alignment moves along the match, in frames.

    A copy of one recording lines up at one constant offset over its whole length: trims and
    padding shift it, encodings blur it, but it does not move (a resample keeps the speed).
    Another performance's best offset follows its timing: a tempo 0.5 % off moves it by more
    than a frame in half a minute, a wandering one back and forth. Each segment (``SEGMENT``
    frames of ``a``) finds its own best alignment within ±``DRIFT_SEARCH`` frames of ``offset``,
    to a fraction of a frame (the vertex of a parabola through the errors there and at its
    neighbours); the drift is how far a quadratic trend fitted to those alignments over time
    moves. A trend, not the alignments' own spread: encoding noise moves single segments, and
    the more segments a longer track has, the less the trend follows it, while a performance's
    timing moves the trend further the longer it plays.
    """
    positions = _alignments(a, b, offset)
    if positions.size < 3:
        return 0.0
    trend = _quadratic_trend(positions.size) @ positions
    return float(trend.max() - trend.min())


@functools.lru_cache(maxsize=64)  # a fingerprint of at most 120 s has at most 40 segments
def _quadratic_trend(count: int) -> np.ndarray:
    """The matrix that maps ``count`` evenly spaced values to their least-squares quadratic."""
    basis, _ = np.linalg.qr(np.vander(np.arange(count, dtype=float), 3))
    return basis @ basis.T


def _alignments(a: np.ndarray, b: np.ndarray, offset: int) -> np.ndarray:
    """Each matching segment's best alignment, in frames from ``offset``, in time order."""
    start = max(0, -offset) + DRIFT_SEARCH
    stop = min(a.size, b.size - offset) - DRIFT_SEARCH
    count = (stop - start) // SEGMENT
    if count < 2:
        return np.zeros(0)
    stop = start + count * SEGMENT
    # Row k holds b shifted by offset + k - DRIFT_SEARCH frames against a's segments (a view).
    shifted = np.lib.stride_tricks.sliding_window_view(
        b[start + offset - DRIFT_SEARCH : stop + offset + DRIFT_SEARCH], stop - start
    )
    errors = np.bitwise_count(a[start:stop] ^ shifted)
    per_segment = errors.reshape(2 * DRIFT_SEARCH + 1, count, SEGMENT).sum(axis=2, dtype=np.int64)
    per_segment = per_segment[:, per_segment.min(axis=0) <= FRAME_MISMATCH_BITS * SEGMENT]
    # The vertex of the parabola through the best shift and its neighbours; at the edge of the
    # search (a segment that drifted a long way) the missing neighbour is the best itself.
    columns = np.arange(per_segment.shape[1])
    best = per_segment.argmin(axis=0)
    centre = per_segment[best, columns]
    left = per_segment[np.maximum(best - 1, 0), columns]
    right = per_segment[np.minimum(best + 1, 2 * DRIFT_SEARCH), columns]
    # The errors' minimum is the peak of their negation.
    return best - DRIFT_SEARCH + peak_shift(-left, -centre, -right)


def peak_shift(left: np.ndarray, centre: np.ndarray, right: np.ndarray) -> np.ndarray:
    """How far from ``centre`` the peak of the parabola through three evenly spaced values lies,
    in steps (within ±0.5 when ``centre`` is the largest); 0 where the values do not bend down."""
    curvature = left - 2 * centre + right
    return np.divide(
        0.5 * (left - right), curvature, out=np.zeros(np.shape(curvature)), where=curvature < 0
    )


# What makes two fingerprints the same recording (``judge``): most frames match, along most of
# both tracks, at one alignment that does not drift, and their audible durations agree.
MATCH_SIMILARITY = 0.7  # 1 - bit error rate over the matching frames, at least
MATCH_COVERAGE = 0.8  # share of each track's frames that match the other, at least
# Frames the alignment may drift along the match, at most. On the tuning corpus two copies of a
# song drift by 0.46 at most, a live take that passes the checks above against any copy of its
# song by 0.80 or more.
MATCH_DRIFT = 0.6
DURATION_SLACK_SECONDS = 4.5  # audible durations may differ by this much (2 s cut at each end)...
DURATION_SLACK_SHARE = 0.05  # ...or by this share of the longer one, whichever is more


@dataclass(frozen=True)
class Verdict:
    """How two fingerprints relate, and the rule that decided it, in words for ``show --near``."""

    relation: Relation | None
    match: Match
    rule: str


def judge(match: Match, duration_a: float, duration_b: float) -> Verdict:
    """The same recording, related ones (one lies inside the other: a radio edit and its
    extended version), or neither; with the first rule that kept them apart. Songs sharing only
    an intro cover too little of either."""
    covered = min(match.coverage_a, match.coverage_b)
    longer = max(duration_a, duration_b)
    gap = abs(duration_a - duration_b)
    limit = max(DURATION_SLACK_SECONDS, DURATION_SLACK_SHARE * longer)
    similar = match.similarity >= MATCH_SIMILARITY
    if similar and covered >= MATCH_COVERAGE and match.drift > MATCH_DRIFT:
        return Verdict(
            None,
            match,
            f"the alignment drifts by {match.drift:.2f} frames"
            f" ({match.drift * FRAME_SECONDS * 1000:.0f} ms) along the match (limit"
            f" {MATCH_DRIFT:.2f}): another performance, or a tempo change",
        )
    if similar and covered >= MATCH_COVERAGE and gap <= limit:
        return Verdict(Relation.SAME, match, "the same recording: fingerprints and durations match")
    if similar and max(match.coverage_a, match.coverage_b) >= MATCH_COVERAGE:
        if covered >= MATCH_COVERAGE:
            rule = f"audible durations differ by {gap:.1f} s (limit {limit:.1f} s)"
        else:
            rule = (
                f"one lies inside the other: {covered:.0%} of the longer matches"
                f" (needs {MATCH_COVERAGE:.0%})"
            )
        return Verdict(Relation.RELATED, match, f"related, not a duplicate: {rule}")
    if not similar:
        rule = (
            # Three decimals: 0.796 would read "0.80 below the threshold 0.80" at two.
            f"fingerprint similarity {match.similarity:.3f} below the threshold"
            f" {MATCH_SIMILARITY:.2f}"
        )
    else:
        rule = (
            f"too little of either matches: {match.coverage_a:.0%} and {match.coverage_b:.0%}"
            f" (needs {MATCH_COVERAGE:.0%})"
        )
    return Verdict(None, match, rule)
