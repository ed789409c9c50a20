"""An alignment-tolerant comparison of Chromaprint fingerprints, and the grouping's rules.

The fingerprints themselves come from ``beetcrate.fingerprints`` (shared with the identify
stage). Silence is cut before fingerprinting, so a copy with silence added or trimmed lines up
with the original at offset zero; what remains (a start that is off by a fraction of a frame) is
absorbed by ``compare``, which searches the offsets where equal sub-fingerprints vote.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from beetsplug.dupes.model import Relation

# Per-frame bit errors above this (out of 32) mean the frames do not match; unrelated audio
# sits around 16, re-encodings of the same recording well under 8.
FRAME_MISMATCH_BITS = 10


@dataclass(frozen=True)
class Match:
    similarity: float  # 1 - bit error rate over the matching frames
    offset: int  # a's frame i lines up with b's frame i + offset
    coverage_a: float  # share of a's frames that match b
    coverage_b: float


def compare(a: np.ndarray, b: np.ndarray, candidates: int = 3) -> Match:
    """Best alignment of two fingerprints: offsets voted by equal sub-fingerprints, then checked
    frame by frame; a frame matches when it differs from its partner in few bits."""
    none = Match(similarity=0.0, offset=0, coverage_a=0.0, coverage_b=0.0)
    if not a.size or not b.size:
        return none
    offsets = _voted_offsets(a, b, candidates)
    best = none
    for offset in offsets:
        match = _check_offset(a, b, offset)
        if (match.coverage_a + match.coverage_b, match.similarity) > (
            best.coverage_a + best.coverage_b,
            best.similarity,
        ):
            best = match
    return best


def _voted_offsets(a: np.ndarray, b: np.ndarray, candidates: int) -> list[int]:
    """Offsets (b's frame - a's frame) most often shared by equal sub-fingerprints, ±1."""
    order_b = np.argsort(b, kind="stable")
    sorted_b = b[order_b]
    lo = np.searchsorted(sorted_b, a, "left")
    hi = np.searchsorted(sorted_b, a, "right")
    hits = hi - lo
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


# What makes two fingerprints the same recording (``judge``): most frames match, along most of
# both tracks, and their audible durations agree.
MATCH_SIMILARITY = 0.8  # 1 - bit error rate over the matching frames, at least
MATCH_COVERAGE = 0.8  # share of each track's frames that match the other, at least
DURATION_SLACK_SECONDS = 2.0  # audible durations may differ by this much...
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


def classify(match: Match, duration_a: float, duration_b: float) -> Relation | None:
    """``judge``'s relation alone: what the grouping keeps as an edge."""
    return judge(match, duration_a, duration_b).relation
