"""The one way the server writes user data: short transactions on one connection per process.

gunicorn runs several processes of many threads each. Each process keeps one write connection
to the sidecar; a lock makes its threads take turns, and ``BEGIN IMMEDIATE`` makes processes
take turns (SQLite's write lock, waited for up to the connection's timeout). Reads do not come
here: they use the read-only connection of their thread (``subsonic.library``), which WAL
never blocks, and see each write as soon as it commits.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from beetcrate import sidecar
from subsonic.userdata.schema import COMPONENT, MIGRATIONS


class Writer:
    """Transactions on the sidecar's user-data tables."""

    def __init__(self, db_path: Path) -> None:
        self.db = sidecar.connect(db_path)
        sidecar.migrate(self.db, COMPONENT, MIGRATIONS)
        # Explicit transactions only: each ``transaction()`` is one unit, all or nothing.
        self.db.conn.isolation_level = None
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self._lock, sidecar.immediate(self.db.conn) as conn:
            yield conn
