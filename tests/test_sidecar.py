"""Sidecar migrations apply once, in order, and a failing one leaves nothing behind."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from beetcrate import sidecar


def create_things(db: sqlite_utils.Database) -> None:
    db["things"].create({"id": int, "name": str}, pk="id")


def add_colour(db: sqlite_utils.Database) -> None:
    db["things"].add_column("colour", str)


def test_migrations_apply_once_and_in_order(tmp_path: Path) -> None:
    db = sidecar.connect(tmp_path / "side.db")
    assert sidecar.migrate(db, "demo", [create_things]) == 1
    assert sidecar.migrate(db, "demo", [create_things, add_colour]) == 2
    assert sidecar.migrate(db, "demo", [create_things, add_colour]) == 2
    assert set(db["things"].columns_dict) == {"id", "name", "colour"}
    assert db.execute("SELECT count(*) FROM _migrations").fetchone()[0] == 2


def test_failed_migration_is_rolled_back_and_retried_next_time(tmp_path: Path) -> None:
    db = sidecar.connect(tmp_path / "side.db")

    def broken(db: sqlite_utils.Database) -> None:
        db.execute("CREATE TABLE half (id INTEGER)")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        sidecar.migrate(db, "demo", [create_things, broken])
    assert "half" not in db.table_names()
    assert db.execute("SELECT version FROM _migrations").fetchall() == [(1,)]


def test_a_script_migration_that_fails_half_way_leaves_nothing_behind(tmp_path: Path) -> None:
    db = sidecar.connect(tmp_path / "side.db")

    def two_tables_then_a_mistake(db: sqlite_utils.Database) -> None:
        sidecar.run_script(
            db,
            """
            CREATE TABLE first (id INTEGER);
            CREATE TRIGGER first_ai AFTER INSERT ON first BEGIN
              SELECT 1;
            END;
            CREATE TABLE second (id INTEGER);
            CREATE TABLE first (id INTEGER);
            """,
        )

    with pytest.raises(sqlite3.OperationalError):
        sidecar.migrate(db, "demo", [two_tables_then_a_mistake])
    assert not {"first", "second"} & set(db.table_names())


def test_a_plain_connection_gets_the_pending_migrations_and_sees_the_others_tables(
    tmp_path: Path,
) -> None:
    path = tmp_path / "side.db"
    sidecar.migrate(sidecar.connect(path), "other", [create_things])
    conn = sidecar.connect_migrated(path, "demo", [create_things_elsewhere])
    assert conn.execute("SELECT count(*) FROM elsewhere").fetchone() == (0,)
    conn.close()
    conn = sidecar.connect_migrated(path, "demo", [create_things_elsewhere, add_colour_elsewhere])
    columns = {row[1] for row in conn.execute("PRAGMA table_info(elsewhere)")}
    assert columns == {"id", "name", "colour"}
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("SELECT count(*) FROM _migrations").fetchone() == (3,)
    conn.close()


def create_things_elsewhere(db: sqlite_utils.Database) -> None:
    db["elsewhere"].create({"id": int, "name": str}, pk="id")


def add_colour_elsewhere(db: sqlite_utils.Database) -> None:
    db["elsewhere"].add_column("colour", str)
