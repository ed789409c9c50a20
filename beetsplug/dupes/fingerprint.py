"""Chromaprint fingerprints without ``fpcalc``, and an alignment-tolerant comparison.

Fingerprints come from essentia's built-in Chromaprinter (the same algorithm and the same
compressed base64 string as ``fpcalc``, so it fills beets' ``acoustid_fingerprint``). Silence at
either end is cut before fingerprinting, so a copy with silence added or trimmed lines up with
the original at offset zero; what remains (a start that is off by a fraction of a frame) is
absorbed by ``compare``, which searches the offsets where equal sub-fingerprints vote.
"""

from __future__ import annotations

import base64
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from beetcrate import media
from beetsplug.dupes.model import Relation

RATE = 11025  # Chromaprint's own working rate: decoding straight to it saves a resampling
MAX_SECONDS = 120.0  # what fpcalc and AcoustID fingerprint by default
SILENCE = 10 ** (-50 / 20)  # -50 dBFS: below it, a sample counts as silence

# Per-frame bit errors above this (out of 32) mean the frames do not match; unrelated audio
# sits around 16, re-encodings of the same recording well under 8.
FRAME_MISMATCH_BITS = 10


class TooShort(media.MediaError):
    """Too little audible audio for Chromaprint to compute a single sub-fingerprint."""


@dataclass(frozen=True)
class Fingerprint:
    encoded: str  # Chromaprint's compressed base64 string, as fpcalc prints it
    duration: float  # seconds of audible audio (silence at both ends left out)

    @property
    def values(self) -> np.ndarray:
        return decode_fingerprint(self.encoded)


@dataclass(frozen=True)
class Match:
    similarity: float  # 1 - bit error rate over the matching frames
    offset: int  # a's frame i lines up with b's frame i + offset
    coverage_a: float  # share of a's frames that match b
    coverage_b: float


def fingerprint(path: str | Path, max_seconds: float = MAX_SECONDS) -> Fingerprint:
    """Decode ``path`` once, trim its silence and fingerprint up to ``max_seconds`` of it."""
    es = essentia_algorithms()

    kept: list[np.ndarray] = []  # audible audio, up to max_seconds
    silent_tail: list[np.ndarray] = []  # silence that may turn out to be inside the song
    budget = int(max_seconds * RATE)
    first = last = None
    position = 0
    for block in media.iter_decode(path, sample_rate=RATE, mono=True):
        samples = block[0]
        loud = np.flatnonzero(np.abs(samples) > SILENCE)
        if loud.size:
            begin = 0
            if first is None:
                first = position + loud[0]
                begin = loud[0]
            kept += silent_tail
            kept.append(samples[begin : loud[-1] + 1])
            silent_tail = [samples[loud[-1] + 1 :]]
            last = position + loud[-1] + 1
        elif first is not None:
            silent_tail.append(samples)
        position += samples.size
        # The whole file is decoded (its audible duration counts), but memory stays bounded.
        kept = _cap(kept, budget)
        silent_tail = _cap(silent_tail, budget)
    if first is None or last is None:
        raise media.MediaError(f"no audible audio in {os.fspath(path)}")
    audio = np.concatenate(kept) if kept else np.zeros(0, np.float32)
    if audio.size < RATE:
        raise TooShort(f"less than a second of audio in {os.fspath(path)}")
    encoded = es.Chromaprinter(sampleRate=RATE, maxLength=0)(audio.astype(np.float32))
    # Chromaprint's first sub-fingerprint needs a few seconds: shorter audio gives none.
    if decode_fingerprint(encoded).size == 0:
        raise TooShort(f"too little audio to fingerprint in {os.fspath(path)}")
    return Fingerprint(encoded=encoded, duration=(last - first) / RATE)


@functools.cache
def essentia_algorithms() -> ModuleType:
    """essentia's algorithms, imported on first use (a second's work) without its info chatter."""
    import essentia

    essentia.log.infoActive = False
    import essentia.standard

    return essentia.standard


def _cap(blocks: list[np.ndarray], budget: int) -> list[np.ndarray]:
    """The first ``budget`` samples of ``blocks``."""
    if sum(b.size for b in blocks) <= budget:
        return blocks
    out, left = [], budget
    for b in blocks:
        out.append(b[:left])
        left -= out[-1].size
    return out


def decode_fingerprint(encoded: str) -> np.ndarray:
    """Chromaprint's compressed fingerprint to its uint32 sub-fingerprints (pure numpy).

    Layout: one byte algorithm, three bytes count, then for each sub-fingerprint XORed with the
    previous one the gaps between its set bits as 3-bit numbers (0 ends a sub-fingerprint, 7
    means "add the next 5-bit exception"), the exceptions packed after them.
    """
    try:
        data = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a Chromaprint fingerprint: {exc}") from exc
    if len(data) < 4:
        raise ValueError("not a Chromaprint fingerprint: too short")
    count = int.from_bytes(data[1:4], "big")
    if count == 0:
        return np.zeros(0, np.uint32)
    bits = np.unpackbits(np.frombuffer(data[4:], np.uint8), bitorder="little")
    triples = bits[: bits.size // 3 * 3].reshape(-1, 3) @ np.array([1, 2, 4])
    ends = np.flatnonzero(triples == 0)
    if ends.size < count:
        raise ValueError("not a Chromaprint fingerprint: truncated")
    gaps = triples[: ends[count - 1] + 1] if count else triples[:0]
    escapes = np.flatnonzero(gaps == 7)
    extra_bits = bits[(gaps.size * 3 + 7) // 8 * 8 :]
    if extra_bits.size < escapes.size * 5:
        raise ValueError("not a Chromaprint fingerprint: truncated exceptions")
    gaps = gaps.copy()
    gaps[escapes] += extra_bits[: escapes.size * 5].reshape(-1, 5) @ np.array([1, 2, 4, 8, 16])
    # Bit positions restart after each terminating zero: a cumulative sum reset per group.
    group = np.concatenate([[0], np.cumsum(gaps == 0)[:-1]])
    running = np.cumsum(gaps)
    group_start = np.concatenate([[0], running[ends[: count - 1]]]) if count else running[:0]
    position = running - group_start[group]
    set_bits = gaps != 0
    values = np.zeros(count, np.uint64)
    np.bitwise_or.at(
        values,
        group[set_bits],
        np.left_shift(np.uint64(1), (position[set_bits] - 1).astype(np.uint64)),
    )
    return np.bitwise_xor.accumulate(values.astype(np.uint32))


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
