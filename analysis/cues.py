"""Cue points on phrase boundaries: first downbeat, intro end, drops, breakdowns, outro start.

Dance music is built from phrases of 8, 16 or 32 bars, and its sections (intro, build,
drop, breakdown, outro) change on those boundaries. The level of each bar is measured from the
spectral frames; the phrase grid (8 bars, anchored on whichever of the first eight bars makes
the level steps sharpest) gives the candidate boundaries; a boundary becomes a cue when the level
of the phrase after it differs enough from the one before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.spectral import Frames

PHRASE_BARS = 8
STEP_DB = 4.0  # a level change this large between phrases is a section change
MAIN_MARGIN_DB = 3.0  # within this of the track's main level counts as "in full swing"


@dataclass(frozen=True)
class Cue:
    time: float  # seconds, on a downbeat
    kind: str  # first_downbeat | intro_end | drop | breakdown | outro_start
    bar: int  # bar number, 0 = first downbeat

    def as_dict(self) -> dict[str, object]:
        return {"time": round(self.time, 3), "kind": self.kind, "bar": self.bar}


def _bar_levels(downbeats: np.ndarray, frames: Frames) -> np.ndarray:
    """Level (dB) of each bar, from its downbeat to the next."""
    level = np.sqrt((frames.amplitude.astype(np.float64) ** 2).sum(axis=0))
    index = np.clip(((downbeats - frames.offset) * frames.rate).astype(int), 0, level.size)
    ends = np.append(index[1:], min(level.size, index[-1] + int(np.median(np.diff(index)))))
    means = [level[a:b].mean() if b > a else 0.0 for a, b in zip(index, ends, strict=True)]
    return 20 * np.log10(np.maximum(means, 1e-6))


def find_cues(downbeats: np.ndarray, frames: Frames) -> list[Cue]:
    if downbeats.size == 0:
        return []
    cues = [Cue(float(downbeats[0]), "first_downbeat", 0)]
    if downbeats.size < 2 * PHRASE_BARS:
        return cues
    bars = _bar_levels(downbeats, frames)
    anchor = max(range(PHRASE_BARS), key=lambda a: _step_strength(bars, a))
    starts = list(range(anchor, bars.size, PHRASE_BARS))
    if starts[0] != 0:
        starts.insert(0, 0)
    phrases = np.array([bars[s : s + PHRASE_BARS].mean() for s in starts])
    main = np.percentile(phrases, 75)
    loud = phrases >= main - MAIN_MARGIN_DB
    first_loud = int(np.argmax(loud))
    last_loud = len(loud) - 1 - int(np.argmax(loud[::-1]))
    if first_loud > 0:
        bar = starts[first_loud]
        cues.append(Cue(float(downbeats[bar]), "intro_end", bar))
    for n in range(max(1, first_loud + 1), last_loud + 1):
        step = phrases[n] - phrases[n - 1]
        if abs(step) >= STEP_DB:
            bar = starts[n]
            cues.append(Cue(float(downbeats[bar]), "drop" if step > 0 else "breakdown", bar))
    if last_loud < len(loud) - 1:
        bar = starts[last_loud + 1]
        cues.append(Cue(float(downbeats[bar]), "outro_start", bar))
    return cues


def _step_strength(bars: np.ndarray, anchor: int) -> float:
    """Sum of level steps between consecutive phrases when phrases start at ``anchor``."""
    means = [bars[s : s + PHRASE_BARS].mean() for s in range(anchor, bars.size, PHRASE_BARS)]
    return float(np.abs(np.diff(means)).sum()) if len(means) > 1 else 0.0
