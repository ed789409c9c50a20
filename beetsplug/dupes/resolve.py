"""Resolving a group safely: plan, journal, move to the trash, and undo.

Every resolution is an *action* in the sidecar journal, written before anything is touched and
holding everything needed to put it back (the removed items' fields, the canonical's tags before
filling, the playlist entries repointed). Applying one group:

1. journal the plan (state ``pending``);
2. move each non-canonical file into the trash, keeping its path relative to the library;
3. in one beets transaction, fill the canonical's missing tags and remove the other items;
4. write the canonical's tags to its file, repoint playlists, mark the action ``applied``.

A failure in step 2 or 3 moves the files back at once; a crash anywhere leaves a ``pending``
action that ``recover`` finishes (if beets already lost the items, step 3 committed) or rolls
back (otherwise). So a group is either resolved or untouched, and resolving again is safe.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlite_utils
from beets.dbcore.db import Transaction
from beets.library import Album, Item, Library

from beetsplug.dupes.model import StoredGroup

PENDING, APPLIED, ROLLED_BACK, UNDONE, PURGED = (
    "pending",
    "applied",
    "rolled back",
    "undone",
    "purged",
)


class ResolveError(Exception):
    """A group or action that cannot be resolved or undone; the message says why."""


@dataclass
class Move:
    item_id: int
    source: str
    target: str


@dataclass
class Plan:
    group_id: int
    keep_id: int
    keep_path: str
    fills: dict[str, list] = field(default_factory=dict)  # field -> [old, new, from path]
    moves: list[Move] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # members left alone, and why
    items: dict[str, dict] = field(default_factory=dict)  # removed items' fields, for undo
    albums: dict[str, dict] = field(default_factory=dict)  # albums emptied by the removal
    playlists: list[dict] = field(default_factory=list)  # entries to repoint (and to restore)

    def describe(self) -> list[str]:
        lines = [f"keep {self.keep_path}"]
        lines += [
            f"fill {name}={new!r} from {source}" for name, (_, new, source) in self.fills.items()
        ]
        for entry in self.playlists:
            if "m3u" in entry:
                lines.append(f"repoint {entry['m3u']} line {entry['line'] + 1} to {self.keep_path}")
            else:
                lines.append(
                    f"repoint {entry['table']} row {entry['rowid']}: item {entry['old']}"
                    f" -> {self.keep_id}"
                )
        for move in self.moves:
            lines.append(f"move {move.source} -> {move.target}")
            lines.append(f"remove item {move.item_id} from beets")
        lines += [f"skip {reason}" for reason in self.skipped]
        return lines

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        data["moves"] = [Move(**m) for m in data["moves"]]
        return cls(**data)


def _snapshot(model: Item | Album) -> dict:
    values = {}
    for key in model.keys(computed=False):
        value = model.get(key)
        values[key] = os.fsdecode(value) if isinstance(value, bytes) else value
    return values


def move_file(source: Path, target: Path) -> None:
    """Move a file, copying across filesystems; never overwrites, never leaves half a file."""
    if target.exists():
        raise ResolveError(f"{target} already exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    partial = target.with_name(target.name + ".partial")
    shutil.copy2(source, partial)
    with partial.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(partial, target)
    source.unlink()


@contextmanager
def atomic(lib: Library) -> Iterator[Transaction]:
    """A beets transaction that rolls back on error (beets' own commits whatever happens)."""
    with lib.transaction() as tx:
        try:
            yield tx
        except BaseException:
            lib._connection().rollback()
            raise


class Resolver:
    """Resolves groups, undoes actions and purges the trash, journaled in the sidecar."""

    def __init__(
        self,
        lib: Library,
        db: sqlite_utils.Database,
        trash: Path,
        fill_fields: Sequence[str] = (),
        playlist_dirs: Sequence[Path] = (),
        playlist_tables: Sequence[str] = (),
    ):
        self.lib = lib
        self.db = db
        self.trash = trash
        self.fill_fields = list(fill_fields)
        self.playlist_dirs = list(playlist_dirs)
        self.playlist_tables = list(playlist_tables)
        self.library_dir = Path(os.fsdecode(lib.directory)).resolve()

    # Planning -------------------------------------------------------------------------------

    def plan(self, group: StoredGroup, action_id: int | None = None) -> Plan:
        """What resolving ``group`` would do; nothing is touched."""
        keep = self.lib.get_item(group.canonical_id)
        if keep is None or not os.path.exists(keep.path):
            raise ResolveError(
                f"group {group.id}: the canonical copy {group.canonical_path} is gone;"
                " run `beet dupes scan` first"
            )
        plan = Plan(group.id, keep.id, os.fsdecode(keep.path))
        folder = self.trash / str(action_id or self.next_action_id())
        others = []
        for member in group.members:
            if member.item_id == keep.id:
                continue
            item = self.lib.get_item(member.item_id)
            if item is None:
                plan.skipped.append(f"{member.path}: no longer in beets")
            elif not os.path.exists(item.path):
                plan.skipped.append(f"{member.path}: file vanished since the scan")
            else:
                others.append(item)
                path = Path(os.fsdecode(item.path)).resolve()
                relative = (
                    path.relative_to(self.library_dir)
                    if path.is_relative_to(self.library_dir)
                    else Path("_outside", *path.parts[1:])
                )
                plan.moves.append(Move(item.id, str(path), str(folder / relative)))
                plan.items[str(item.id)] = _snapshot(item)
        for name in self.fill_fields:
            if keep.get(name):
                continue
            donor = next((o for o in others if o.get(name)), None)
            if donor is not None:
                plan.fills[name] = [keep.get(name), donor.get(name), os.fsdecode(donor.path)]
        for item in others:
            album = item.get_album()
            # beets drops an album with its last item: keep what undo needs to recreate it.
            if album is not None and all(str(i.id) in plan.items for i in album.items()):
                plan.albums[str(album.id)] = _snapshot(album)
        plan.playlists = self._playlist_entries(plan)
        return plan

    def next_action_id(self) -> int:
        """The id the next resolution will get, so a dry run can name its trash folder."""
        return self.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM dupes_actions").fetchone()[0]

    # Applying -------------------------------------------------------------------------------

    def apply(self, group: StoredGroup) -> Plan:
        """Resolve ``group`` for real; returns the plan carried out."""
        self.recover()
        with self.db.conn:
            action_id = self.db.execute(
                "INSERT INTO dupes_actions (group_id, state, plan) VALUES (?, ?, '{}')",
                (group.id, PENDING),
            ).lastrowid
        try:
            plan = self.plan(group, action_id)
        except Exception:
            with self.db.conn:
                self.db.execute("DELETE FROM dupes_actions WHERE id = ?", (action_id,))
            raise
        if not plan.moves:
            with self.db.conn:
                self.db.execute("DELETE FROM dupes_actions WHERE id = ?", (action_id,))
            return plan
        self._save(action_id, plan, PENDING, "planned")
        try:
            for move in plan.moves:
                move_file(Path(move.source), Path(move.target))
                self._log(action_id, f"moved {move.source} -> {move.target}")
            self._commit_to_beets(plan)
        except Exception as exc:
            self._roll_back(action_id, plan, f"failed: {exc}")
            raise ResolveError(f"group {group.id}: {exc}; nothing was changed") from exc
        self._finish(action_id, plan)
        return plan

    def _commit_to_beets(self, plan: Plan) -> None:
        keep = self.lib.get_item(plan.keep_id)
        with atomic(self.lib):
            for name, (_, new, _) in plan.fills.items():
                keep[name] = new
            keep.store()
            for move in plan.moves:
                item = self.lib.get_item(move.item_id)
                item.remove(delete=False, with_album=True)

    def _finish(self, action_id: int, plan: Plan) -> None:
        keep = self.lib.get_item(plan.keep_id)
        if plan.fills and keep is not None:
            keep.try_write()
        plan.playlists = self._repoint(plan)
        summary = (
            f"applied: kept {plan.keep_path}; filled {', '.join(plan.fills) or 'nothing'};"
            f" repointed {len(plan.playlists)} playlist entries;"
            f" removed items {', '.join(str(m.item_id) for m in plan.moves)} from beets"
        )
        self._save(action_id, plan, APPLIED, summary)

    def _roll_back(self, action_id: int, plan: Plan, reason: str) -> None:
        for move in plan.moves:
            source, target = Path(move.source), Path(move.target)
            with contextlib.suppress(OSError):
                target.with_name(target.name + ".partial").unlink(missing_ok=True)
            if target.exists() and not source.exists():
                move_file(target, source)
        self._save(action_id, plan, ROLLED_BACK, reason)

    def recover(self) -> list[int]:
        """Finish or roll back actions a crash left pending; returns their ids."""
        pending = self.db.execute(
            "SELECT id, plan FROM dupes_actions WHERE state = ?", (PENDING,)
        ).fetchall()
        for action_id, text in pending:
            plan = Plan.from_json(text) if text != "{}" else None
            if plan is None:
                self._save_state(action_id, ROLLED_BACK, "crashed before planning")
            elif all(self.lib.get_item(m.item_id) is None for m in plan.moves):
                self._finish(action_id, plan)
                self._log(action_id, "recovered: finished after a crash")
            else:
                self._roll_back(action_id, plan, "recovered: rolled back after a crash")
        return [row[0] for row in pending]

    # Playlists ------------------------------------------------------------------------------

    def _playlist_entries(self, plan: Plan) -> list[dict]:
        """The m3u lines and sidecar playlist rows that point at items about to be removed."""
        entries = []
        sources = {m.source for m in plan.moves}
        for directory in self.playlist_dirs:
            for playlist in sorted(Path(directory).glob("*.m3u*")):
                lines = playlist.read_text(encoding="utf-8").splitlines()
                entries += [
                    {"m3u": str(playlist), "line": number, "old": line.strip()}
                    for number, line in enumerate(lines)
                    if line.strip() in sources
                ]
        for table in self.playlist_tables:
            if not self.db[table].exists() or "item_id" not in self.db[table].columns_dict:
                continue
            for move in plan.moves:
                entries += [
                    {"table": table, "rowid": rowid, "old": move.item_id}
                    for (rowid,) in self.db.execute(
                        f"SELECT rowid FROM [{table}] WHERE item_id = ?", (move.item_id,)
                    )
                ]
        return entries

    def _repoint(self, plan: Plan) -> list[dict]:
        """Point playlist entries of removed items at the canonical; returns what changed."""
        entries = self._playlist_entries(plan)
        by_file: dict[str, list[dict]] = {}
        for entry in entries:
            if "m3u" in entry:
                by_file.setdefault(entry["m3u"], []).append(entry)
            else:
                with self.db.conn:
                    self.db.execute(
                        f"UPDATE [{entry['table']}] SET item_id = ? WHERE rowid = ?",
                        (plan.keep_id, entry["rowid"]),
                    )
        for name, hits in by_file.items():
            playlist = Path(name)
            lines = playlist.read_text(encoding="utf-8").splitlines(keepends=True)
            for entry in hits:
                lines[entry["line"]] = lines[entry["line"]].replace(entry["old"], plan.keep_path)
            playlist.write_text("".join(lines), encoding="utf-8")
        return entries

    def _unpoint(self, plan: Plan) -> None:
        for entry in plan.playlists:
            if "m3u" in entry:
                playlist = Path(entry["m3u"])
                lines = playlist.read_text(encoding="utf-8").splitlines(keepends=True)
                number = entry["line"]
                if number < len(lines) and lines[number].strip() == plan.keep_path:
                    lines[number] = lines[number].replace(plan.keep_path, entry["old"])
                    playlist.write_text("".join(lines), encoding="utf-8")
            elif self.db[entry["table"]].exists():
                with self.db.conn:
                    self.db.execute(
                        f"UPDATE [{entry['table']}] SET item_id = ? WHERE rowid = ?",
                        (entry["old"], entry["rowid"]),
                    )

    # Undo and purge -------------------------------------------------------------------------

    def actions(self, states: Sequence[str] = (APPLIED,)) -> list[tuple[int, int, str, Plan]]:
        marks = ",".join("?" * len(states))
        rows = self.db.execute(
            f"SELECT id, group_id, created, plan FROM dupes_actions WHERE state IN ({marks})"
            " ORDER BY id",
            tuple(states),
        ).fetchall()
        return [(a, g, c, Plan.from_json(p)) for a, g, c, p in rows]

    def undo(self, action_id: int | None = None) -> Plan:
        """Put back the files and beets items of an applied action (the latest by default)."""
        self.recover()
        applied = {a: plan for a, _, _, plan in self.actions()}
        if not applied:
            raise ResolveError("no applied action to undo")
        action_id = action_id if action_id is not None else max(applied)
        if action_id not in applied:
            raise ResolveError(f"action {action_id} is not an applied action")
        plan = applied[action_id]
        for move in plan.moves:
            if not Path(move.target).exists():
                raise ResolveError(f"{move.target} is no longer in the trash; cannot undo")
            if Path(move.source).exists():
                raise ResolveError(f"{move.source} exists again; move it away to undo")
        for move in plan.moves:
            move_file(Path(move.target), Path(move.source))
        with atomic(self.lib) as tx:
            for album_id, values in plan.albums.items():
                if self.lib.get_album(int(album_id)) is None:
                    tx.mutate("INSERT INTO albums (id) VALUES (?)", (int(album_id),))
                    album = Album(self.lib)
                    album.id = int(album_id)
                    # update() marks the fields dirty, so store() writes them.
                    album.update({k: v for k, v in values.items() if k != "id"})
                    album.store()
            for item_id, values in plan.items.items():
                tx.mutate("INSERT INTO items (id) VALUES (?)", (int(item_id),))
                item = Item(self.lib)
                item.id = int(item_id)
                item.update({k: v for k, v in values.items() if k != "id"})
                item.path = os.fsencode(values["path"])
                item.store()
            keep = self.lib.get_item(plan.keep_id)
            if keep is not None:
                for name, (old, new, _) in plan.fills.items():
                    if keep.get(name) == new:
                        keep[name] = old
                keep.store()
        if keep is not None and plan.fills:
            keep.try_write()
        self._unpoint(plan)
        self._save_state(action_id, UNDONE, "undone")
        return plan

    def purge(self) -> list[str]:
        """Delete the trashed files of every applied action; they can no longer be undone."""
        removed = []
        for action_id, _, _, plan in self.actions():
            for move in plan.moves:
                Path(move.target).unlink(missing_ok=True)
                removed.append(move.target)
            shutil.rmtree(self.trash / str(action_id), ignore_errors=True)
            self._save_state(action_id, PURGED, "purged")
        return removed

    # Journal --------------------------------------------------------------------------------

    def _save(self, action_id: int, plan: Plan, state: str, message: str) -> None:
        with self.db.conn:
            self.db.execute(
                "UPDATE dupes_actions SET plan = ?, state = ?, log = log || ? WHERE id = ?",
                (json.dumps(asdict(plan), default=str), state, message + "\n", action_id),
            )

    def _save_state(self, action_id: int, state: str, message: str) -> None:
        with self.db.conn:
            self.db.execute(
                "UPDATE dupes_actions SET state = ?, log = log || ? WHERE id = ?",
                (state, message + "\n", action_id),
            )

    def _log(self, action_id: int, message: str) -> None:
        with self.db.conn:
            self.db.execute(
                "UPDATE dupes_actions SET log = log || ? WHERE id = ?", (message + "\n", action_id)
            )
