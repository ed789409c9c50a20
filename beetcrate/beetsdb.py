"""The one read layer over beets' own tables, for readers that cannot afford beets' models.

Writes to the music always go through the beets API (``Item.store``, ``Library.add``…). Some
readers must read many rows fast, where building a beets ``Item`` costs about 1.5 ms a row: the
server's catalog sync (SQL over the attached database) and the Opus mirror's planner (every
stored field of every item). The server also reads one item's lyrics here when a client asks
for them (too big to copy into its catalog). They read through here, so that beets' storage
conventions are known in one place: paths relative to the music directory, multi-valued fields
in delimited strings, flexible attributes in ``item_attributes``/``album_attributes``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from beets.library import Library

# beets >= 2.x joins multi-valued fields with this in the database; older ones used "; ".
LIST_SEPARATORS = ("\\␀", "; ", ";", " / ")


def split_list(value: str | None) -> list[str]:
    """Split a beets multi-valued field (genres, composers) into its values."""
    if not value:
        return []
    for separator in LIST_SEPARATORS:
        if separator in value:
            return [part.strip() for part in value.split(separator) if part.strip()]
    return [value.strip()]


def absolute_path(music_directory: str | os.PathLike, raw: bytes | str | None) -> str | None:
    """A stored path as an absolute one: beets keeps paths inside the library relative."""
    if not raw:
        return None
    path = os.fsdecode(raw)
    return path if os.path.isabs(path) else os.path.join(os.fspath(music_directory), path)


def storable(text: str) -> str:
    """``text`` as SQLite can store it. A file name that is not UTF-8 decodes with lone
    surrogates, which no UTF-8 column takes; its undecodable bytes become U+FFFD instead, so
    the file is listed (and refused as not found if opened) rather than stopping a whole sync."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def storable_path(music_directory: str | os.PathLike, raw: bytes | str | None) -> str | None:
    """``absolute_path``, storable in SQLite (for tables and display, not for opening)."""
    path = absolute_path(music_directory, raw)
    return None if path is None else storable(path)


def file_suffix(raw: bytes | str | None) -> str:
    """A stored path's suffix without the dot, in lower case ("flac"), storable."""
    return storable(os.path.splitext(os.fsdecode(raw or b""))[1].lstrip(".").lower())


def beets_signature(beets_db: Path) -> str:
    """Changes whenever beets commits: the database's and its WAL's mtime and size."""
    parts = []
    for path in (beets_db, beets_db.with_name(beets_db.name + "-wal")):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
    return "|".join(parts)


@contextmanager
def attached(conn: sqlite3.Connection, beets_db: Path, schema: str = "beets") -> Iterator[None]:
    """beets' database ATTACHed read-only to ``conn`` as ``schema`` for the block."""
    conn.execute(f"ATTACH DATABASE ? AS {schema}", [beets_db.as_uri() + "?mode=ro"])
    try:
        yield
    finally:
        conn.execute(f"DETACH DATABASE {schema}")


def item_fields(beets_db: Path, item_id: int, names: Iterable[str]) -> dict[str, object]:
    """The named fields of one item as beets stored them, fixed or flexible, read-only; those
    that are unset or empty are left out. For a reader that needs one row now, and fields too
    big to copy into the server's catalog (an item's lyrics)."""
    conn = sqlite3.connect(f"{beets_db.as_uri()}?mode=ro", uri=True, timeout=5.0)
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(items)")}
        wanted = list(names)
        # Only names that are real columns reach the SQL text.
        fixed = [name for name in wanted if name in columns]
        flexible = [name for name in wanted if name not in columns]
        found: dict[str, object] = {}
        if fixed:
            row = conn.execute(
                f"SELECT {', '.join(fixed)} FROM items WHERE id = ?", [item_id]
            ).fetchone()
            if row is not None:
                found.update(zip(fixed, row, strict=True))
        if flexible:
            marks = ", ".join("?" * len(flexible))
            found.update(
                conn.execute(
                    "SELECT key, value FROM item_attributes"
                    f" WHERE entity_id = ? AND key IN ({marks})",
                    [item_id, *flexible],
                ).fetchall()
            )
    finally:
        conn.close()
    return {name: value for name, value in found.items() if value not in (None, "")}


@dataclass(frozen=True)
class StoredRow:
    """One row of ``items`` or ``albums`` as beets stored it, with its flexible attributes."""

    id: int
    fields: Mapping[str, object]
    flex: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredItems:
    """Items and the albums they belong to, keyed by id."""

    items: list[StoredRow]
    albums: dict[int, StoredRow]
    music_directory: str

    def path(self, item: StoredRow) -> str:
        return absolute_path(self.music_directory, item.fields.get("path")) or ""  # type: ignore[arg-type]

    def album_of(self, item: StoredRow) -> StoredRow | None:
        album_id = item.fields.get("album_id")
        return self.albums.get(album_id) if isinstance(album_id, int) else None


def _flex(rows: Iterable[sqlite3.Row]) -> dict[int, dict[str, str]]:
    flex: dict[int, dict[str, str]] = {}
    for row in rows:
        flex.setdefault(row["entity_id"], {})[row["key"]] = row["value"]
    return flex


def read_items(lib: Library, ids: Iterable[int] | None = None) -> StoredItems:
    """Every stored field of the items (all, or those in ``ids``) and of their albums."""
    items_sql, item_flex_sql = "SELECT * FROM items", "SELECT * FROM item_attributes"
    albums_sql, album_flex_sql = "SELECT * FROM albums", "SELECT * FROM album_attributes"
    if ids is not None:
        chosen = f"({','.join(str(int(i)) for i in ids)})"
        their_albums = f"(SELECT album_id FROM items WHERE id IN {chosen})"
        items_sql += f" WHERE id IN {chosen}"
        item_flex_sql += f" WHERE entity_id IN {chosen}"
        albums_sql += f" WHERE id IN {their_albums}"
        album_flex_sql += f" WHERE entity_id IN {their_albums}"
    with lib.transaction() as tx:
        items = tx.query(items_sql)
        item_flex = _flex(tx.query(item_flex_sql))
        albums = tx.query(albums_sql)
        album_flex = _flex(tx.query(album_flex_sql))
    return StoredItems(
        items=[StoredRow(row["id"], dict(row), item_flex.get(row["id"], {})) for row in items],
        albums={
            row["id"]: StoredRow(row["id"], dict(row), album_flex.get(row["id"], {}))
            for row in albums
        },
        music_directory=os.fsdecode(lib.directory),
    )
