"""How the mode of a key is read, on hand-built pitch-class profiles: the rule of
``analysis.key`` alone, where the clips of ``test_engine`` hold it among the others."""

from __future__ import annotations

import numpy as np

from analysis import key

# C minor by its harmonic minor: C, D, Eb, F, G, Ab and the raised seventh B, loud on the
# tonic, the second and the fifth (i - V7 - i). Summed as a whole-track profile, the raised
# seventh, the second and the weak flat seventh are C major's too, and so is the correlation.
HARMONIC_MINOR = np.array([1.00, 0.27, 0.75, 0.53, 0.36, 0.59, 0.29, 0.88, 0.46, 0.42, 0.28, 0.58])
# C major: E over Eb.
MAJOR = np.array([1.00, 0.20, 0.60, 0.25, 0.80, 0.60, 0.20, 0.90, 0.20, 0.60, 0.20, 0.50])


def _chroma(profile: np.ndarray) -> key.Chroma:
    frames = np.tile(profile.astype(np.float32), (16, 1))
    return key.Chroma(frames, 5.0, frames, 10.0, 0.0, bass=np.zeros_like(frames))


def test_a_minor_third_louder_than_the_major_makes_the_key_minor_whatever_the_correlation() -> None:
    assert key._profile_key(HARMONIC_MINOR)[:2] == (0, False)
    found = key.estimate_key(_chroma(HARMONIC_MINOR))
    assert found is not None
    assert found.name == "C minor"


def test_a_major_third_louder_than_the_minor_keeps_the_key_major() -> None:
    found = key.estimate_key(_chroma(MAJOR))
    assert found is not None
    assert found.name == "C major"
