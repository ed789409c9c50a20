"""The DJ sidecar: analysis arrays keyed by audio hash, and the job ledger of the queue.

Tables (component ``dj`` of ``beetcrate.sidecar``):

- ``dj_analysis``: one row per audio hash (so copies of a track share it): the engine version,
  the scalar features and cue points as JSON, beats and downbeats as little-endian float64;
- ``dj_waveforms``: one packed waveform per audio hash and zoom level (see
  ``analysis.waveform``);
- ``dj_jobs``: one row per item queued: its Huey task id, state (queued, done, failed) and
  the reason of a failure.

``encode`` turns an ``Analysis`` into the plain payload a task returns; ``save`` writes a
payload in one transaction, so a reader never sees half an analysis; ``load_features`` is the
read function the server uses.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from analysis import waveform
from analysis.engine import ANALYSIS_VERSION, Analysis
from beetcrate import sidecar

QUEUED, DONE, FAILED = "queued", "done", "failed"


def _create_tables(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE dj_analysis ("
        " audio_hash TEXT PRIMARY KEY, analysis_version INTEGER NOT NULL,"
        " features TEXT NOT NULL, beats BLOB NOT NULL, downbeats BLOB NOT NULL,"
        " analyzed_at REAL NOT NULL)"
    )
    db.execute(
        "CREATE TABLE dj_waveforms ("
        " audio_hash TEXT NOT NULL REFERENCES dj_analysis (audio_hash) ON DELETE CASCADE,"
        " zoom INTEGER NOT NULL, points INTEGER NOT NULL, data BLOB NOT NULL,"
        " PRIMARY KEY (audio_hash, zoom))"
    )
    db.execute(
        "CREATE TABLE dj_jobs ("
        " id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, path TEXT NOT NULL,"
        " audio_hash TEXT, task_id TEXT, priority INTEGER NOT NULL DEFAULT 0,"
        " state TEXT NOT NULL, reason TEXT, queued_at REAL NOT NULL, finished_at REAL)"
    )
    db.execute("CREATE INDEX dj_jobs_state ON dj_jobs (state, task_id)")


MIGRATIONS = [_create_tables]


def open_store(path: str | Path) -> sqlite_utils.Database:
    db = sidecar.connect(path)
    sidecar.migrate(db, "dj", MIGRATIONS)
    return db


def _floats(values: np.ndarray) -> bytes:
    return np.asarray(values, dtype="<f8").tobytes()


def encode(analysis: Analysis) -> dict[str, Any]:
    """The plain, picklable payload of an analysis (what a task returns)."""
    return {
        "analysis_version": analysis.analysis_version,
        "features": {**analysis.scalars(), "cues": [cue.as_dict() for cue in analysis.cues]},
        "beats": _floats(analysis.rhythm.beats),
        "downbeats": _floats(analysis.rhythm.downbeats),
        "waveforms": [waveform.pack(level) for level in analysis.waveforms],
    }


def save(db: sqlite_utils.Database, audio_hash: str, payload: dict[str, Any]) -> None:
    with db.conn:
        db.conn.execute("DELETE FROM dj_analysis WHERE audio_hash = ?", (audio_hash,))
        db.conn.execute(
            "INSERT INTO dj_analysis VALUES (?, ?, ?, ?, ?, ?)",
            (
                audio_hash,
                payload["analysis_version"],
                json.dumps(payload["features"]),
                payload["beats"],
                payload["downbeats"],
                time.time(),
            ),
        )
        for zoom, data in enumerate(payload["waveforms"]):
            points = waveform.unpack(data).points
            db.conn.execute(
                "INSERT INTO dj_waveforms VALUES (?, ?, ?, ?)", (audio_hash, zoom, points, data)
            )


def stored_version(db: sqlite_utils.Database, audio_hash: str) -> int | None:
    row = db.execute(
        "SELECT analysis_version FROM dj_analysis WHERE audio_hash = ?", (audio_hash,)
    ).fetchone()
    return row[0] if row else None


def is_current(db: sqlite_utils.Database, audio_hash: str) -> bool:
    return stored_version(db, audio_hash) == ANALYSIS_VERSION


def load_payload(db: sqlite_utils.Database, audio_hash: str) -> dict[str, Any] | None:
    """A stored analysis in the shape ``encode`` gives, or None."""
    row = db.execute(
        "SELECT analysis_version, features, beats, downbeats FROM dj_analysis WHERE audio_hash = ?",
        (audio_hash,),
    ).fetchone()
    if row is None:
        return None
    levels = db.execute(
        "SELECT data FROM dj_waveforms WHERE audio_hash = ? ORDER BY zoom", (audio_hash,)
    ).fetchall()
    return {
        "analysis_version": row[0],
        "features": json.loads(row[1]),
        "beats": row[2],
        "downbeats": row[3],
        "waveforms": [level[0] for level in levels],
    }


def load_features(db: sqlite_utils.Database, audio_hash: str) -> dict[str, Any] | None:
    """Everything known about a track but its waveforms, JSON-ready; None if not analysed.

    Keys: the scalar features (``bpm``, ``key``, ``camelot``, ``openkey``, ``key_strength``,
    ``lufs``, ``loudness_range``, ``true_peak``, ``replaygain_track_gain``, ``energy``,
    ``danceability``, ...), ``cues`` (list of {time, kind, bar}), ``beats`` and ``downbeats``
    (lists of seconds) and ``analysis_version``.
    """
    payload = load_payload(db, audio_hash)
    if payload is None:
        return None
    return {
        **payload["features"],
        "analysis_version": payload["analysis_version"],
        "beats": _times(payload["beats"]),
        "downbeats": _times(payload["downbeats"]),
    }


def _times(data: bytes) -> list[float]:
    return [round(float(t), 4) for t in np.frombuffer(data, dtype="<f8")]


def load_waveform(db: sqlite_utils.Database, audio_hash: str, zoom: int) -> bytes | None:
    """A packed waveform (``analysis.waveform.unpack`` reads it), zoom 0, 1 or 2."""
    row = db.execute(
        "SELECT data FROM dj_waveforms WHERE audio_hash = ? AND zoom = ?", (audio_hash, zoom)
    ).fetchone()
    return row[0] if row else None


# The job ledger.


def add_job(
    db: sqlite_utils.Database,
    item_id: int,
    path: str,
    audio_hash: str | None,
    task_id: str | None,
    priority: int,
    state: str = QUEUED,
    reason: str | None = None,
) -> int:
    with db.conn:
        cursor = db.conn.execute(
            "INSERT INTO dj_jobs (item_id, path, audio_hash, task_id, priority, state, reason,"
            " queued_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item_id,
                path,
                audio_hash,
                task_id,
                priority,
                state,
                reason,
                time.time(),
                None if state == QUEUED else time.time(),
            ),
        )
    return int(cursor.lastrowid)


def open_task_ids(db: sqlite_utils.Database) -> list[str]:
    rows = db.execute(
        "SELECT DISTINCT task_id FROM dj_jobs WHERE state = ? AND task_id IS NOT NULL", (QUEUED,)
    ).fetchall()
    return [row[0] for row in rows]


def jobs_of_task(db: sqlite_utils.Database, task_id: str) -> list[dict[str, Any]]:
    cursor = db.execute(
        "SELECT id, item_id, path, audio_hash FROM dj_jobs WHERE task_id = ? AND state = ?",
        (task_id, QUEUED),
    )
    return [dict(zip(("id", "item_id", "path", "audio_hash"), row, strict=True)) for row in cursor]


def queued_job_for_hash(db: sqlite_utils.Database, audio_hash: str) -> str | None:
    """The task already computing ``audio_hash``, if any: copies ride along with it."""
    row = db.execute(
        "SELECT task_id FROM dj_jobs WHERE audio_hash = ? AND state = ? LIMIT 1",
        (audio_hash, QUEUED),
    ).fetchone()
    return row[0] if row else None


def finish_jobs(
    db: sqlite_utils.Database, job_ids: list[int], state: str, reason: str | None = None
) -> None:
    with db.conn:
        db.conn.executemany(
            "UPDATE dj_jobs SET state = ?, reason = ?, finished_at = ? WHERE id = ?",
            [(state, reason, time.time(), job_id) for job_id in job_ids],
        )


def retask(db: sqlite_utils.Database, old_task_id: str, new_task_id: str) -> None:
    with db.conn:
        db.conn.execute(
            "UPDATE dj_jobs SET task_id = ? WHERE task_id = ? AND state = ?",
            (new_task_id, old_task_id, QUEUED),
        )


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    rows = db.execute(
        "SELECT state, COUNT(*) FROM dj_jobs WHERE id IN"
        " (SELECT MAX(id) FROM dj_jobs GROUP BY item_id) GROUP BY state"
    ).fetchall()
    return {QUEUED: 0, DONE: 0, FAILED: 0, **dict(rows)}


def failures(db: sqlite_utils.Database, limit: int = 50) -> list[tuple[str, str]]:
    """(path, reason) of the latest job of each item whose latest job failed."""
    rows = db.execute(
        "SELECT path, reason FROM dj_jobs WHERE state = ? AND id IN"
        " (SELECT MAX(id) FROM dj_jobs GROUP BY item_id) ORDER BY finished_at DESC LIMIT ?",
        (FAILED, limit),
    ).fetchall()
    return [(row[0], row[1]) for row in rows]


def open_jobs(db: sqlite_utils.Database, ids: list[int]) -> int:
    if not ids:
        return 0
    marks = ",".join("?" * len(ids))
    row = db.execute(
        f"SELECT COUNT(*) FROM dj_jobs WHERE state = ? AND id IN ({marks})", (QUEUED, *ids)
    ).fetchone()
    return int(row[0])
