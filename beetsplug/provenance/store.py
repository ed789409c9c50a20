"""The provenance tables in the sidecar: what each item and album holds, and every change.

Tables (component ``provenance`` of ``beetcrate.sidecar``):

- ``provenance_entities``: one row per item or album provenance has seen, with its last stored
  values (``snapshot``, JSON); an entity beets removed keeps its row (``removed``: when) and
  its history until ``purge``, and a later item that gets the same beets id is a new entity;
- ``provenance_stores``: one row per store that changed something: the entity, the time, the
  source, the evidence (candidate id, distance or score) and the fields it changed (``changes``,
  JSON: field → [old, new], null for empty).

``record`` takes a stored model's values; they are compared with the snapshot and the fields
that differ written in batches (``BATCH`` stores, or what a second brought), each in one
transaction that reads the batch's snapshots in one query, finds the changes in order, and
writes them and the new snapshots; a store that changes nothing writes nothing. ``flush``
writes what is pending; the plugin flushes when a command ends and when the process exits
(a command that failed, Ctrl-C). A transaction per store would cost more than beets' own store
(a commit each); a process killed mid-way loses its pending records (docs/provenance.md says
what is kept when).
"""

from __future__ import annotations

import enum
import json
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from beetcrate import sidecar
from beetcrate.attribution import Attribution
from beetsplug.provenance.values import Value, changes_between

if TYPE_CHECKING:
    import sqlite_utils


class Kind(enum.Enum):
    ITEM = "item"
    ALBUM = "album"


@dataclass(frozen=True)
class Change:
    """One field's change, with the store it was part of."""

    kind: Kind
    beets_id: int
    store: int  # the store it was part of: the changes made together share it
    field: str
    old: Value
    new: Value
    source: str
    candidate_id: str | None
    candidate_kind: str | None  # what the candidate id names: "release", "recording"
    distance: float | None
    score: float | None
    time: float
    removed: float | None  # when beets removed the item or album, if it did

    @property
    def confidence(self) -> float | None:
        """How sure the source was, from 0 to 1: a service's score, else 1 - beets' distance."""
        if self.score is not None:
            return self.score
        return None if self.distance is None else max(0.0, 1.0 - self.distance)

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "id": self.beets_id,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "source": self.source,
            "candidate_id": self.candidate_id,
            "candidate_kind": self.candidate_kind,
            "distance": self.distance,
            "score": self.score,
            "confidence": self.confidence,
            "time": iso_time(self.time),
            "removed": self.removed is not None,
        }


def iso_time(timestamp: float) -> str:
    """A recorded time as ISO 8601 in local time, to the millisecond (as it is recorded)."""
    seconds, millis = divmod(milliseconds(timestamp), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(seconds)) + f".{millis:03d}"


def milliseconds(timestamp: float) -> int:
    """Times are recorded, shown and compared to the millisecond: a time read back from what
    ``log`` shows is the time of the change."""
    return round(timestamp * 1000)


def _now() -> float:
    return milliseconds(time.time()) / 1000


@dataclass(frozen=True)
class Snapshot:
    """The values provenance last saw stored for an item or album."""

    beets_id: int
    values: dict[str, Value]


def _initial(db: sqlite_utils.Database) -> None:
    sidecar.run_script(
        db,
        """
        CREATE TABLE provenance_entities (
            entity INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            beets_id INTEGER NOT NULL,
            snapshot TEXT NOT NULL,
            removed REAL
        );
        CREATE UNIQUE INDEX provenance_live ON provenance_entities (kind, beets_id)
            WHERE removed IS NULL;
        CREATE TABLE provenance_stores (
            store INTEGER PRIMARY KEY,
            entity INTEGER NOT NULL REFERENCES provenance_entities (entity) ON DELETE CASCADE,
            time REAL NOT NULL,
            source TEXT NOT NULL,
            candidate_id TEXT,
            candidate_kind TEXT,
            distance REAL,
            score REAL,
            changes TEXT NOT NULL
        );
        CREATE INDEX provenance_stores_entity ON provenance_stores (entity, store);
        CREATE INDEX provenance_stores_time ON provenance_stores (time);
        """,
    )


MIGRATIONS = [_initial]


