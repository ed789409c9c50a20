"""Where the beat grid goes, and how far refining a tempo may move it, on hand-built inputs:
the rules of ``analysis.tempo`` one at a time, where the clips of ``test_engine`` hold them
all at once."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from analysis import tempo

PERIOD = 80.0  # frames a beat
BEATS = 64
ON, OFF = 10, 50  # the frames, within each beat, where the loudest hits' grid and the "and" fall


def _envelope(*positions: float, every: int = 1) -> np.ndarray:
    """A strike envelope of single-frame hits at ``positions`` of every ``every``-th beat."""
    envelope = np.zeros(int(BEATS * PERIOD) + 8)
    for beat in range(0, BEATS, every):
        for position in positions:
            envelope[int(beat * PERIOD + position)] = 1.0
    return envelope


def _strikes(kick: np.ndarray, backbeat: np.ndarray, loudest: np.ndarray) -> tempo.Strikes:
    return tempo.Strikes(kick=kick, total=loudest, backbeat=backbeat)


def _chords_change_on(phase: float) -> Callable[[float], float]:
    """A grid's chord change: larger the nearer its phase to ``phase``."""
    return lambda grid: 0.3 if abs(grid - phase) < 2 else 0.2


@pytest.mark.parametrize(("chords", "expected"), [(OFF, OFF), (ON, ON)])
def test_when_the_drums_tie_the_grid_goes_where_the_chords_change(
    chords: int, expected: int
) -> None:
    # A syncopated kick on the beat and on the "and" alike, no backbeat heard, the loudest hits
    # on ON: only the harmony can tell.
    strike = _strikes(_envelope(ON, OFF), _envelope(), _envelope(ON))
    phase = tempo.beat_phase(strike, PERIOD, _chords_change_on(chords))
    assert phase == pytest.approx(expected, abs=1)


def test_a_kick_on_every_beat_moves_the_grid_off_louder_off_beat_hats_whatever_the_chords() -> None:
    # House under open hats four times as loud as its clap: the loudest hits are all on the
    # "and" (ON here), the kick on every beat (OFF).
    strike = _strikes(_envelope(OFF), _envelope(ON), _envelope(ON))
    phase = tempo.beat_phase(strike, PERIOD, _chords_change_on(ON))
    assert phase == pytest.approx(OFF, abs=1)


def test_a_backbeat_on_every_other_beat_outweighs_hats_on_every_and() -> None:
    # Kick tied; the loud hits on every "and" (ON) would pass for a backbeat by number, but a
    # snare on 2 and 4 (OFF, every other beat) alternates and the hats do not.
    hats = _envelope(ON)
    snare = _envelope(OFF, every=2)
    strike = _strikes(_envelope(ON, OFF), np.maximum(hats, snare), hats)
    phase = tempo.beat_phase(strike, PERIOD, lambda grid: 0.0)
    assert phase == pytest.approx(OFF, abs=1)


def test_refining_a_candidate_never_walks_it_off_to_another_tempo() -> None:
    # The onsets repeat every 80 frames. Four periods of a 97-frame candidate (a reading that
    # divides nothing) fall within an eighth of a period of five true ones (400 frames), which
    # would carry the candidate to 100 frames, 3 % away, and on along 80's multiples.
    ac = np.zeros(tempo.MAX_LAG)
    ac[::80] = 0.5
    ac[0] = 1.0
    refined = tempo._refine_period(ac, 97.0)
    assert refined == pytest.approx(97.0, rel=0.02)
