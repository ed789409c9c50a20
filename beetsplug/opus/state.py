"""The Opus mirror's state in the sidecar database: one row per item, and the mirror's bitrate.

``opus_mirror`` records, per beets item, the mirror file (relative to the mirror's root) and
what it was made from: the source file's size and mtime, its audio hash, a key of its tags,
the bitrate; or why it failed and how often. ``opus_meta`` holds the mirror's bitrate (fixed
once the mirror exists) and its root, which the server reads to stream mirror files.

The server imports this module (``MirrorState``, ``servable``), so it imports only the
standard library, sqlite_utils and ``beetcrate.sidecar``: not beets, the queue or PyAV.
"""

from __future__ import annotations

import dataclasses
import enum
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.db import Table

from beetcrate import sidecar


class MirrorError(Exception):
    """The mirror cannot be used as configured; the message says what to do."""


class RecordStatus(enum.Enum):
    """Whether an item's mirror file was made; stored as its value in ``opus_mirror.status``."""

    OK = "ok"
    FAILED = "failed"


@dataclass
class Record:
    """What the mirror holds for one item, as stored in ``opus_mirror``."""

    item_id: int
    path: str | None = None  # relative to the mirror root
    source_mtime: int = 0  # ns
    source_size: int = 0
    audio_hash: str | None = None
    tags_key: str | None = None
    bitrate: int = 0
    status: RecordStatus = RecordStatus.OK
    error: str | None = None
    attempts: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Record:
        return cls(**{**row, "status": RecordStatus(row["status"])})

    def row(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "status": self.status.value}


@dataclass(frozen=True)
class MirrorFile:
    """A finished mirror file the server may send instead of encoding: where, and at what
    bitrate (kbps)."""

    path: Path
    bitrate: int


def _create_tables(db: sqlite_utils.Database) -> None:
    db.table("opus_mirror").create(
        {
            "item_id": int,
            "path": str,
            "source_mtime": int,
            "source_size": int,
            "audio_hash": str,
            "tags_key": str,
            "bitrate": int,
            "status": str,
            "error": str,
            "attempts": int,
        },
        pk="item_id",
    )
    db.table("opus_meta").create({"key": str, "value": str}, pk="key")


MIGRATIONS = [_create_tables]


class MirrorState:
    """The ``opus_`` tables of the sidecar: one record per item, and the mirror's bitrate."""

    def __init__(self, path: Path) -> None:
        self.db = sidecar.connect(path)
        sidecar.migrate(self.db, "opus", MIGRATIONS)
        self._records: Table = self.db.table("opus_mirror")
        self._meta: Table = self.db.table("opus_meta")
        # One connection shared by the --jobs threads: writes take turns.
        self._lock = threading.Lock()

    def records(self) -> dict[int, Record]:
        with self._lock:
            return {row["item_id"]: Record.from_row(row) for row in self._records.rows}

    def get(self, item_id: int) -> Record | None:
        with self._lock:
            rows = list(self._records.rows_where("item_id = ?", [item_id]))
        return Record.from_row(rows[0]) if rows else None

    def save(self, record: Record) -> None:
        with self._lock:
            self._records.upsert(record.row(), pk="item_id")

    def delete(self, item_id: int) -> None:
        with self._lock:
            self._records.delete_where("item_id = ?", [item_id])

    def meta(self, key: str) -> str | None:
        with self._lock:
            rows = list(self._meta.rows_where("key = ?", [key]))
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._meta.upsert({"key": key, "value": value}, pk="key")

    def check_bitrate(self, bitrate: int, rebuild: bool) -> None:
        """Fix the bitrate on first use; refuse a different one unless rebuilding."""
        stored = self.meta("bitrate")
        if stored is not None and int(stored) != bitrate and not rebuild:
            raise MirrorError(
                f"the mirror is encoded at {stored} kbps but opus.bitrate is {bitrate}; "
                f"run `beet opus sync --rebuild` to re-encode it all at {bitrate} kbps, "
                f"or set opus.bitrate back to {stored}"
            )
        self.set_meta("bitrate", str(bitrate))


def servable(state: MirrorState, item_id: int, source: Path) -> MirrorFile | None:
    """The mirror's file for an item, if complete and made from this source.

    A source whose size or mtime moved since it was mirrored is not trusted until the next
    sync has looked at it; the stream is then transcoded on the fly instead.
    """
    record = state.get(item_id)
    root = state.meta("directory")
    if record is None or record.status is not RecordStatus.OK or not record.path or not root:
        return None
    try:
        stat = source.stat()
    except OSError:
        return None
    if (stat.st_mtime_ns, stat.st_size) != (record.source_mtime, record.source_size):
        return None
    path = Path(root) / record.path
    return MirrorFile(path, record.bitrate) if path.is_file() else None
