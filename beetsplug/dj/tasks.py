"""The Huey side: one compute-only task, path + audio hash -> analysis payload.

Tasks touch neither beets' database nor the sidecar, so a worker can run on any machine that
sees the same files (with the Redis backend). What a task returns is applied by the one writer
(``apply.Applier``) on the library's machine.

Failures that retrying cannot fix (missing file, corrupt or undecodable audio) come back as
``{"error": reason}`` at once; I/O errors that pass (a network share reconnecting, a busy disk)
and anything unexpected raise, and Huey retries with exponential backoff before storing the
error. A running task holds a lease
(``beetcrate.queue.lease``), so a task that died with its worker is found and queued again.
"""

from __future__ import annotations

import errno
import os
from typing import Any

from huey.api import Task

from analysis.engine import AnalysisError, analyze
from beetcrate.audiohash import audio_hash
from beetcrate.media import MediaError
from beetcrate.queue import huey, lease
from beetsplug.dj.store import encode

RETRIES = 3
RETRY_DELAY = 10  # seconds, doubled at each retry
USER_PRIORITY = 10  # an explicit ``beet dj analyze`` goes before the import backlog (0)
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


def compute(path: str, expected_hash: str | None, preferred: tuple[float, float]) -> dict[str, Any]:
    """Analyse ``path``; the payload, or ``{"error": reason}`` for a file that cannot be."""
    if not os.path.exists(path):
        return {"error": f"file not found: {path}"}
    try:
        found = audio_hash(path)
        if expected_hash and found != expected_hash:
            return {"error": f"the audio of {path} changed since it was queued"}
        payload = encode(analyze(path, preferred_tempo=preferred))
    except (MediaError, AnalysisError) as exc:
        if _is_transient(exc):
            raise
        return {"error": _one_line(exc)}
    return {**payload, "audio_hash": found}


def compute_inline(
    path: str, expected_hash: str | None, preferred: tuple[float, float]
) -> dict[str, Any]:
    """``compute`` for ``beet dj analyze --now``, which has no retries: an error of any kind is
    that track's failure (a rerun resumes), never the end of a library-wide run."""
    try:
        return compute(path, expected_hash, preferred)
    except Exception as exc:  # reported per track, with its reason
        return {"error": _one_line(exc)}


def _one_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@huey.task(retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=2, context=True)
def analyze_file(
    path: str,
    expected_hash: str | None,
    preferred: tuple[float, float],
    lease_seconds: float,
    task: Task,
) -> dict[str, Any]:
    with lease(task.id, lease_seconds):
        return compute(path, expected_hash, preferred)
