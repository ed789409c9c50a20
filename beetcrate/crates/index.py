"""``crate_items``: the table crates are evaluated against, rebuilt from beets when it changes.

beets keeps the DJ analysis' results as flexible attributes: text rows of
``item_attributes``, one per item and name. A rule over three of them would read three rows per
item through an index, for every item; at 100k items that is most of a second. The index copies
beets' items once per change of the library into one table of the sidecar, with the DJ
attributes as typed columns, paths made absolute, multi-valued fields between separators and
the key as a number for the harmonic rules (``key_code``). A rebuild is one ``CREATE TABLE …
AS SELECT`` in a transaction, so readers see the old table or the new one, never half.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from beetcrate import corrections, sidecar
from beetcrate.beetsdb import beets_signature, file_suffix, split_list, storable_path
from beetcrate.crates.fields import (
    DJ_NUMBERS,
    DJ_TEXTS,
    LIST_SEPARATOR,
    FieldCatalog,
    Kind,
    column_kind,
)

# Big and read by nobody's rules through the copy: read from beets when asked for.
_NOT_COPIED = {"lyrics", "path", "id"}
_META = "crate_meta"
# beets' fields most rules read, stored right after the DJ ones (see ``_rebuild``).
_EARLY = ("year", "genres", "added", "title", "artist", "albumartist", "album", "length")
# The table's layout: a new version rebuilds it even where beets did not change.
_VERSION = 6


def _key_code(initial_key: str | None, camelot: str | None, openkey: str | None) -> int | None:
    key = corrections.key(initial_key, camelot, openkey)
    return key.code if key else None


def _joined(value: str | None) -> str:
    values = split_list(value)
    return LIST_SEPARATOR + LIST_SEPARATOR.join(values) + LIST_SEPARATOR if values else ""


@dataclass(frozen=True)
class IndexReport:
    rebuilt: bool
    items: int


class CrateIndex:
    """The ``crate_items`` table of one sidecar, for one beets library."""

    def __init__(self, conn: sqlite3.Connection, beets_db: Path, music_dir: Path) -> None:
        """``conn`` is the sidecar's, with beets' database ATTACHed as ``beets``."""
        self.conn = conn
        self.beets_db = beets_db
        self.music_dir = music_dir
        conn.execute(f"CREATE TABLE IF NOT EXISTS {_META} (key TEXT PRIMARY KEY, value TEXT)")
        conn.create_function("bc_tempo", 2, corrections.tempo, deterministic=True)
        conn.create_function("bc_key_code", 3, _key_code, deterministic=True)
        conn.create_function("bc_suffix", 1, file_suffix, deterministic=True)
        conn.create_function("bc_joined", 1, _joined, deterministic=True)
        conn.create_function(
            "bc_abspath",
            1,
            lambda raw: storable_path(music_dir, raw) or "",
            deterministic=True,
        )

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute(f"SELECT value FROM {_META} WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def refresh(self) -> IndexReport:
        """Rebuild the table if beets' database changed since it was built."""
        beets = beets_signature(self.beets_db)
        signature = f"{_VERSION}|{beets}"
        if beets and signature == self._meta("signature") and self._exists():
            return IndexReport(False, self.count())
        self._rebuild(signature)
        return IndexReport(True, self.count())

    def _exists(self) -> bool:
        return bool(
            self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'crate_items'"
            ).fetchone()
        )

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM crate_items").fetchone()[0]

    def _rebuild(self, signature: str) -> None:
        conn = self.conn
        columns = [
            (row[1], row[2])
            for row in conn.execute("PRAGMA beets.table_info(items)")
            if row[1] not in _NOT_COPIED
        ]
        flexible = [
            row[0]
            for row in conn.execute("SELECT DISTINCT key FROM beets.item_attributes")
            if row[0] not in DJ_NUMBERS + DJ_TEXTS
        ]
        # The columns DJ rules and common ones read come first: SQLite decodes a row's
        # columns up to the one it needs, so at 100k items a rule over the first columns
        # runs 3-4 times faster than over the same columns at the end of the row.
        selects = [
            "i.id AS id",
            # The user's corrections, else the analysis' readings (``beetcrate.corrections``).
            "bc_tempo(i.bpm, f.bpm_precise) AS tempo",
            "bc_key_code(i.initial_key, f.camelot, f.openkey) AS key_code",
            *(f"f.{name}" for name in DJ_NUMBERS),
        ]
        ordered = sorted(columns, key=lambda column: column[0] not in _EARLY)
        for name, declared in ordered:
            kind = column_kind(name, declared)
            selects.append(f"bc_joined(i.{name}) AS {name}" if kind is Kind.LIST else f"i.{name}")
        pivots = [
            f"CAST(max(CASE WHEN key = '{name}' THEN value END) AS REAL) AS {name}"
            for name in DJ_NUMBERS
        ] + [f"max(CASE WHEN key = '{name}' THEN value END) AS {name}" for name in DJ_TEXTS]
        selects += [f"f.{name}" for name in DJ_TEXTS]
        selects += [
            "bc_abspath(i.path) AS path",
            "bc_suffix(i.path) AS suffix",
            "(a.artpath IS NOT NULL AND a.artpath != '') AS has_art",
            "a.added AS album_added",
        ]
        wanted = ", ".join(f"'{name}'" for name in DJ_NUMBERS + DJ_TEXTS)
        with sidecar.immediate(conn):
            # Another process (a server worker, a ``beet crate`` command) may have rebuilt it
            # while this one waited for the lock.
            if self._meta("signature") == signature and self._exists():
                return
            conn.execute("DROP TABLE IF EXISTS crate_items_new")
            conn.execute(
                f"CREATE TABLE crate_items_new AS SELECT {', '.join(selects)}"
                " FROM beets.items i"
                f" LEFT JOIN (SELECT entity_id, {', '.join(pivots)}"
                f"   FROM beets.item_attributes WHERE key IN ({wanted})"
                "   GROUP BY entity_id) f ON f.entity_id = i.id"
                " LEFT JOIN beets.albums a ON a.id = i.album_id"
            )
            conn.execute("DROP TABLE IF EXISTS crate_items")
            conn.execute("ALTER TABLE crate_items_new RENAME TO crate_items")
            conn.execute("CREATE UNIQUE INDEX crate_items_id ON crate_items (id)")
            conn.executemany(
                f"INSERT OR REPLACE INTO {_META} VALUES (?, ?)",
                [("signature", signature), ("flexible", "\n".join(sorted(flexible)))],
            )

    def fields(self) -> FieldCatalog:
        """The fields rules may name in this library."""
        columns = {
            row[1]: column_kind(row[1], row[2])
            for row in self.conn.execute("PRAGMA table_info(crate_items)")
        }
        for name in (*DJ_NUMBERS, "tempo"):
            columns[name] = Kind.NUMBER
        for name in DJ_TEXTS:
            columns[name] = Kind.TEXT
        flexible = frozenset(filter(None, (self._meta("flexible") or "").split("\n")))
        return FieldCatalog(columns, flexible)
