"""Cue points on phrase boundaries: first downbeat, intro end, drops, breakdowns, outro start.

Dance music is built from phrases of 8, 16 or 32 bars, and its sections (intro, build,
drop, breakdown, outro) change on those boundaries. The level of each bar is measured from the
spectral frames, and so is the strength of its drums (the rise of the low band: the kick); the
phrase grid (8 bars, anchored on whichever of the first eight bars makes the steps sharpest,
the last, fading bar left out) gives the candidate boundaries; a boundary becomes a cue when
the level or the drums of the phrase after it differ enough from the one before. The drums
matter because a beatless intro or a breakdown without kick is often only 2-3 dB quieter than
the groove when the pads carry on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.spectral import Frames

PHRASE_BARS = 8
STEP_DB = 4.0  # a level change this large between phrases is a section change
MAIN_MARGIN_DB = 3.0  # within this of the track's main level counts as "in full swing"
# The drums (strikes of the low band: the kick) step more than the level: a beatless intro or a
# breakdown without kick can be only 2-3 dB quieter than the groove when pads carry on.
DRUM_STEP_DB = 10.0
DRUM_MARGIN_DB = 6.0


@dataclass(frozen=True)
class Cue:
    time: float  # seconds, on a downbeat
    kind: str  # first_downbeat | intro_end | drop | breakdown | outro_start
    bar: int  # bar number, 0 = first downbeat

    def as_dict(self) -> dict[str, object]:
        return {"time": round(self.time, 3), "kind": self.kind, "bar": self.bar}


def _bar_means(values: np.ndarray, downbeats: np.ndarray, frames: Frames) -> np.ndarray:
    """Mean of a per-frame measure over each bar, from its downbeat to the next."""
    index = np.clip(((downbeats - frames.offset) * frames.rate).astype(int), 0, values.size)
    ends = np.append(index[1:], min(values.size, index[-1] + int(np.median(np.diff(index)))))
    return np.array(
        [values[a:b].mean() if b > a else 0.0 for a, b in zip(index, ends, strict=True)]
    )


def _decibels(values: np.ndarray, floor: float) -> np.ndarray:
    return 20 * np.log10(np.maximum(values, floor))


def _phrase_steps(bars: np.ndarray, drums: np.ndarray, starts: list[int]) -> tuple[np.ndarray, ...]:
    level = np.array([bars[s : s + PHRASE_BARS].mean() for s in starts])
    kick = np.array([drums[s : s + PHRASE_BARS].mean() for s in starts])
    return level, kick


def find_cues(downbeats: np.ndarray, frames: Frames) -> list[Cue]:
    if downbeats.size == 0:
        return []
    cues = [Cue(float(downbeats[0]), "first_downbeat", 0)]
    if downbeats.size < 2 * PHRASE_BARS:
        return cues
    level = np.sqrt((frames.amplitude.astype(np.float64) ** 2).sum(axis=0))
    bars = _decibels(_bar_means(level, downbeats, frames), 1e-6)
    low = frames.amplitude[0].astype(np.float64)
    kick = _bar_means(np.maximum(np.diff(low, prepend=low[:1]), 0.0), downbeats, frames)
    drums = _decibels(kick, 1e-3 * kick.max() + 1e-12)
    # The last bar is cut or fading: its step says nothing about where phrases start.
    anchor = max(range(PHRASE_BARS), key=lambda a: _step_strength(bars[:-1], drums[:-1], a))
    starts = list(range(anchor, bars.size, PHRASE_BARS))
    if starts[0] != 0:
        starts.insert(0, 0)
    phrases, beat = _phrase_steps(bars, drums, starts)
    loud = (phrases >= np.percentile(phrases, 75) - MAIN_MARGIN_DB) & (
        beat >= np.percentile(beat, 75) - DRUM_MARGIN_DB
    )
    first_loud = int(np.argmax(loud))
    last_loud = len(loud) - 1 - int(np.argmax(loud[::-1]))
    if first_loud > 0:
        bar = starts[first_loud]
        cues.append(Cue(float(downbeats[bar]), "intro_end", bar))
    for n in range(max(1, first_loud + 1), last_loud + 1):
        step = phrases[n] - phrases[n - 1]
        drum_step = beat[n] - beat[n - 1]
        if abs(step) >= STEP_DB or abs(drum_step) >= DRUM_STEP_DB:
            rising = (
                step > 0 if abs(step) / STEP_DB >= abs(drum_step) / DRUM_STEP_DB else drum_step > 0
            )
            bar = starts[n]
            cues.append(Cue(float(downbeats[bar]), "drop" if rising else "breakdown", bar))
    if last_loud < len(loud) - 1:
        bar = starts[last_loud + 1]
        cues.append(Cue(float(downbeats[bar]), "outro_start", bar))
    return cues


def _step_strength(bars: np.ndarray, drums: np.ndarray, anchor: int) -> float:
    """Level and drum steps between consecutive phrases when phrases start at ``anchor``, each
    in units of its threshold, squared: phrases out of step with a section change split it into
    two smaller steps whose plain sum is the same (a long flat intro then leaves every anchor
    tied), but whose squares are smaller."""
    starts = list(range(anchor, bars.size, PHRASE_BARS))
    if len(starts) < 2:
        return 0.0
    level, kick = _phrase_steps(bars, drums, starts)
    return float(
        np.square(np.diff(level) / STEP_DB).sum() + np.square(np.diff(kick) / DRUM_STEP_DB).sum()
    )
