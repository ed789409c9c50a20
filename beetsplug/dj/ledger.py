"""The job ledger (``dj_jobs``): one row per item queued for analysis, and how it ended.

Copies of the same audio queued together share one task, so a task closes every job that
names it. The latest job of an item is that item's state in ``beet dj status``.
"""

from __future__ import annotations

import enum
import os
import time
from dataclasses import dataclass

import sqlite_utils
from beets.library import Item


class JobState(enum.StrEnum):
    """A job's state; the values are what ``dj_jobs.state`` holds."""

    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Job:
    """One item waiting for (or analysed by) a task."""

    id: int
    item_id: int
    path: str
    audio_hash: str | None  # None: queued by the import hook, hashed by the task
    priority: int


@dataclass(frozen=True)
class Failure:
    """A track that could not be analysed, and why."""

    path: str
    reason: str


def add_job(
    db: sqlite_utils.Database,
    item: Item,
    audio_hash: str | None,
    task_id: str | None,
    priority: int = 0,
    state: JobState = JobState.QUEUED,
    reason: str | None = None,
) -> Job:
    """Record a job for an item of the library; one already closed (``state`` done or failed)
    gets its finishing time."""
    if item.id is None:
        raise ValueError("only an item of the library has jobs")
    item_id, path = item.id, os.fsdecode(item.path)
    now = time.time()
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
                state.value,
                reason,
                now,
                None if state is JobState.QUEUED else now,
            ),
        )
    return Job(int(cursor.lastrowid or 0), item_id, path, audio_hash, priority)


def open_task_ids(db: sqlite_utils.Database) -> list[str]:
    """The tasks some queued job waits for."""
    rows = db.execute(
        "SELECT DISTINCT task_id FROM dj_jobs WHERE state = ? AND task_id IS NOT NULL",
        (JobState.QUEUED.value,),
    ).fetchall()
    return [row[0] for row in rows]


def jobs_of_task(db: sqlite_utils.Database, task_id: str) -> list[Job]:
    """The queued jobs a task will close."""
    cursor = db.execute(
        "SELECT id, item_id, path, audio_hash, priority FROM dj_jobs"
        " WHERE task_id = ? AND state = ?",
        (task_id, JobState.QUEUED.value),
    )
    return [Job(*row) for row in cursor]


def queued_task_for_hash(db: sqlite_utils.Database, audio_hash: str) -> str | None:
    """The task already computing ``audio_hash``, if any: copies ride along with it."""
    row = db.execute(
        "SELECT task_id FROM dj_jobs WHERE audio_hash = ? AND state = ? LIMIT 1",
        (audio_hash, JobState.QUEUED.value),
    ).fetchone()
    return row[0] if row else None


def finish_jobs(
    db: sqlite_utils.Database, job_ids: list[int], state: JobState, reason: str | None = None
) -> None:
    """Close jobs as done, or failed with ``reason``."""
    now = time.time()
    with db.conn:
        db.conn.executemany(
            "UPDATE dj_jobs SET state = ?, reason = ?, finished_at = ? WHERE id = ?",
            [(state.value, reason, now, job_id) for job_id in job_ids],
        )


def retask(db: sqlite_utils.Database, old_task_id: str, new_task_id: str) -> None:
    """Point the queued jobs of a lost task at the task queued in its place."""
    with db.conn:
        db.conn.execute(
            "UPDATE dj_jobs SET task_id = ? WHERE task_id = ? AND state = ?",
            (new_task_id, old_task_id, JobState.QUEUED.value),
        )


def counts(db: sqlite_utils.Database) -> dict[JobState, int]:
    """How many items are in each state, by their latest job."""
    rows = db.execute(
        "SELECT state, COUNT(*) FROM dj_jobs WHERE id IN"
        " (SELECT MAX(id) FROM dj_jobs GROUP BY item_id) GROUP BY state"
    ).fetchall()
    found = {JobState(state): count for state, count in rows}
    return {state: found.get(state, 0) for state in JobState}


def failures(db: sqlite_utils.Database, limit: int = 50) -> list[Failure]:
    """The items whose latest job failed, most recent first."""
    rows = db.execute(
        "SELECT path, reason FROM dj_jobs WHERE state = ? AND id IN"
        " (SELECT MAX(id) FROM dj_jobs GROUP BY item_id) ORDER BY finished_at DESC LIMIT ?",
        (JobState.FAILED.value, limit),
    ).fetchall()
    return [Failure(path, reason) for path, reason in rows]


def open_count(db: sqlite_utils.Database, job_ids: list[int]) -> int:
    """How many of these jobs are still queued."""
    if not job_ids:
        return 0
    marks = ",".join("?" * len(job_ids))
    row = db.execute(
        f"SELECT COUNT(*) FROM dj_jobs WHERE state = ? AND id IN ({marks})",
        (JobState.QUEUED.value, *job_ids),
    ).fetchone()
    return int(row[0])


def failures_among(db: sqlite_utils.Database, job_ids: list[int]) -> list[Failure]:
    """The failed ones of these jobs."""
    if not job_ids:
        return []
    marks = ",".join("?" * len(job_ids))
    rows = db.execute(
        f"SELECT path, reason FROM dj_jobs WHERE state = ? AND id IN ({marks}) ORDER BY id",
        (JobState.FAILED.value, *job_ids),
    ).fetchall()
    return [Failure(path, reason) for path, reason in rows]
