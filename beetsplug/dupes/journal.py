"""The journal of resolutions: what a plan holds, how it is written down, and in what state.

Each resolution is a row of ``dupes_actions`` holding its ``Plan`` as JSON: everything needed to
carry it out and to put it back. Users have applied actions in their sidecars, so the JSON shape
is a stored format: keys and layout never change, whatever the classes here are called.

    {"group_id": 3, "keep_id": 7, "keep_path": "/music/a.flac",
     "fills": {"album": [old, new, "/music/b.mp3"]},
     "moves": [{"item_id": 8, "source": "/music/b.mp3", "target": "/trash/4/b.mp3"}],
     "skipped": ["/music/c.ogg: no longer in beets"],
     "items": {"8": {beets fields}}, "albums": {"5": {beets fields}},
     "playlists": [{"m3u": "/p/mix.m3u", "line": 1, "old": "/music/b.mp3"},
                   {"table": "playlist_entries", "rowid": 1, "old": 8}]}
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils


class ActionState(enum.StrEnum):
    PENDING = "pending"  # journaled, maybe half done: ``Resolver.recover`` settles it
    APPLIED = "applied"  # done; can be undone while the trash holds its files
    ROLLED_BACK = "rolled back"  # failed or crashed, and everything was put back
    UNDONE = "undone"
    PURGED = "purged"  # its trashed files are deleted: it can no longer be undone


@dataclass(frozen=True)
class Move:
    """A removed member's file, moved into the trash."""

    item_id: int
    source: str
    target: str


@dataclass(frozen=True)
class Fill:
    """A tag the canonical copy lacked, filled from another member."""

    name: str  # the beets field
    old: Any  # the canonical's value before, put back by undo
    new: Any
    source: str  # the path of the member it came from


@dataclass(frozen=True)
class M3uEntry:
    """A line of an m3u playlist naming a removed member's path."""

    playlist: str
    line: int  # counted from 0
    old: str  # the path the line held

    def describe(self, keep_path: str, keep_id: int) -> str:
        return f"repoint {self.playlist} line {self.line + 1} to {keep_path}"

    def to_json(self) -> dict[str, Any]:
        return {"m3u": self.playlist, "line": self.line, "old": self.old}


@dataclass(frozen=True)
class TableEntry:
    """A row of a sidecar playlist table (with an ``item_id`` column) naming a removed member."""

    table: str
    rowid: int
    old: int  # the item id the row held

    def describe(self, keep_path: str, keep_id: int) -> str:
        return f"repoint {self.table} row {self.rowid}: item {self.old} -> {keep_id}"

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "rowid": self.rowid, "old": self.old}


PlaylistEntry = M3uEntry | TableEntry


def _playlist_entry(data: dict[str, Any]) -> PlaylistEntry:
    if "m3u" in data:
        return M3uEntry(data["m3u"], data["line"], data["old"])
    return TableEntry(data["table"], data["rowid"], data["old"])


@dataclass
class Plan:
    """What resolving one group does, and what undoing it needs."""

    group_id: int
    keep_id: int
    keep_path: str
    fills: list[Fill] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # members left alone, and why
    removed_items: dict[int, dict[str, Any]] = field(default_factory=dict)  # their beets fields
    emptied_albums: dict[int, dict[str, Any]] = field(default_factory=dict)  # albums beets drops
    playlist_entries: list[PlaylistEntry] = field(default_factory=list)  # repointed to the keep

    def describe(self) -> list[str]:
        lines = [f"keep {self.keep_path}"]
        lines += [f"fill {fill.name}={fill.new!r} from {fill.source}" for fill in self.fills]
        lines += [entry.describe(self.keep_path, self.keep_id) for entry in self.playlist_entries]
        for move in self.moves:
            lines.append(f"move {move.source} -> {move.target}")
            lines.append(f"remove item {move.item_id} from beets")
        lines += [f"skip {reason}" for reason in self.skipped]
        return lines

    def to_json(self) -> str:
        data = {
            "group_id": self.group_id,
            "keep_id": self.keep_id,
            "keep_path": self.keep_path,
            "fills": {fill.name: [fill.old, fill.new, fill.source] for fill in self.fills},
            "moves": [vars(move) for move in self.moves],
            "skipped": self.skipped,
            "items": self.removed_items,
            "albums": self.emptied_albums,
            "playlists": [entry.to_json() for entry in self.playlist_entries],
        }
        # A beets field of an unusual type is kept as its text rather than failing the action.
        return json.dumps(data, default=str)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        return cls(
            group_id=data["group_id"],
            keep_id=data["keep_id"],
            keep_path=data["keep_path"],
            fills=[Fill(name, *values) for name, values in data["fills"].items()],
            moves=[Move(**move) for move in data["moves"]],
            skipped=data["skipped"],
            removed_items={int(i): values for i, values in data["items"].items()},
            emptied_albums={int(i): values for i, values in data["albums"].items()},
            playlist_entries=[_playlist_entry(entry) for entry in data["playlists"]],
        )


