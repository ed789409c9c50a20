"""Cue points where sections change: first downbeat, intro end, drops, breakdowns, outro start.

A track is a run of sections (intro, groove, breakdown, drop, outro), each steady in level and
in drums. Each bar's level and drum strength (the rise of the low band: the kick) are measured
from the spectral frames, and the bars are split into the runs that fit them best
(``_sections``: piecewise-constant, each change paying a penalty, no section shorter than two
bars, so a one-bar fill or drum break is no section). A change becomes a cue when the level or
the drums step enough from one section to the next. The drums matter because a beatless intro
or a breakdown without kick is often only 2-3 dB quieter than the groove when the pads carry
on. Sections need not fall on an 8-bar phrase grid counted from the first downbeat: a pickup
bar, a 4-bar intro or a 12-bar verse moves them off it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.spectral import Frames

STEP_DB = 4.0  # a level change this large between sections is a section change
MAIN_MARGIN_DB = 3.0  # within this of the track's main level counts as "in full swing"
# The drums (strikes of the low band: the kick) step more than the level: a beatless intro or a
# breakdown without kick can be only 2-3 dB quieter than the groove when pads carry on.
DRUM_STEP_DB = 10.0
DRUM_MARGIN_DB = 6.0
# Drums quieter than this under the loudest bar's count as none: below it, what the low band
# rises by is a bass note or a pad, and its wandering would split a breakdown in two.
DRUM_FLOOR_DB = -40.0
MIN_SECTION_BARS = 2
# Cost of a change, in squared steps (level in STEP_DB, drums in DRUM_STEP_DB): a full step
# between two 2-bar sections pays it twice over; smaller changes split long sections without
# making cues, since a cue needs a full step.
CHANGE_PENALTY = 0.5
MIN_BARS = 8  # shorter tracks have no sections to tell apart


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


def _sections(features: np.ndarray) -> list[int]:
    """Start bars of the piecewise-constant runs that fit the (bars, features) rows best.

    Optimal partitioning: the best split of the first ``t`` bars is the best split of some
    earlier ``s`` plus one run from ``s`` to ``t``, each run costing its squared deviations
    from its mean plus ``CHANGE_PENALTY``. Quadratic in the bars (a two-hour mix has 4000).
    """
    count = features.shape[0]
    sums = np.vstack([np.zeros(features.shape[1]), np.cumsum(features, axis=0)])
    squares = np.concatenate([[0.0], np.cumsum((features**2).sum(axis=1))])
    best = np.full(count + 1, np.inf)
    best[0] = -CHANGE_PENALTY
    start = np.zeros(count + 1, dtype=int)
    for end in range(MIN_SECTION_BARS, count + 1):
        # A run from ``s`` may start at 0 or after a whole first run.
        begins = np.arange(0, end - MIN_SECTION_BARS + 1)
        begins = begins[(begins == 0) | (begins >= MIN_SECTION_BARS)]
        lengths = (end - begins)[:, None]
        totals = sums[end] - sums[begins]
        cost = squares[end] - squares[begins] - (totals**2 / lengths).sum(axis=1)
        candidates = best[begins] + cost + CHANGE_PENALTY
        pick = int(np.argmin(candidates))
        best[end], start[end] = candidates[pick], begins[pick]
    starts = []
    end = count
    while end > 0:
        end = int(start[end])
        starts.append(end)
    return starts[::-1]


def find_cues(downbeats: np.ndarray, frames: Frames) -> list[Cue]:
    if downbeats.size == 0:
        return []
    cues = [Cue(float(downbeats[0]), "first_downbeat", 0)]
    if downbeats.size < MIN_BARS:
        return cues
    level = np.sqrt((frames.amplitude.astype(np.float64) ** 2).sum(axis=0))
    bars = _decibels(_bar_means(level, downbeats, frames), 1e-6)
    low = frames.amplitude[0].astype(np.float64)
    kick = _bar_means(np.maximum(np.diff(low, prepend=low[:1]), 0.0), downbeats, frames)
    drums = _decibels(kick, 10 ** (DRUM_FLOOR_DB / 20) * kick.max() + 1e-12)
    # The last bar is cut or fading: it belongs to the section before it, and is left out of
    # every measure of it.
    features = np.column_stack([bars[:-1] / STEP_DB, drums[:-1] / DRUM_STEP_DB])
    starts = _sections(features)
    ends = [*starts[1:], bars.size - 1]
    section_level = np.array([bars[a:b].mean() for a, b in zip(starts, ends, strict=True)])
    section_drums = np.array([drums[a:b].mean() for a, b in zip(starts, ends, strict=True)])
    loud = (section_level >= np.percentile(bars, 75) - MAIN_MARGIN_DB) & (
        section_drums >= np.percentile(drums, 75) - DRUM_MARGIN_DB
    )
    if not loud.any():
        return cues
    first_loud = int(np.argmax(loud))
    last_loud = len(loud) - 1 - int(np.argmax(loud[::-1]))
    if first_loud > 0:
        cues.append(Cue(float(downbeats[starts[first_loud]]), "intro_end", starts[first_loud]))
    for n in range(first_loud + 1, last_loud + 1):
        step = (section_level[n] - section_level[n - 1]) / STEP_DB
        drum_step = (section_drums[n] - section_drums[n - 1]) / DRUM_STEP_DB
        if loud[n] != loud[n - 1]:
            # Out of full swing and back, as the intro's end and the outro's start are told.
            rising = bool(loud[n])
        elif loud[n] and max(abs(step), abs(drum_step)) >= 1:
            # A step between two sections in full swing (a drop after a build).
            rising = step > 0 if abs(step) >= abs(drum_step) else drum_step > 0
        else:
            # Within a breakdown, a build or a bass line coming in is no cue of its own.
            continue
        bar = starts[n]
        cues.append(Cue(float(downbeats[bar]), "drop" if rising else "breakdown", bar))
    if last_loud < len(loud) - 1:
        bar = starts[last_loud + 1]
        cues.append(Cue(float(downbeats[bar]), "outro_start", bar))
    return cues
