"""The provenance tables in the sidecar: what each item and album holds, and every change.

Tables (component ``provenance`` of ``beetcrate.sidecar``):

- ``provenance_entities``: one row per item or album provenance has seen, with its last stored
  values (``snapshot``, JSON); an entity beets removed keeps its row (``removed``: when) and
  its history until ``purge``, and a later item that gets the same beets id is a new entity;
- ``provenance_stores``: one row per store that changed something: the entity, the time, the
  source and the evidence (candidate id, distance or score);
- ``provenance_changes``: the fields one store changed, old and new values (JSON; NULL: empty).

``record`` diffs a model's values against its snapshot and writes the changes and the new
snapshot in one transaction; a store that changes nothing writes nothing.
"""

from __future__ import annotations

import enum
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from beetcrate import sidecar
from beetcrate.attribution import Attribution
from beetsplug.provenance.values import Value, differences


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
            distance REAL,
            score REAL
        );
        CREATE INDEX provenance_stores_entity ON provenance_stores (entity, store);
        CREATE INDEX provenance_stores_time ON provenance_stores (time);
        CREATE TABLE provenance_changes (
            store INTEGER NOT NULL REFERENCES provenance_stores (store) ON DELETE CASCADE,
            field TEXT NOT NULL,
            old TEXT,
            new TEXT,
            PRIMARY KEY (store, field)
        ) WITHOUT ROWID;
        """,
    )


MIGRATIONS = [_initial]


def _dump(value: Value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _load(text: str | None) -> Value:
    return None if text is None else json.loads(text)


class ProvenanceStore:
    """The provenance tables of one sidecar. Safe to share between the importer's threads:
    one writer at a time, each store in one transaction."""

    def __init__(self, path: str | Path) -> None:
        self.db = sidecar.connect(path)
        sidecar.migrate(self.db, "provenance", MIGRATIONS)
        self.conn = self.db.conn
        self.conn.isolation_level = None  # transactions are ``sidecar.immediate``'s
        self._lock = threading.Lock()

    def close(self) -> None:
        self.conn.close()

    def snapshot(self, kind: Kind, beets_id: int) -> dict[str, Value] | None:
        """The values last recorded for a live item or album, None if it is not known yet."""
        row = self.conn.execute(
            "SELECT snapshot FROM provenance_entities"
            " WHERE kind = ? AND beets_id = ? AND removed IS NULL",
            (kind.value, beets_id),
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def record(
        self,
        kind: Kind,
        beets_id: int,
        values: dict[str, Value],
        who: Callable[[], Attribution],
        when: float | None = None,
    ) -> int:
        """Record how a stored model's values differ from what was last seen (everything, for
        one not seen before); returns the number of fields changed. ``who`` is asked for the
        source only when something changed."""
        with self._lock:
            if self.snapshot(kind, beets_id) == values:
                return 0  # a store that changed nothing writes nothing
            with sidecar.immediate(self.conn):
                return self._record(kind, beets_id, values, who(), when or _now())

    def record_many(
        self,
        kind: Kind,
        models: Iterable[Snapshot],
        attribution: Attribution,
        when: float | None = None,
    ) -> int:
        """``record`` for many models in one transaction; returns the number of fields changed."""
        stamp = when or _now()
        with self._lock, sidecar.immediate(self.conn):
            return sum(self._record(kind, m.beets_id, m.values, attribution, stamp) for m in models)

    def _record(
        self,
        kind: Kind,
        beets_id: int,
        values: dict[str, Value],
        attribution: Attribution,
        when: float,
    ) -> int:
        row = self.conn.execute(
            "SELECT entity, snapshot FROM provenance_entities"
            " WHERE kind = ? AND beets_id = ? AND removed IS NULL",
            (kind.value, beets_id),
        ).fetchone()
        snapshot_text = json.dumps(values, ensure_ascii=False, sort_keys=True)
        if row is None:
            entity = self.conn.execute(
                "INSERT INTO provenance_entities (kind, beets_id, snapshot) VALUES (?, ?, ?)",
                (kind.value, beets_id, snapshot_text),
            ).lastrowid
            changed = differences({}, values)
        else:
            entity = row[0]
            changed = differences(json.loads(row[1]), values)
            if not changed:
                return 0
            self.conn.execute(
                "UPDATE provenance_entities SET snapshot = ? WHERE entity = ?",
                (snapshot_text, entity),
            )
        if not changed:
            return 0
        store = self.conn.execute(
            "INSERT INTO provenance_stores"
            " (entity, time, source, candidate_id, distance, score) VALUES (?, ?, ?, ?, ?, ?)",
            (
                entity,
                when,
                attribution.source,
                attribution.candidate_id,
                attribution.distance,
                attribution.score,
            ),
        ).lastrowid
        self.conn.executemany(
            "INSERT INTO provenance_changes (store, field, old, new) VALUES (?, ?, ?, ?)",
            [(store, field, _dump(old), _dump(new)) for field, (old, new) in changed.items()],
        )
        return len(changed)

    def live_ids(self, kind: Kind) -> set[int]:
        rows = self.conn.execute(
            "SELECT beets_id FROM provenance_entities WHERE kind = ? AND removed IS NULL",
            (kind.value,),
        )
        return {beets_id for (beets_id,) in rows}

    def mark_removed(self, kind: Kind, beets_ids: Iterable[int], when: float | None = None) -> None:
        """beets removed these: their histories stay (no longer live) until ``purge``."""
        stamp = when or _now()
        with self._lock, sidecar.immediate(self.conn):
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
        live_only: bool = False,
    ) -> list[Change]:
        """Changes in the order they were made: of one kind, of some beets ids (live ones),
        after a time."""
        where: list[str] = ["1"]
        params: list[object] = []
        if kind is not None:
            where.append("e.kind = ?")
            params.append(kind.value)
        if beets_ids is not None:
            # Ids go through a temporary JSON list: a query may match thousands of items.
            where.append("e.beets_id IN (SELECT value FROM json_each(?)) AND e.removed IS NULL")
            params.append(json.dumps(list(beets_ids)))
        elif live_only:
            where.append("e.removed IS NULL")
        if since is not None:
            where.append("round(s.time * 1000) >= ?")
            params.append(milliseconds(since))
        rows = self.conn.execute(
            "SELECT e.kind, e.beets_id, s.store, c.field, c.old, c.new, s.source,"
            " s.candidate_id, s.distance, s.score, s.time, e.removed"
            " FROM provenance_stores s JOIN provenance_entities e USING (entity)"
            " JOIN provenance_changes c USING (store)"
            f" WHERE {' AND '.join(where)} ORDER BY s.store, c.field",
            params,
        )
        return [
            Change(
                Kind(row[0]),
                row[1],
                row[2],
                row[3],
                _load(row[4]),
                _load(row[5]),
                row[6],
                row[7],
                row[8],
                row[9],
                row[10],
                row[11],
            )
            for row in rows
        ]

    def purge(self) -> int:
        """Forget the histories of removed items and albums; returns how many were forgotten."""
        with self._lock, sidecar.immediate(self.conn):
            return self.conn.execute(
                "DELETE FROM provenance_entities WHERE removed IS NOT NULL"
            ).rowcount
