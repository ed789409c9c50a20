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
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils
from beets.dbcore.db import Transaction
from beets.library import Album, Item, Library

from beetsplug.dupes.journal import ActionState, Fill, Journal, JournaledAction, Move, Plan
from beetsplug.dupes.model import StoredGroup
from beetsplug.dupes.playlists import Playlists


class ResolveError(Exception):
    """A group or action that cannot be resolved or undone; the message says why."""


def _snapshot(model: Item | Album) -> dict[str, Any]:
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
        self.journal = Journal(db)
        self.playlists = Playlists(db, playlist_dirs, playlist_tables)
        self.trash = trash
        self.fill_fields = list(fill_fields)
        self.library_dir = Path(os.fsdecode(lib.directory)).resolve()

    # Planning -------------------------------------------------------------------------------

    def plan(self, group: StoredGroup, action_id: int | None = None) -> Plan:
        """What resolving ``group`` would do; nothing is touched. ``action_id`` names the
        trash folder (by default, the id the next action will get)."""
        keep = self.lib.get_item(group.canonical_id)
        if keep is None or not os.path.exists(keep.path):
            raise ResolveError(
                f"group {group.id}: the canonical copy {group.canonical_path} is gone;"
                " run `beet dupes scan` first"
            )
        plan = Plan(group.id, group.canonical_id, os.fsdecode(keep.path))
        folder = self.trash / str(action_id or self.next_action_id())
        others = []
        for member in group.members:
            if member.item_id == group.canonical_id:
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
                plan.moves.append(Move(member.item_id, str(path), str(folder / relative)))
                plan.removed_items[member.item_id] = _snapshot(item)
        for name in self.fill_fields:
            if keep.get(name):
                continue
            donor = next((o for o in others if o.get(name)), None)
            if donor is not None:
                plan.fills.append(
                    Fill(name, keep.get(name), donor.get(name), os.fsdecode(donor.path))
                )
        for item in others:
            album = item.get_album()
            if album is None or album.id is None:
                continue
            # beets drops an album with its last item: keep what undo needs to recreate it.
            if all(i.id in plan.removed_items for i in album.items()):
                plan.emptied_albums[album.id] = _snapshot(album)
        plan.playlist_entries = self.playlists.entries(plan.moves)
        return plan

    def next_action_id(self) -> int:
        """The id the next resolution will get, so a dry run can name its trash folder."""
        return self.journal.next_id()

    # Applying -------------------------------------------------------------------------------

    def apply(self, group: StoredGroup) -> Plan:
        """Resolve ``group`` for real; returns the plan carried out."""
        self.recover()
        action_id = self.journal.start(group.id)
        try:
            plan = self.plan(group, action_id)
        except Exception:
            self.journal.discard(action_id)
            raise
        if not plan.moves:
            self.journal.discard(action_id)
            return plan
        self.journal.save(action_id, plan, ActionState.PENDING, "planned")
        try:
            for move in plan.moves:
                move_file(Path(move.source), Path(move.target))
                self.journal.log(action_id, f"moved {move.source} -> {move.target}")
            self._commit_to_beets(plan)
        except Exception as exc:
            self._roll_back(action_id, plan, f"failed: {exc}")
            raise ResolveError(f"group {group.id}: {exc}; nothing was changed") from exc
        self._finish(action_id, plan)
        return plan

    def _commit_to_beets(self, plan: Plan) -> None:
        with atomic(self.lib):
            keep = self._stored_item(plan.keep_id)
            for fill in plan.fills:
                keep[fill.name] = fill.new
            keep.store()
            for move in plan.moves:
                self._stored_item(move.item_id).remove(delete=False, with_album=True)

    def _stored_item(self, item_id: int) -> Item:
        item = self.lib.get_item(item_id)
        if item is None:
            raise ResolveError(f"item {item_id} left beets since the plan")
        return item

    def _finish(self, action_id: int, plan: Plan) -> None:
        keep = self.lib.get_item(plan.keep_id)
        if plan.fills and keep is not None:
            keep.try_write()
        # Found again now: a playlist may have changed since the plan was journaled.
        plan.playlist_entries = self.playlists.entries(plan.moves)
        self.playlists.repoint(plan.playlist_entries, plan.keep_path, plan.keep_id)
        summary = (
            f"applied: kept {plan.keep_path};"
            f" filled {', '.join(fill.name for fill in plan.fills) or 'nothing'};"
            f" repointed {len(plan.playlist_entries)} playlist entries;"
            f" removed items {', '.join(str(m.item_id) for m in plan.moves)} from beets"
        )
        self.journal.save(action_id, plan, ActionState.APPLIED, summary)

    def _roll_back(self, action_id: int, plan: Plan, reason: str) -> None:
        for move in plan.moves:
            source, target = Path(move.source), Path(move.target)
            with contextlib.suppress(OSError):
                target.with_name(target.name + ".partial").unlink(missing_ok=True)
            if target.exists() and not source.exists():
                move_file(target, source)
        self.journal.save(action_id, plan, ActionState.ROLLED_BACK, reason)

    def recover(self) -> list[int]:
        """Finish or roll back actions a crash left pending; returns their ids."""
        recovered = self.journal.close_unplanned()
        for action in self.journal.actions([ActionState.PENDING]):
            plan = action.plan
            if all(self.lib.get_item(m.item_id) is None for m in plan.moves):
                self._finish(action.id, plan)
                self.journal.log(action.id, "recovered: finished after a crash")
            else:
                self._roll_back(action.id, plan, "recovered: rolled back after a crash")
            recovered.append(action.id)
        return sorted(recovered)

    # Undo and purge -------------------------------------------------------------------------

    def applied(self) -> list[JournaledAction]:
        """The actions that can be undone, oldest first."""
        return self.journal.actions([ActionState.APPLIED])

    def undo(self, action_id: int | None = None) -> Plan:
        """Put back the files and beets items of an applied action (the latest by default)."""
        self.recover()
        applied = {action.id: action.plan for action in self.applied()}
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
            for album_id, values in plan.emptied_albums.items():
                if self.lib.get_album(album_id) is None:
                    tx.mutate("INSERT INTO albums (id) VALUES (?)", (album_id,))
                    album = Album(self.lib)
                    album.id = album_id
                    # update() marks the fields dirty, so store() writes them.
                    album.update({k: v for k, v in values.items() if k != "id"})
                    album.store()
            for item_id, values in plan.removed_items.items():
                tx.mutate("INSERT INTO items (id) VALUES (?)", (item_id,))
                item = Item(self.lib)
                item.id = item_id
                item.update({k: v for k, v in values.items() if k != "id"})
                item.path = os.fsencode(values["path"])
                item.store()
            keep = self.lib.get_item(plan.keep_id)
            if keep is not None:
                for fill in plan.fills:
                    if keep.get(fill.name) == fill.new:
                        keep[fill.name] = fill.old
                keep.store()
        if keep is not None and plan.fills:
            keep.try_write()
        self.playlists.restore(plan.playlist_entries, plan.keep_path, plan.keep_id)
        self.journal.set_state(action_id, ActionState.UNDONE, "undone")
        return plan

    def purge(self) -> list[str]:
        """Delete the trashed files of every applied action; they can no longer be undone."""
        removed = []
        for action in self.applied():
            for move in action.plan.moves:
                Path(move.target).unlink(missing_ok=True)
                removed.append(move.target)
            shutil.rmtree(self.trash / str(action.id), ignore_errors=True)
            self.journal.set_state(action.id, ActionState.PURGED, "purged")
        return removed
