"""What travels through the queue: the analysis task's request and its result.

``AnalysisRequest`` goes from whoever queues a track to the worker; the worker answers with an
``AnalysisPayload`` or an ``AnalysisFailure``, which the writer applies. Huey pickles them, so
they are frozen dataclasses of plain values, and their module and names are part of what a
queue holds: renaming one turns the results already waiting into unreadable ones (``as_result``
then reports them as failures).

Kept free of heavy imports: the server reads payloads through ``store``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A range of tempi (BPM) that resolves octave ambiguity: 85 or 170?
TempoRange = tuple[float, float]


@dataclass(frozen=True)
class AnalysisRequest:
    """Analyse the audio at ``path``, provided it still is the audio that was hashed."""

    path: str
    expected_hash: str | None  # None: whatever the file holds now (the import hook)
    preferred_tempo: TempoRange
    lease_seconds: float  # how long the running task's lease lasts without renewal


@dataclass(frozen=True)
class PackedWaveform:
    """One zoom level, packed as ``analysis.waveform.pack`` does."""

    points: int
    data: bytes


@dataclass(frozen=True)
class AnalysisPayload:
    """An analysis in the shape the sidecar stores it."""

    audio_hash: str
    analysis_version: int
    # The scalar features and the cue points, JSON-ready (``Analysis.scalars`` plus ``cues``).
    features: dict[str, Any]
    beats: bytes  # seconds, little-endian float64
    downbeats: bytes
    waveforms: tuple[PackedWaveform, ...]  # by zoom level, coarsest first


@dataclass(frozen=True)
class AnalysisFailure:
    """The track cannot be analysed; ``reason`` says why in one line."""

    reason: str

    @classmethod
    def of(cls, error: object) -> AnalysisFailure:
        """The failure an error stands for: the first line of its message, or its type's name
        when it has none."""
        text = str(error)
        return cls(text.splitlines()[0] if text else type(error).__name__)


AnalysisResult = AnalysisPayload | AnalysisFailure


def as_result(value: object) -> AnalysisResult:
    """A task's stored result as this version reads it; anything else (a result stored by an
    older beetcrate) is a failure that says what to do."""
    if isinstance(value, AnalysisPayload | AnalysisFailure):
        return value
    return AnalysisFailure("a result this version cannot read: run beet dj analyze again")
