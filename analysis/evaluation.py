"""The standard measures of tempo, beat and key estimation (as in mir_eval and MIREX).

Pure functions of an estimate and its reference: the DJ benchmark scores the engine with them
and the DJ tests hold it to them.
"""

from __future__ import annotations

import numpy as np

BEAT_TOLERANCE = 0.07  # seconds


def tempo_accuracy1(estimate: float, reference: float, tolerance: float = 0.04) -> bool:
    return reference > 0 and abs(estimate - reference) <= tolerance * reference


def tempo_accuracy2(estimate: float, reference: float, tolerance: float = 0.04) -> bool:
    """Accuracy1 allowing the octave errors (x2, x1/2) and the x3, x1/3 errors."""
    return any(
        tempo_accuracy1(estimate, reference * factor, tolerance) for factor in (1, 2, 0.5, 3, 1 / 3)
    )


def bpm_error_percent(estimate: float, reference: float) -> float:
    return 100.0 * abs(estimate - reference) / reference


def f_measure(
    estimated: np.ndarray, reference: np.ndarray, tolerance: float = BEAT_TOLERANCE
) -> float:
    """Beat F-measure: one-to-one matches within ``tolerance`` seconds."""
    if reference.size == 0 and estimated.size == 0:
        return 1.0
    if reference.size == 0 or estimated.size == 0:
        return 0.0
    used = np.zeros(estimated.size, dtype=bool)
    hits = 0
    for time in reference:
        distance = np.abs(estimated - time)
        distance[used] = np.inf
        nearest = int(np.argmin(distance))
        if distance[nearest] <= tolerance:
            used[nearest] = True
            hits += 1
    precision = hits / estimated.size
    recall = hits / reference.size
    return 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)


def mirex_key_score(tonic: int | None, minor: bool, ref_tonic: int, ref_minor: bool) -> float:
    """MIREX weighted key score: 1 same, 0.5 fifth, 0.3 relative, 0.2 parallel, else 0."""
    if tonic is None:
        return 0.0
    if tonic == ref_tonic and minor == ref_minor:
        return 1.0
    if minor == ref_minor and (tonic - ref_tonic) % 12 in (5, 7):
        return 0.5
    if minor != ref_minor:
        relative = (ref_tonic + 9) % 12 if not ref_minor else (ref_tonic + 3) % 12
        if tonic == relative:
            return 0.3
        if tonic == ref_tonic:
            return 0.2
    return 0.0
