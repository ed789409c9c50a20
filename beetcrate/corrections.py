"""Whose tempo and key a track carries: the DJ analysis' or the user's correction.

The analysis writes beets' ``bpm`` (its precise tempo, rounded) and ``initial_key`` (the key its
``camelot`` names) beside its own readings ``bpm_precise`` and ``camelot``. Where beets' field no
longer matches the reading, someone changed it after the analysis (``beet modify bpm=86``): that
value is the track's, for the crates and against a new analysis, which must not overwrite it.
"""

from __future__ import annotations

from beetcrate.crates.keys import Key, maybe_key


def tempo_corrected(bpm: int | None, bpm_precise: float | None) -> bool:
    """Whether beets' ``bpm`` is not the analysis' tempo rounded (or the analysis has none)."""
    if not bpm:
        return False
    return bpm_precise is None or abs(bpm - bpm_precise) > 0.5


def key_corrected(initial_key: str | None, camelot: str | None) -> bool:
    """Whether beets' ``initial_key`` is not the key the analysis read (or it read none)."""
    if not initial_key:
        return False
    written = maybe_key(camelot)
    return written is None or maybe_key(initial_key) != written


def tempo(bpm: int | None, bpm_precise: float | None) -> float | None:
    """The track's tempo: the user's where corrected, else the analysis' precise one, else the
    tag's (None when unknown: a tag of 0)."""
    if tempo_corrected(bpm, bpm_precise):
        return float(bpm or 0)
    return bpm_precise


def key(initial_key: str | None, camelot: str | None, openkey: str | None) -> Key | None:
    """The track's key: ``initial_key`` where it names one (the analysis writes its own key there
    too, and a correction stays), else the analysis' Camelot or Open Key."""
    for text in (initial_key, camelot, openkey):
        if (found := maybe_key(text)) is not None:
            return found
    return None
