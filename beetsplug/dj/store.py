"""The DJ sidecar: its tables, and the analyses stored in them by audio hash.

Tables (component ``dj`` of ``beetcrate.sidecar``):

- ``dj_analysis``: one row per audio hash (so copies of a track share it): the engine version,
  the scalar features and cue points as JSON, beats and downbeats as little-endian float64;
- ``dj_waveforms``: one packed waveform per audio hash and zoom level (see
  ``analysis.waveform``);
- ``dj_jobs``: one row per item queued; ``beetsplug.dj.ledger`` keeps it.

``save`` writes a payload in one transaction, so a reader never sees half an analysis;
``load_features`` and ``load_waveform`` are the reads the server uses. This module is what the
server imports: it stays free of the engine and the queue.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from beetcrate import sidecar
from beetsplug.dj.messages import AnalysisPayload, PackedWaveform


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
    """The sidecar at ``path``, with the DJ tables created if they are not there yet."""
    db = sidecar.connect(path)
    sidecar.migrate(db, "dj", MIGRATIONS)
    return db


def save(db: sqlite_utils.Database, payload: AnalysisPayload) -> None:
    """Store an analysis under its audio hash, replacing an older one."""
    with db.conn:
        db.conn.execute("DELETE FROM dj_analysis WHERE audio_hash = ?", (payload.audio_hash,))
        db.conn.execute(
            "INSERT INTO dj_analysis VALUES (?, ?, ?, ?, ?, ?)",
            (
                payload.audio_hash,
                payload.analysis_version,
                json.dumps(payload.features),
                payload.beats,
                payload.downbeats,
                time.time(),
            ),
        )
        db.conn.executemany(
            "INSERT INTO dj_waveforms VALUES (?, ?, ?, ?)",
            [
                (payload.audio_hash, zoom, level.points, level.data)
                for zoom, level in enumerate(payload.waveforms)
            ],
        )


def stored_version(db: sqlite_utils.Database, audio_hash: str) -> int | None:
    """The engine version of the analysis stored for ``audio_hash``, if any."""
    row = db.execute(
        "SELECT analysis_version FROM dj_analysis WHERE audio_hash = ?", (audio_hash,)
    ).fetchone()
    return row[0] if row else None


def _analysis_row(db: sqlite_utils.Database, audio_hash: str) -> tuple[Any, ...] | None:
    return db.execute(
        "SELECT analysis_version, features, beats, downbeats FROM dj_analysis WHERE audio_hash = ?",
        (audio_hash,),
    ).fetchone()


def load_payload(db: sqlite_utils.Database, audio_hash: str) -> AnalysisPayload | None:
    """The analysis stored for ``audio_hash``, as a task returned it, or None."""
    row = _analysis_row(db, audio_hash)
    if row is None:
        return None
    levels = db.execute(
        "SELECT points, data FROM dj_waveforms WHERE audio_hash = ? ORDER BY zoom", (audio_hash,)
    ).fetchall()
    return AnalysisPayload(
        audio_hash=audio_hash,
        analysis_version=row[0],
        features=json.loads(row[1]),
        beats=row[2],
        downbeats=row[3],
        waveforms=tuple(PackedWaveform(points, data) for points, data in levels),
    )


def load_features(db: sqlite_utils.Database, audio_hash: str) -> dict[str, Any] | None:
    """Everything known about a track but its waveforms, JSON-ready; None if not analysed.

    Keys: the scalar features (``bpm``, ``key``, ``camelot``, ``openkey``, ``key_strength``,
    ``lufs``, ``loudness_range``, ``true_peak``, ``replaygain_track_gain``, ``energy``,
    ``danceability``, ...), ``cues`` (list of {time, kind, bar}), ``beats`` and ``downbeats``
    (lists of seconds) and ``analysis_version``.
    """
    row = _analysis_row(db, audio_hash)
    if row is None:
        return None
    return {
        **json.loads(row[1]),
        "analysis_version": row[0],
        "beats": _times(row[2]),
        "downbeats": _times(row[3]),
    }


def _times(data: bytes) -> list[float]:
    return [round(float(t), 4) for t in np.frombuffer(data, dtype="<f8")]


def load_waveform(db: sqlite_utils.Database, audio_hash: str, zoom: int) -> bytes | None:
    """A packed waveform (``analysis.waveform.unpack`` reads it), zoom 0, 1 or 2."""
    row = db.execute(
        "SELECT data FROM dj_waveforms WHERE audio_hash = ? AND zoom = ?", (audio_hash, zoom)
    ).fetchone()
    return row[0] if row else None
