"""The Huey side: one compute-only task, ``AnalysisRequest`` -> ``AnalysisResult``.

Tasks touch neither beets' database nor the sidecar, so a worker can run on any machine that
sees the same files (with the Redis backend). What a task returns is applied by the one writer
(``apply.Applier``) on the library's machine.

Failures that retrying cannot fix (missing file, corrupt or undecodable audio) come back as an
``AnalysisFailure`` at once; I/O errors that pass (a network share reconnecting, a busy disk)
and anything unexpected raise, and Huey retries with exponential backoff before storing the
error. A running task holds a lease (``beetcrate.queue.lease``), so a task that died with its
worker is found and queued again.
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING, Any

import numpy as np
from huey.api import Task

from analysis import waveform
from beetcrate.audiohash import audio_hash
from beetcrate.media import MediaError
from beetcrate.queue import huey, lease
from beetcrate.settings import QueueSettings
from beetsplug.dj.messages import (
    AnalysisFailure,
    AnalysisPayload,
    AnalysisRequest,
    AnalysisResult,
    PackedWaveform,
)

if TYPE_CHECKING:
    from analysis.engine import Analysis

RETRIES = 3
RETRY_DELAY = 10  # seconds, doubled at each retry
# Huey runs higher priorities first: an explicit ``beet dj analyze`` before the import backlog.
IMPORT_PRIORITY = 0
USER_PRIORITY = 10
TRANSIENT_ERRNOS = frozenset(
    {
        errno.EIO,
        errno.ESTALE,
        errno.ETIMEDOUT,
        errno.EAGAIN,
        errno.EBUSY,
        errno.EINTR,
        errno.ENOTCONN,
        errno.ECONNRESET,
        errno.EHOSTDOWN,
        errno.EHOSTUNREACH,
    }
)


def _is_transient(exc: BaseException) -> bool:
    """Whether an error was caused, down its chain, by an I/O error that may pass."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno in TRANSIENT_ERRNOS:
            return True
        cause = cause.__cause__
    return False


def encode(analysis: Analysis, audio_hash: str) -> AnalysisPayload:
    """The plain, picklable payload of an analysis (what a task returns)."""
    return AnalysisPayload(
        audio_hash=audio_hash,
        analysis_version=analysis.analysis_version,
        features={**analysis.scalars(), "cues": [cue.as_dict() for cue in analysis.cues]},
        beats=_floats(analysis.rhythm.beats),
        downbeats=_floats(analysis.rhythm.downbeats),
        waveforms=tuple(
            PackedWaveform(level.points, waveform.pack(level)) for level in analysis.waveforms
        ),
    )


def _floats(values: np.ndarray) -> bytes:
    return np.asarray(values, dtype="<f8").tobytes()


def compute(request: AnalysisRequest) -> AnalysisResult:
    """Analyse the requested file; an ``AnalysisFailure`` for a file that cannot be."""
    # The engine (librosa, scipy, essentia) loads with the first analysis, not with the queue:
    # commands that only queue or report (and the import hook) start without it.
    from analysis.engine import AnalysisError, analyze

    path = request.path
    if not os.path.exists(path):
        return AnalysisFailure(f"file not found: {path}")
    try:
        found = audio_hash(path)
        if request.expected_hash and found != request.expected_hash:
            return AnalysisFailure(f"the audio of {path} changed since it was queued")
        return encode(analyze(path, preferred_tempo=request.preferred_tempo), found)
    except (MediaError, AnalysisError) as exc:
        if _is_transient(exc):
            raise
        return AnalysisFailure.of(exc)


def compute_inline(request: AnalysisRequest) -> AnalysisResult:
    """``compute`` for ``beet dj analyze --now``, which has no retries: an error of any kind is
    that track's failure (a rerun resumes), never the end of a library-wide run."""
    try:
        return compute(request)
    except Exception as exc:  # reported per track, with its reason
        return AnalysisFailure.of(exc)


def _legacy_request(path: str, arguments: tuple[Any, ...]) -> AnalysisRequest:
    """A task queued by a version before AnalysisRequest: (path, expected hash, preferred
    tempo), with the lease time it then had."""
    expected_hash, (low, high) = arguments
    return AnalysisRequest(
        path, expected_hash, (float(low), float(high)), QueueSettings().lease_seconds
    )


@huey.task(retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=2, context=True)
def analyze_file(request: AnalysisRequest | str, *legacy: Any, task: Task) -> AnalysisResult:
    if isinstance(request, str):
        request = _legacy_request(request, legacy)
    with lease(task.id, request.lease_seconds):
        return compute(request)
