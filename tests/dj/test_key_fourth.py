"""How a key read at its dominant moves back, on hand-built pitch-class profiles: the rule of
``analysis.key._fourth_up`` alone, where ``test_engine`` holds it on rendered tracks."""

from __future__ import annotations

import numpy as np

from analysis import key

# D major leaning on its V (Em7 - A7 - Dmaj7): A, E and C# loud, and G (D's fourth, A7's
# seventh) far louder than G#, which A major would hold and the tune never plays.
D_MAJOR_ON_ITS_DOMINANT = np.array(
    [0.05, 0.70, 0.80, 0.04, 0.90, 0.06, 0.55, 0.60, 0.05, 1.00, 0.04, 0.50]
)
# A dorian (A B C D E F# G): read as A minor, its second (B) sounds and the A# a fourth-up key
# (D minor) would need does not; its raised sixth F# is E minor's note, not D minor's.
A_DORIAN = np.array([0.60, 0.04, 0.45, 0.05, 0.85, 0.05, 0.50, 0.55, 0.05, 1.00, 0.04, 0.50])


def test_a_major_key_whose_flat_seventh_sounds_and_leading_tone_does_not_moves_a_fourth_up() -> (
    None
):
    assert key._fourth_up(D_MAJOR_ON_ITS_DOMINANT, 9, minor=False) == 2


def test_a_major_key_whose_leading_tone_sounds_stays() -> None:
    assert key._fourth_up(D_MAJOR_ON_ITS_DOMINANT, 2, minor=False) == 2


def test_a_dorian_tune_read_in_its_own_minor_key_stays_there() -> None:
    assert key._fourth_up(A_DORIAN, 9, minor=True) == 9