@dataclass(frozen=True)
class JournaledAction:
    id: int  # also the name of its folder in the trash
    group_id: int
    created: str  # SQLite's datetime('now'), UTC
    plan: Plan


# An action is journaled before its plan, so a crash in between leaves this in place of one.
NO_PLAN = "{}"


class Journal:
    """The ``dupes_actions`` table: each write commits at once, so it survives a crash."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def next_id(self) -> int:
        """The id the next action will get, so a dry run can name its trash folder."""
        return int(
            self.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM dupes_actions").fetchone()[0]
        )

    def start(self, group_id: int) -> int:
        """Journal a pending action for ``group_id``, before it is planned; returns its id."""
        with self.db.conn:
            action_id = self.db.execute(
                "INSERT INTO dupes_actions (group_id, state, plan) VALUES (?, ?, ?)",
                (group_id, ActionState.PENDING.value, NO_PLAN),
            ).lastrowid
        assert action_id is not None
        return action_id

    def discard(self, action_id: int) -> None:
        """Forget an action that turned out to have nothing to do."""
        with self.db.conn:
            self.db.execute("DELETE FROM dupes_actions WHERE id = ?", (action_id,))

    def save(self, action_id: int, plan: Plan, state: ActionState, message: str) -> None:
        with self.db.conn:
            self.db.execute(
                "UPDATE dupes_actions SET plan = ?, state = ?, log = log || ? WHERE id = ?",
                (plan.to_json(), state.value, message + "\n", action_id),
            )

    def set_state(self, action_id: int, state: ActionState, message: str) -> None:
        with self.db.conn:
            self.db.execute(
                "UPDATE dupes_actions SET state = ?, log = log || ? WHERE id = ?",
                (state.value, message + "\n", action_id),
            )

    def log(self, action_id: int, message: str) -> None:
        with self.db.conn:
            self.db.execute(
                "UPDATE dupes_actions SET log = log || ? WHERE id = ?", (message + "\n", action_id)
            )

    def close_unplanned(self) -> list[int]:
        """Roll back the pending actions a crash left before their plan was written: nothing
        was touched yet. Returns their ids."""
        ids = [
            row[0]
            for row in self.db.execute(
                "SELECT id FROM dupes_actions WHERE state = ? AND plan = ?",
                (ActionState.PENDING.value, NO_PLAN),
            )
        ]
        for action_id in ids:
            self.set_state(action_id, ActionState.ROLLED_BACK, "crashed before planning")
        return ids

    def actions(self, states: Sequence[ActionState]) -> list[JournaledAction]:
        """The planned actions in one of ``states``, oldest first."""
        marks = ",".join("?" * len(states))
        rows = self.db.execute(
            f"SELECT id, group_id, created, plan FROM dupes_actions WHERE state IN ({marks})"
            " AND plan != ? ORDER BY id",
            (*(state.value for state in states), NO_PLAN),
        ).fetchall()
        return [JournaledAction(a, g, c, Plan.from_json(p)) for a, g, c, p in rows]