# Stores written together in one transaction, at most; and the most seconds a store waits.
BATCH = 500
BATCH_SECONDS = 1.0


class ProvenanceStore:
    """The provenance tables of one sidecar. Safe to share between the importer's threads."""

    def __init__(self, path: str | Path) -> None:
        self.conn = sidecar.connect_migrated(path, "provenance", MIGRATIONS)
        self.conn.isolation_level = None  # transactions are ``sidecar.immediate``'s
        self._lock = threading.RLock()
        self._pending: list[_Pending] = []
        # Writes what is pending a second after it began to wait, in a process that stores
        # nothing more (a queue worker between tasks).
        self._timer: threading.Timer | None = None

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self.flush()
            self.conn.close()

    def record(
        self,
        kind: Kind,
        beets_id: int,
        values: dict[str, Value],
        attribution: Attribution,
        when: float | None = None,
    ) -> None:
        """Record a stored model's values: the fields that differ from what was last seen
        (all of them, for one not seen before) are its changes; a store that changes nothing
        records nothing. Written with the next batch."""
        stamp = when or _now()
        with self._lock:
            self._pending.append(_Pending(kind, beets_id, values, attribution, stamp))
            if len(self._pending) == 1:
                self._timer = threading.Timer(BATCH_SECONDS, self.flush)
                self._timer.daemon = True
                self._timer.start()
            elif len(self._pending) >= BATCH:
                self.flush()

    def record_many(
        self,
        kind: Kind,
        models: Iterable[Snapshot],
        attribution: Attribution,
        when: float | None = None,
    ) -> None:
        """``record`` for many models at once (one transaction)."""
        stamp = when or _now()
        with self._lock:
            self._pending += [
                _Pending(kind, model.beets_id, model.values, attribution, stamp) for model in models
            ]
            self.flush()

    def flush(self) -> None:
        """Write the pending stores, in one transaction: the snapshots of the items and albums
        they stored are read in one query, the changes found in order, the stores inserted and
        the snapshots moved on in two statements."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if not self._pending:
                return
            with sidecar.immediate(self.conn):
                self._write(self._pending)
            self._pending.clear()

    def _write(self, pendings: Sequence[_Pending]) -> None:
        known: dict[Kind, dict[int, _Known]] = {kind: {} for kind in Kind}
        for kind in Kind:
            ids = {p.beets_id for p in pendings if p.kind is kind}
            if not ids:
                continue
            rows = self.conn.execute(
                "SELECT beets_id, entity, snapshot FROM provenance_entities"
                " WHERE kind = ? AND removed IS NULL"
                " AND beets_id IN (SELECT value FROM json_each(?))",
                (kind.value, json.dumps(sorted(ids))),
            )
            for beets_id, entity, snapshot in rows:
                known[kind][beets_id] = _Known(entity, snapshot)
        stores = []
        moved: dict[int, str] = {}
        for pending in pendings:
            text = _json_text(pending.values)
            known_of_kind = known[pending.kind]
            before = known_of_kind.get(pending.beets_id)
            if before is not None and before.snapshot == text:
                continue  # a store that changed nothing
            if before is None:
                entity = self.conn.execute(
                    "INSERT INTO provenance_entities (kind, beets_id, snapshot) VALUES (?, ?, ?)",
                    (pending.kind.value, pending.beets_id, text),
                ).lastrowid
                assert entity is not None  # an INSERT's row id
                changes = changes_between({}, pending.values)
            else:
                entity = before.entity
                changes = changes_between(before.values(), pending.values)
                moved[entity] = text
            known_of_kind[pending.beets_id] = _Known(entity, text, pending.values)
            if changes:
                who = pending.attribution
                stores.append(
                    (
                        entity,
                        pending.time,
                        who.source,
                        who.candidate_id,
                        who.candidate_kind,
                        who.distance,
                        who.score,
                        _json_text(changes),
                    )
                )
        self.conn.executemany(
            "UPDATE provenance_entities SET snapshot = ? WHERE entity = ?",
            [(text, entity) for entity, text in moved.items()],
        )
        self.conn.executemany(
            "INSERT INTO provenance_stores"
            " (entity, time, source, candidate_id, candidate_kind, distance, score, changes)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            stores,
        )

    def live_ids(self, kind: Kind) -> set[int]:
        rows = self.conn.execute(
            "SELECT beets_id FROM provenance_entities WHERE kind = ? AND removed IS NULL",
            (kind.value,),
        )
        return {beets_id for (beets_id,) in rows}

    def mark_removed(self, kind: Kind, beets_ids: Iterable[int], when: float | None = None) -> None:
        """beets removed these: their histories stay (no longer live) until ``purge``."""
        stamp = when or _now()
        with self._lock:
            self.flush()
            with sidecar.immediate(self.conn):
                self.conn.executemany(
                    "UPDATE provenance_entities SET removed = ?"
                    " WHERE kind = ? AND beets_id = ? AND removed IS NULL",
                    [(stamp, kind.value, beets_id) for beets_id in beets_ids],
                )

    def history(
        self,
        kind: Kind | None = None,
        beets_ids: Sequence[int] | None = None,
        since: float | None = None,
    ) -> list[Change]:
        """Changes in the order they were made (field by field within a store): of one kind,
        of some live items or albums (beets ids), since a time."""
        self.flush()
        where: list[str] = ["1"]
        params: list[object] = []
        if kind is not None:
            where.append("e.kind = ?")
            params.append(kind.value)
        if beets_ids is not None:
            # Ids go as one JSON list: a query may match thousands of items.
            where.append("e.beets_id IN (SELECT value FROM json_each(?)) AND e.removed IS NULL")
            params.append(json.dumps(list(beets_ids)))
        if since is not None:
            where.append("round(s.time * 1000) >= ?")
            params.append(milliseconds(since))
        rows = self.conn.execute(
            "SELECT e.kind, e.beets_id, s.store, s.changes, s.source,"
            " s.candidate_id, s.candidate_kind, s.distance, s.score, s.time, e.removed"
            " FROM provenance_stores s JOIN provenance_entities e USING (entity)"
            f" WHERE {' AND '.join(where)} ORDER BY s.store",
            params,
        )
        return [
            Change(
                Kind(kind_name),
                beets_id,
                store,
                field,
                old,
                new,
                source,
                candidate_id,
                candidate_kind,
                distance,
                score,
                stamp,
                removed,
            )
            for (
                kind_name,
                beets_id,
                store,
                changes,
                source,
                candidate_id,
                candidate_kind,
                distance,
                score,
                stamp,
                removed,
            ) in rows
            for field, (old, new) in sorted(_json_values(changes).items())
        ]

    def purge(self) -> int:
        """Forget the histories of removed items and albums; returns how many were forgotten."""
        with self._lock:
            self.flush()
            with sidecar.immediate(self.conn):
                return self.conn.execute(
                    "DELETE FROM provenance_entities WHERE removed IS NOT NULL"
                ).rowcount


@dataclass(slots=True)
class _Pending:
    """A store recorded but not yet written."""

    kind: Kind
    beets_id: int
    values: dict[str, Value]
    attribution: Attribution
    time: float


@dataclass(slots=True)
class _Known:
    """An item's or album's entity and snapshot (JSON) while a batch is written, and the
    snapshot's values once they were needed."""

    entity: int
    snapshot: str
    parsed: dict[str, Value] | None = None

    def values(self) -> dict[str, Value]:
        if self.parsed is None:
            self.parsed = _json_values(self.snapshot)
        return self.parsed


def _json_text(values: Mapping[str, object]) -> str:
    """Snapshots and changes as JSON text, fields in order. orjson writes and reads them in a
    fifth of the time ``json`` takes; what it refuses (an integer beyond 64 bits, text that is
    not UTF-8: a path beets could not decode) ``json`` writes, escaped so that SQLite takes it,
    after a space that tells ``_json_values`` to read it with ``json`` (orjson would read such an
    integer as a float, and refuses such text)."""
    try:
        return orjson.dumps(values, option=orjson.OPT_SORT_KEYS).decode()
    except orjson.JSONEncodeError:
        return " " + _JSON.encode(values)


def _json_values(text: str) -> dict[str, Any]:
    """What ``_json_text`` wrote."""
    return json.loads(text) if text.startswith(" ") else orjson.loads(text)


_JSON = json.JSONEncoder(sort_keys=True)
