"""The sidecar SQLite database beside the beets library, with per-component migrations.

beets' own database holds the music; everything beetcrate adds that does not fit beets' items
(users and their credentials, stars and play queues, analysis arrays, duplicate groups, the Opus
mirror's state) lives here. Each component owns its tables and declares an ordered list of
migrations; ``migrate`` applies the ones not yet applied, each in its own transaction, and
records them in ``_migrations``. Migrations are append-only: never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

Migration = Callable[["sqlite_utils.Database"], None]


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open the sidecar in WAL mode so readers never wait for the one writer."""
    import sqlite_utils

    return sqlite_utils.Database(_open(path))


def connect_migrated(
    path: str | Path, component: str, migrations: Sequence[Migration]
) -> sqlite3.Connection:
    """The sidecar as ``connect`` opens it, as a plain connection, with ``component``'s
    migrations applied: for a component that every ``beet`` command opens (provenance), which
    then loads sqlite_utils (60 ms of CPU) only when a migration is pending."""
    conn = _open(path)
    try:
        (applied,) = conn.execute(
            "SELECT count(*) FROM _migrations WHERE component = ?", (component,)
        ).fetchone()
    except sqlite3.OperationalError:  # no migration ever ran here: a new sidecar
        applied = 0
    if applied < len(migrations):
        import sqlite_utils

        migrate(sqlite_utils.Database(conn), component, migrations)
    return conn


def _open(path: str | Path) -> sqlite3.Connection:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def run_script(db: sqlite_utils.Database, script: str) -> None:
    """Run SQL statements one by one inside the caller's transaction.

    ``executescript`` would COMMIT the transaction first: a migration or a schema rebuild run
    with it is no longer all or nothing, and two processes starting at once could both run it.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement.strip()[:80]}")


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on ``conn`` (in autocommit mode, ``isolation_level = None``):
    ``BEGIN IMMEDIATE`` takes the write lock up front, so two processes take turns instead of
    failing at their first write; committed when the block ends, rolled back if it raises
    (unless SQLite already rolled back, a full disk say: then the first error stands)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migrate(db: sqlite_utils.Database, component: str, migrations: Sequence[Migration]) -> int:
    """Apply ``component``'s pending migrations in order; returns the schema version reached."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations ("
        " component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,"
        " PRIMARY KEY (component, version))"
    )
    conn = db.conn
    for version, step in enumerate(migrations, start=1):
        # BEGIN IMMEDIATE serializes concurrent starters (gunicorn workers, a CLI) so a
        # migration runs once; the check inside the transaction makes the loser skip it.
        with immediate(conn):
            done = conn.execute(
                "SELECT 1 FROM _migrations WHERE component = ? AND version = ?",
                (component, version),
            ).fetchone()
            if not done:
                step(db)
                conn.execute(
                    "INSERT INTO _migrations (component, version, name) VALUES (?, ?, ?)",
                    (component, version, step.__name__),
                )
    return len(migrations)
