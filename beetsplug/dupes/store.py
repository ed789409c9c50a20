"""The duplicate finder's tables in the sidecar database, and the server's one question.

- ``dupes_fingerprints``: one fingerprint per audio hash (copies share it), with the audible
  duration and whether it has been matched against the others yet.
- ``dupes_edges``: pairs of audio hashes found to be the same recording or related.
- ``dupes_groups`` / ``dupes_members``: the current groups, their canonical member and why.
- ``dupes_actions``: the journal of resolutions: what was planned, its state, and its log.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

import numpy as np
import sqlite_utils

from beetcrate import sidecar

EXACT = "exact-audio"
SAME_RECORDING = "same-recording"


def _initial(db: sqlite_utils.Database) -> None:
    db.executescript(
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
        """
    )


MIGRATIONS = [_initial]


def open_store(path: str | os.PathLike) -> sqlite_utils.Database:
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
        (EXACT,),
    ).fetchall()
    return {row[0] for row in rows}


def save_fingerprint(
    db: sqlite_utils.Database, audio_hash: str, encoded: str, values: np.ndarray, duration: float
) -> None:
    with db.conn:
        db.execute(
            "INSERT OR IGNORE INTO dupes_fingerprints (audio_hash, encoded, fingerprint, duration)"
            " VALUES (?, ?, ?, ?)",
            (audio_hash, encoded, values.astype("<u4").tobytes(), duration),
        )


def fingerprint_encoded(db: sqlite_utils.Database, audio_hash: str) -> str | None:
    row = db.execute(
        "SELECT encoded FROM dupes_fingerprints WHERE audio_hash = ?", (audio_hash,)
    ).fetchone()
    return row[0] if row else None


def load_fingerprints(
    db: sqlite_utils.Database, hashes: Iterable[str]
) -> dict[str, tuple[np.ndarray, float, bool]]:
    """values, duration and matched flag of each of ``hashes`` that has a fingerprint."""
    wanted = set(hashes)
    found = {}
    for audio_hash, blob, duration, matched in db.execute(
        "SELECT audio_hash, fingerprint, duration, matched FROM dupes_fingerprints"
    ):
        if audio_hash in wanted:
            found[audio_hash] = (np.frombuffer(blob, "<u4"), duration, bool(matched))
    return found


def save_edges(db: sqlite_utils.Database, edges: Iterable[tuple[str, str, str, float]]) -> None:
    with db.conn:
        db.conn.executemany(
            "INSERT OR REPLACE INTO dupes_edges (a, b, relation, similarity) VALUES (?, ?, ?, ?)",
            [(min(a, b), max(a, b), rel, sim) for a, b, rel, sim in edges],
        )


def mark_matched(db: sqlite_utils.Database, hashes: Iterable[str]) -> None:
    with db.conn:
        db.conn.executemany(
            "UPDATE dupes_fingerprints SET matched = 1 WHERE audio_hash = ?",
            [(h,) for h in hashes],
        )


def edges(db: sqlite_utils.Database) -> list[tuple[str, str, str, float]]:
    return db.execute("SELECT a, b, relation, similarity FROM dupes_edges").fetchall()


def group_rows(db: sqlite_utils.Database, group_ids: Iterable[int] | None = None) -> list[dict]:
    """Groups with their members (canonical first), as plain dicts, in id order."""
    groups = [
        dict(zip(("id", "kind", "similarity", "canonical_id", "explanation"), row, strict=True))
        for row in db.execute(
            "SELECT id, kind, similarity, canonical_id, explanation FROM dupes_groups ORDER BY id"
        )
    ]
    if group_ids is not None:
        wanted = set(group_ids)
        groups = [g for g in groups if g["id"] in wanted]
    for group in groups:
        group["explanation"] = json.loads(group["explanation"])
        group["members"] = [
            {"item_id": item_id, "path": path, "audio_hash": audio_hash}
            for item_id, path, audio_hash in db.execute(
                "SELECT item_id, path, audio_hash FROM dupes_members"
                " WHERE group_id = ? ORDER BY position",
                (group["id"],),
            )
        ]
    return groups


def replace_groups(db: sqlite_utils.Database, groups: list[dict]) -> None:
    """Store the freshly computed ``groups``; a group keeps its id while its key is unchanged."""
    with db.conn:
        existing = dict(db.execute("SELECT key, id FROM dupes_groups").fetchall())
        fresh = {g["key"] for g in groups}
        for key, group_id in existing.items():
            if key not in fresh:
                db.execute("DELETE FROM dupes_groups WHERE id = ?", (group_id,))
        for group in groups:
            values = (
                group["kind"],
                group["similarity"],
                group["canonical_id"],
                json.dumps(group["explanation"]),
            )
            if group["key"] in existing:
                group_id = existing[group["key"]]
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
                    (group["key"], *values),
                ).lastrowid
            db.conn.executemany(
                "INSERT INTO dupes_members (group_id, item_id, path, audio_hash, position)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (group_id, m["item_id"], m["path"], m["audio_hash"], position)
                    for position, m in enumerate(group["members"])
                ],
            )
