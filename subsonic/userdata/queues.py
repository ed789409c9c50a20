"""Play queues and bookmarks: what a user was listening to, kept so another client can resume.

Each user has one saved queue (``play_queues``, its songs in ``play_queue_entries``, duplicates
allowed) and a bookmark per song (``bookmarks``). The current song is kept as an index into the
queue, so both ``savePlayQueue`` (by id) and ``savePlayQueueByIndex`` are the same save.

Songs that left the library are skipped when a queue or bookmarks are read, never an error: the
rows stay, so a song that comes back (or that ``follow`` moves to a new id) is found again.
"""

from __future__ import annotations

from dataclasses import dataclass

from subsonic.library import Library, Row
from subsonic.userdata.writer import Writer


@dataclass(frozen=True)
class SavedQueue:
    """A queue as a client saves it: item ids in order, the current one by its index."""

    item_ids: list[int]
    # None exactly when the queue is empty.
    current_index: int | None
    position_ms: int
    client: str


@dataclass(frozen=True)
class PlayQueue:
    """A user's queue as it reads now: only the songs still in the library."""

    songs: list[Row]
    current_index: int | None
    position_ms: int
    # When it was last saved (epoch seconds); 0 if it never was.
    changed: float
    changed_by: str


@dataclass(frozen=True)
class Bookmark:
    song: Row
    position_ms: int
    comment: str
    created: float
    changed: float


def save_queue(writer: Writer, user: str, queue: SavedQueue, now: float) -> None:
    """Replace the user's queue; an empty one clears it (and says who cleared it, and when)."""
    with writer.transaction() as conn:
        conn.execute(
            "INSERT INTO play_queues (user, current_index, position_ms, changed, changed_by)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user) DO UPDATE SET"
            " current_index = excluded.current_index, position_ms = excluded.position_ms,"
            " changed = excluded.changed, changed_by = excluded.changed_by",
            [user, queue.current_index, queue.position_ms, now, queue.client],
        )
        conn.execute("DELETE FROM play_queue_entries WHERE user = ?", [user])
        conn.executemany(
            "INSERT INTO play_queue_entries (user, position, item_id) VALUES (?, ?, ?)",
            [(user, position, item_id) for position, item_id in enumerate(queue.item_ids)],
        )


def load_queue(library: Library, user: str) -> PlayQueue:
    """The user's queue without the songs that left the library.

    If the current song left, the next remaining one (else the last) becomes current, from its
    start: the saved position was a position in another song.
    """
    # One statement, so the queue and its entries come from the same commit.
    rows = library.conn.execute(
        "SELECT q.current_index, q.position_ms, q.changed, q.changed_by, e.position, e.item_id"
        " FROM play_queues q LEFT JOIN play_queue_entries e ON e.user = q.user"
        " WHERE q.user = ? ORDER BY e.position",
        [user],
    ).fetchall()
    if not rows:
        return PlayQueue(songs=[], current_index=None, position_ms=0, changed=0, changed_by="")
    saved_current, position_ms, changed, changed_by = rows[0][:4]
    saved_current = saved_current or 0
    entries = [(position, item_id) for *_, position, item_id in rows if item_id is not None]
    found = library.songs(item_id for _, item_id in entries)
    remaining = [(position, found[item_id]) for position, item_id in entries if item_id in found]
    current_index = None
    if remaining:
        later = [i for i, (position, _) in enumerate(remaining) if position >= saved_current]
        current_index = later[0] if later else len(remaining) - 1
        if remaining[current_index][0] != saved_current:
            position_ms = 0
    return PlayQueue(
        songs=[song for _, song in remaining],
        current_index=current_index,
        position_ms=position_ms if current_index is not None else 0,
        changed=changed,
        changed_by=changed_by,
    )


def save_bookmark(
    writer: Writer, user: str, item_id: int, position_ms: int, comment: str, now: float
) -> None:
    """Create the user's bookmark in this song, or move it (keeping when it was created)."""
    with writer.transaction() as conn:
        conn.execute(
            "INSERT INTO bookmarks (user, item_id, position_ms, comment, created, changed)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user, item_id) DO UPDATE SET"
            " position_ms = excluded.position_ms, comment = excluded.comment,"
            " changed = excluded.changed",
            [user, item_id, position_ms, comment, now, now],
        )


def delete_bookmark(writer: Writer, user: str, item_id: int) -> bool:
    """Delete the user's bookmark in this song; whether there was one."""
    with writer.transaction() as conn:
        deleted = conn.execute(
            "DELETE FROM bookmarks WHERE user = ? AND item_id = ?", [user, item_id]
        ).rowcount
    return deleted > 0


def load_bookmarks(library: Library, user: str) -> list[Bookmark]:
    """The user's bookmarks in songs still in the library, the most recently changed first."""
    rows = library.conn.execute(
        "SELECT item_id, position_ms, comment, created, changed FROM bookmarks"
        " WHERE user = ? ORDER BY changed DESC, item_id",
        [user],
    ).fetchall()
    found = library.songs(row[0] for row in rows)
    return [
        Bookmark(found[item_id], position_ms, comment, created, changed)
        for item_id, position_ms, comment, created, changed in rows
        if item_id in found
    ]
