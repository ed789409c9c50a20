"""Playlists that name a removed copy: found before a resolution, repointed, and put back.

Two kinds: m3u files in the configured directories (lines holding the removed file's path) and
sidecar tables with an ``item_id`` column (``playlist_tables``, rows holding the removed item's
id). A table that does not exist (yet) is skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import sqlite_utils

from beetsplug.dupes.journal import M3uEntry, Move, PlaylistEntry, TableEntry


class Playlists:
    def __init__(
        self, db: sqlite_utils.Database, directories: Sequence[Path], tables: Sequence[str]
    ):
        self.db = db
        self.directories = list(directories)
        self.tables = list(tables)

    def entries(self, moves: Sequence[Move]) -> list[PlaylistEntry]:
        """The m3u lines and table rows that point at the files and items ``moves`` remove."""
        entries: list[PlaylistEntry] = []
        sources = {move.source for move in moves}
        for directory in self.directories:
            for playlist in sorted(Path(directory).glob("*.m3u*")):
                lines = playlist.read_text(encoding="utf-8").splitlines()
                entries += [
                    M3uEntry(str(playlist), number, line.strip())
                    for number, line in enumerate(lines)
                    if line.strip() in sources
                ]
        for table in self.tables:
            if not self.db[table].exists() or "item_id" not in self.db[table].columns_dict:
                continue
            for move in moves:
                entries += [
                    TableEntry(table, rowid, move.item_id)
                    for (rowid,) in self.db.execute(
                        f"SELECT rowid FROM [{table}] WHERE item_id = ?", (move.item_id,)
                    )
                ]
        return entries

    def repoint(self, entries: Sequence[PlaylistEntry], keep_path: str, keep_id: int) -> None:
        """Point ``entries`` at the canonical copy."""
        by_file: dict[str, list[M3uEntry]] = defaultdict(list)
        for entry in entries:
            if isinstance(entry, M3uEntry):
                by_file[entry.playlist].append(entry)
            else:
                self._set_item(entry, keep_id)
        for name, hits in by_file.items():
            playlist = Path(name)
            lines = playlist.read_text(encoding="utf-8").splitlines(keepends=True)
            for entry in hits:
                lines[entry.line] = lines[entry.line].replace(entry.old, keep_path)
            playlist.write_text("".join(lines), encoding="utf-8")

    def restore(self, entries: Sequence[PlaylistEntry], keep_path: str, keep_id: int) -> None:
        """Point ``entries`` back at what they held. An m3u line or a row that no longer holds
        the canonical copy was edited since (a row's rowid may even have been reused by another
        playlist's entry): it is left alone."""
        for entry in entries:
            if isinstance(entry, M3uEntry):
                playlist = Path(entry.playlist)
                lines = playlist.read_text(encoding="utf-8").splitlines(keepends=True)
                if entry.line < len(lines) and lines[entry.line].strip() == keep_path:
                    lines[entry.line] = lines[entry.line].replace(keep_path, entry.old)
                    playlist.write_text("".join(lines), encoding="utf-8")
            elif self.db[entry.table].exists():
                self._set_item(entry, entry.old, holding=keep_id)

    def _set_item(self, entry: TableEntry, item_id: int, holding: int | None = None) -> None:
        """Point a row at ``item_id``; with ``holding``, only if it still points at that."""
        sql = f"UPDATE [{entry.table}] SET item_id = ? WHERE rowid = ?"
        params = [item_id, entry.rowid]
        if holding is not None:
            sql += " AND item_id = ?"
            params.append(holding)
        with self.db.conn:
            self.db.execute(sql, params)
