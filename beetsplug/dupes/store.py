"""The duplicate finder's tables in the sidecar database, and the server's one question.

- ``dupes_fingerprints``: one fingerprint per audio hash (copies share it) as the matching
  reads it (its sub-fingerprints, decoded), with the audible duration and whether it has been
  matched against the others yet. Written by the scan. The fingerprint as Chromaprint encodes it
  is the shared core's (``beetcrate.fingerprints``, table ``fingerprints``), kept once.
- ``dupes_edges``: pairs of audio hashes found to be the same recording or related.
- ``dupes_groups`` / ``dupes_members``: the current groups, their canonical member and why.
  Edges and groups are written by ``group.regroup`` (after a scan, a resolution or an undo).
- ``dupes_actions``: the journal of resolutions (read and written by ``journal``).
- ``dupes_jobs``: scans on the queue, counting down the batches left; a job whose count reached
  zero owes its regroup (and names the task doing it) until the regroup ends and removes it.
- ``dupes_batches``: the batches of those scans not done yet, and the task carrying each: a
  batch lost with a killed worker is queued again from here.

The server imports this module for ``hidden_item_ids``, so it imports nothing of the plugin's
but its types: no beets, no scanner, no resolver.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from beetcrate import sidecar
from beetsplug.dupes.model import Edge, Group, GroupKind, Member, Relation, StoredGroup


def _initial(db: sqlite_utils.Database) -> None:
    sidecar.run_script(
        db,
        """
        CREATE TABLE dupes_fingerprints (
            audio_hash TEXT PRIMARY KEY,
            encoded TEXT NOT NULL,
            fingerprint BLOB NOT NULL,
            duration REAL NOT NULL,
            matched INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE dupes_edges (
            a TEXT NOT NULL,
            b TEXT NOT NULL,
            relation TEXT NOT NULL,
            similarity REAL NOT NULL,
            PRIMARY KEY (a, b)
        );
        CREATE INDEX dupes_edges_b ON dupes_edges (b);
        CREATE TABLE dupes_groups (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            similarity REAL NOT NULL,
            canonical_id INTEGER NOT NULL,
            explanation TEXT NOT NULL
        );
        CREATE TABLE dupes_members (
            group_id INTEGER NOT NULL REFERENCES dupes_groups (id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL,
            path TEXT NOT NULL,
            audio_hash TEXT NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (group_id, item_id)
        );
        CREATE INDEX dupes_members_item ON dupes_members (item_id);
        CREATE TABLE dupes_actions (
            id INTEGER PRIMARY KEY,
            group_id INTEGER NOT NULL,
            created TEXT NOT NULL DEFAULT (datetime('now')),
            state TEXT NOT NULL,
            plan TEXT NOT NULL,
            log TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE dupes_jobs (
            id INTEGER PRIMARY KEY,
            remaining INTEGER NOT NULL
        );
        """,
    )


def _batches(db: sqlite_utils.Database) -> None:
    sidecar.run_script(
        db,
        """
        CREATE TABLE dupes_batches (
            task_id TEXT PRIMARY KEY,
            job_id INTEGER NOT NULL,
            job TEXT NOT NULL,
            item_ids TEXT NOT NULL
        );
        """,
    )


def _rematch_all(db: sqlite_utils.Database) -> None:
    """What matches changed (issue 15: the stable-half index, the thresholds, the steadiness
    rule; then the drift rule in its place; then the hits' timing): every fingerprint is matched
    again at the next regroup, so stored edges agree with the rules ``show --near`` explains."""
    sidecar.run_script(
        db,
        """
        DELETE FROM dupes_edges;
        UPDATE dupes_fingerprints SET matched = 0;
        """,
    )


def _owed_regroups(db: sqlite_utils.Database) -> None:
    """A job keeps what its regroup needs and the task that regroups it: a worker killed after
    the last batch counted and before the regroup ended leaves the job to be regrouped again."""
    sidecar.run_script(
        db,
        """
        ALTER TABLE dupes_jobs ADD COLUMN job TEXT;
        ALTER TABLE dupes_jobs ADD COLUMN regrouping_task TEXT;
        """,
    )


def _encoded_once(db: sqlite_utils.Database) -> None:
    """The encoded fingerprint was kept twice, here and in the core's ``fingerprints`` table:
    the core keeps it (any it lacks is copied there, as computed by its first algorithm), and
    the scan fingerprints again an audio whose encoded fingerprint the core does not hold."""
    if db["fingerprints"].exists():
        db.execute(
            "INSERT OR IGNORE INTO fingerprints (audio_hash, algorithm, encoded, duration)"
            " SELECT audio_hash, 1, encoded, duration FROM dupes_fingerprints WHERE encoded != ''"
        )
    db.execute("ALTER TABLE dupes_fingerprints DROP COLUMN encoded")


MIGRATIONS = [
    _initial,
    _batches,
    _rematch_all,
    _owed_regroups,
    _rematch_all,
    _encoded_once,
    _rematch_all,
]


def open_store(path: str | Path) -> sqlite_utils.Database:
    """The sidecar database with the duplicate finder's tables in place."""
    db = sidecar.connect(path)
    sidecar.migrate(db, "dupes", MIGRATIONS)
    return db


def hidden_item_ids(db: sqlite_utils.Database) -> set[int]:
    """beets item ids of the non-canonical members of exact-audio groups.

    For the server's ``hide_duplicates`` option: those items carry byte-identical audio to a
    canonical copy that stays visible, so hiding them from browsing and search loses nothing.
    Empty when the duplicate finder has never run on this database.
    """
    if not db["dupes_groups"].exists():
        return set()
    rows = db.execute(
        "SELECT m.item_id FROM dupes_members m JOIN dupes_groups g ON g.id = m.group_id"
        " WHERE g.kind = ? AND m.item_id != g.canonical_id",
        (GroupKind.EXACT.value,),
    ).fetchall()
    return {row[0] for row in rows}


def replaced_items(db: sqlite_utils.Database) -> dict[int, int]:
    """The canonical item each removed copy was merged into, by ``beet dupes resolve``.

    For the server, whose users' stars and plays of a removed copy move to its canonical copy.
    Read from the journal of every resolution that removed items from beets (applied, purged,
    or pending after a crash; rolled back and undone ones put their items back).
    """
    if not db["dupes_actions"].exists():
        return {}
    # journal.ActionState's values, and its NO_PLAN (the journal module is not a read module).
    rows = db.execute(
        "SELECT json_extract(m.value, '$.item_id'), json_extract(a.plan, '$.keep_id')"
        " FROM dupes_actions a, json_each(a.plan, '$.moves') m"
        " WHERE a.state IN ('pending', 'applied', 'purged') AND a.plan != '{}' ORDER BY a.id"
    ).fetchall()
    return {int(removed): int(keep) for removed, keep in rows}


# Fingerprints ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFingerprint:
    values: np.ndarray  # Chromaprint's uint32 sub-fingerprints
    duration: float  # seconds of audible audio
    matched: bool  # already compared with every fingerprint stored before it


def save_fingerprint(
    db: sqlite_utils.Database, audio_hash: str, values: np.ndarray, duration: float
) -> None:
    with db.conn:
        db.execute(
            "INSERT OR IGNORE INTO dupes_fingerprints (audio_hash, fingerprint, duration)"
            " VALUES (?, ?, ?)",
            (audio_hash, values.astype("<u4").tobytes(), duration),
        )


def has_fingerprint(db: sqlite_utils.Database, audio_hash: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM dupes_fingerprints WHERE audio_hash = ?", (audio_hash,)
    ).fetchone()
    return row is not None


def load_fingerprints(
    db: sqlite_utils.Database, hashes: Iterable[str]
) -> dict[str, StoredFingerprint]:
    """The stored fingerprint of each of ``hashes`` that has one."""
    wanted = set(hashes)
    found = {}
    for audio_hash, blob, duration, matched in db.execute(
        "SELECT audio_hash, fingerprint, duration, matched FROM dupes_fingerprints"
    ):
        if audio_hash in wanted:
            found[audio_hash] = StoredFingerprint(
                np.frombuffer(blob, "<u4"), duration, bool(matched)
            )
    return found


def mark_matched(db: sqlite_utils.Database, hashes: Iterable[str]) -> None:
    with db.conn:
        db.conn.executemany(
            "UPDATE dupes_fingerprints SET matched = 1 WHERE audio_hash = ?",
            [(h,) for h in hashes],
        )


# Edges ----------------------------------------------------------------------------------------


def save_edges(db: sqlite_utils.Database, edges: Iterable[Edge]) -> None:
    with db.conn:
        db.conn.executemany(
            "INSERT OR REPLACE INTO dupes_edges (a, b, relation, similarity) VALUES (?, ?, ?, ?)",
            [(min(e.a, e.b), max(e.a, e.b), e.relation.value, e.similarity) for e in edges],
        )


def edges(db: sqlite_utils.Database) -> list[Edge]:
    return [
        Edge(a, b, Relation(relation), similarity)
        for a, b, relation, similarity in db.execute(
            "SELECT a, b, relation, similarity FROM dupes_edges"
        )
    ]


# Groups ---------------------------------------------------------------------------------------


def load_groups(
    db: sqlite_utils.Database, group_ids: Iterable[int] | None = None
) -> list[StoredGroup]:
    """The stored groups (all, or those of ``group_ids``), canonical member first, in id order."""
    members: dict[int, list[Member]] = defaultdict(list)
    for group_id, item_id, path, audio_hash in db.execute(
        "SELECT group_id, item_id, path, audio_hash FROM dupes_members ORDER BY group_id, position"
    ):
        members[group_id].append(Member(item_id, path, audio_hash))
    wanted = set(group_ids) if group_ids is not None else None
    return [
        StoredGroup(
            id=group_id,
            key=key,
            kind=GroupKind(kind),
            similarity=similarity,
            canonical_id=canonical_id,
            explanation=tuple(json.loads(explanation)),
            members=tuple(members[group_id]),
        )
        for group_id, key, kind, similarity, canonical_id, explanation in db.execute(
            "SELECT id, key, kind, similarity, canonical_id, explanation FROM dupes_groups"
            " ORDER BY id"
        )
        if wanted is None or group_id in wanted
    ]


def replace_groups(db: sqlite_utils.Database, groups: Sequence[Group]) -> None:
    """Store the freshly computed ``groups``; a group keeps its id while its key is unchanged."""
    with db.conn:
        existing = dict(db.execute("SELECT key, id FROM dupes_groups").fetchall())
        fresh = {group.key for group in groups}
        for key, group_id in existing.items():
            if key not in fresh:
                db.execute("DELETE FROM dupes_groups WHERE id = ?", (group_id,))
        for group in groups:
            values = (
                group.kind.value,
                group.similarity,
                group.canonical_id,
                json.dumps(list(group.explanation)),
            )
            if group.key in existing:
                group_id = existing[group.key]
                db.execute(
                    "UPDATE dupes_groups SET kind = ?, similarity = ?, canonical_id = ?,"
                    " explanation = ? WHERE id = ?",
                    (*values, group_id),
                )
                db.execute("DELETE FROM dupes_members WHERE group_id = ?", (group_id,))
            else:
                group_id = db.execute(
                    "INSERT INTO dupes_groups (key, kind, similarity, canonical_id, explanation)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (group.key, *values),
                ).lastrowid
            db.conn.executemany(
                "INSERT INTO dupes_members (group_id, item_id, path, audio_hash, position)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (group_id, m.item_id, m.path, m.audio_hash, position)
                    for position, m in enumerate(group.members)
                ],
            )


# Queued scans ---------------------------------------------------------------------------------


def start_job(db: sqlite_utils.Database, batches: int, job: dict[str, Any]) -> int:
    """Record a queued scan of ``batches`` batches, given ``job`` (what a worker needs to redo
    it); returns its id."""
    with db.conn:
        job_id = db.execute(
            "INSERT INTO dupes_jobs (remaining, job) VALUES (?, ?)", (batches, json.dumps(job))
        ).lastrowid
    assert job_id is not None
    return job_id


@dataclass(frozen=True)
class Batch:
    """A queued batch not done yet: what its task was given, to queue it again."""

    task_id: str
    job_id: int
    job: dict[str, Any]
    item_ids: list[int]


def add_batch(db: sqlite_utils.Database, batch: Batch) -> None:
    with db.conn:
        db.execute(
            "INSERT INTO dupes_batches (task_id, job_id, job, item_ids) VALUES (?, ?, ?, ?)",
            (batch.task_id, batch.job_id, json.dumps(batch.job), json.dumps(batch.item_ids)),
        )


def open_batches(db: sqlite_utils.Database) -> list[Batch]:
    rows = db.execute("SELECT task_id, job_id, job, item_ids FROM dupes_batches").fetchall()
    return [
        Batch(task, job_id, json.loads(job), json.loads(ids)) for task, job_id, job, ids in rows
    ]


def retask_batch(db: sqlite_utils.Database, old_task_id: str, new_task_id: str) -> None:
    """The batch is carried by a new task: the old one, if it ever ends, counts for nothing."""
    with db.conn:
        db.execute(
            "UPDATE dupes_batches SET task_id = ? WHERE task_id = ?", (new_task_id, old_task_id)
        )


def finish_batch(db: sqlite_utils.Database, job_id: int, task_id: str) -> bool:
    """Count the task's batch of the job done; returns whether it was the job's last (in one
    transaction, so two workers finishing at once cannot both see it last), and then the task
    is recorded as the one regrouping the job.

    A task that no longer carries its batch (queued again as lost, yet it ended after all) counts
    nothing, so no batch counts twice. A job queued before batches were recorded has none of
    them: each of its tasks counts.
    """
    with db.conn:
        carried = db.execute("DELETE FROM dupes_batches WHERE task_id = ?", (task_id,)).rowcount
        recorded = db.execute(
            "SELECT 1 FROM dupes_batches WHERE job_id = ? LIMIT 1", (job_id,)
        ).fetchone()
        if not carried and recorded:
            return False
        db.execute(
            "UPDATE dupes_jobs SET remaining = remaining - 1,"
            " regrouping_task = CASE WHEN remaining = 1 THEN ? ELSE regrouping_task END"
            " WHERE id = ?",
            (task_id, job_id),
        )
        row = db.execute("SELECT remaining FROM dupes_jobs WHERE id = ?", (job_id,)).fetchone()
    return row is not None and row[0] == 0


@dataclass(frozen=True)
class OwedRegroup:
    """A queued scan whose batches are all done but whose regroup has not ended."""

    job_id: int
    job: dict[str, Any]
    task_id: str  # the task regrouping it (the last batch's, or a regroup queued since)


def owed_regroups(db: sqlite_utils.Database) -> list[OwedRegroup]:
    """Jobs left to regroup. A job queued before jobs kept what a regroup needs has none of it:
    it is left out (its last batch regroups it, as it always did)."""
    rows = db.execute(
        "SELECT id, job, regrouping_task FROM dupes_jobs"
        " WHERE remaining <= 0 AND job IS NOT NULL AND regrouping_task IS NOT NULL"
    ).fetchall()
    return [OwedRegroup(job_id, json.loads(job), task) for job_id, job, task in rows]


def retask_regroup(db: sqlite_utils.Database, job_id: int, task_id: str) -> None:
    """The job's regroup is carried by a new task."""
    with db.conn:
        db.execute("UPDATE dupes_jobs SET regrouping_task = ? WHERE id = ?", (task_id, job_id))


def end_job(db: sqlite_utils.Database, job_id: int) -> None:
    """The job is regrouped: nothing is owed any more."""
    with db.conn:
        db.execute("DELETE FROM dupes_jobs WHERE id = ?", (job_id,))
