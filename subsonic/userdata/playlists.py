"""Playlists in the sidecar: who may see and change them, their songs in order, their counts.

A playlist's songs are rows of ``playlist_entries``: beets item ids at dense positions 0..n-1.
Clients see only the entries whose song is in the catalog, so a song removed from beets drops
out of the listing and of the counts without breaking the playlist (and comes back if beets
gets it back). The indexes a client sends (``songIndexToRemove``) count those shown entries.

Every change is one Writer transaction that reads what it changes, so two clients editing one
playlist at once take turns and lose nothing. getPlaylists shows each playlist's song count,
duration and cover without counting its songs: they are kept on the playlist's row, counted
again by each change and, after a catalog sync, for every playlist at the next listing
(``counted_for`` is the catalog version they were counted against).

Who may do what: everyone sees their own playlists and the public ones, admins see all; the
owner or an admin changes a playlist, except one that follows an M3U file (``source_path``,
kept by ``subsonic.userdata.m3u``), which nobody changes through the API.
"""

from __future__ import annotations

import enum
import json
import sqlite3
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from subsonic import ids
from subsonic.library import Library
from subsonic.store import User
from subsonic.userdata.writer import Writer

# The entries clients see: those whose song is in the catalog.
SHOWN_ENTRIES = "playlist_entries e JOIN catalog_songs s ON s.item_id = e.item_id"
PLAYLIST_COLUMNS = (
    "id, owner, name, comment, public, created, changed, song_count, duration, cover_item_id,"
    " source_path, source_kind"
)


class PlaylistError(Exception):
    """A change or a look-up the store refuses; the message says why."""


class NotFound(PlaylistError):
    """No such playlist (for this user), song or index."""


class NotAllowed(PlaylistError):
    """Someone else's playlist, or one that follows a file."""


@dataclass(frozen=True)
class Playlist:
    id: int
    owner: str
    name: str
    comment: str
    public: bool
    created: float
    changed: float
    song_count: int  # songs in the catalog, as last counted
    duration: float  # seconds, of those songs
    cover_item_id: int | None  # the first of them
    source_path: str | None  # what it follows (a file, a session); None if clients made it
    source_kind: str | None = None  # "m3u", "crate" or "session" (``FileKind``)

    def visible_to(self, user: User) -> bool:
        return self.public or user.admin or self.owner == user.name

    def editable_by(self, user: User) -> bool:
        may_edit = user.admin or (user.roles.playlist and self.owner == user.name)
        return self.source_path is None and may_edit


@dataclass(frozen=True)
class PlaylistChanges:
    """What updatePlaylist asks for; ``None`` leaves a field as it is."""

    name: str | None = None
    comment: str | None = None
    public: bool | None = None
    add: Sequence[int] = ()  # item ids, appended in this order
    remove: Collection[int] = ()  # indexes among the entries shown, before the additions


class FileKind(enum.Enum):
    """What a read-only playlist follows."""

    M3U = "m3u"
    CRATE = "crate"
    SESSION = "session"


@dataclass(frozen=True)
class FilePlaylist:
    """A read-only playlist as its source gives it (an M3U file, a crate, a listening session),
    to be stored as that source's playlist."""

    source_path: str
    signature: str  # changes when the file, its owner or the catalog does
    name: str
    comment: str
    owner: str
    changed: float  # the file's modification time
    item_ids: Sequence[int]
    public: bool = True


def _playlist(row: tuple) -> Playlist:
    (id_, owner, name, comment, public, created, changed, count, duration, cover, source, kind) = (
        row
    )
    return Playlist(
        id_,
        owner,
        name,
        comment,
        bool(public),
        created,
        changed,
        count,
        duration,
        cover,
        source,
        kind,
    )


def _ids_json(values: Iterable[int | str]) -> str:
    """A list of values as one SQL parameter, read back with ``json_each``."""
    return json.dumps(list(values))


def _catalog_version(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM catalog_meta WHERE key = 'beets_signature'").fetchone()
    return row[0] if row else None


def _recount(conn: sqlite3.Connection, where: str, params: Sequence[object] = ()) -> None:
    """Count the shown songs of the playlists ``where`` selects, as of the catalog now."""
    conn.execute(
        "UPDATE playlists SET (song_count, duration, cover_item_id, counted_for) = ("
        " SELECT count(*), coalesce(sum(s.length), 0), ("
        f"   SELECT e.item_id FROM {SHOWN_ENTRIES} WHERE e.playlist_id = playlists.id"
        "    ORDER BY e.position LIMIT 1),"
        "  (SELECT value FROM catalog_meta WHERE key = 'beets_signature')"
        f" FROM {SHOWN_ENTRIES} WHERE e.playlist_id = playlists.id)"
        f" WHERE {where}",
        params,
    )


def _append(conn: sqlite3.Connection, playlist_id: int, item_ids: Sequence[int]) -> None:
    (start,) = conn.execute(
        "SELECT coalesce(max(position) + 1, 0) FROM playlist_entries WHERE playlist_id = ?",
        [playlist_id],
    ).fetchone()
    conn.executemany(
        "INSERT INTO playlist_entries (playlist_id, position, item_id) VALUES (?, ?, ?)",
        [(playlist_id, start + offset, item_id) for offset, item_id in enumerate(item_ids)],
    )


def _renumber(conn: sqlite3.Connection, playlist_id: int) -> None:
    """Close the gaps removals left: positions 0..n-1 again, in the same order."""
    # Out of the way first (negative, order reversed), so no two rows ever share a position.
    conn.execute(
        "UPDATE playlist_entries SET position = -1 - position WHERE playlist_id = ?",
        [playlist_id],
    )
    conn.execute(
        "UPDATE playlist_entries SET position = ranked.position FROM ("
        " SELECT rowid AS entry, row_number() OVER (ORDER BY position DESC) - 1 AS position"
        " FROM playlist_entries WHERE playlist_id = ?) AS ranked"
        " WHERE playlist_entries.rowid = ranked.entry",
        [playlist_id],
    )


def _require_songs(conn: sqlite3.Connection, item_ids: Sequence[int]) -> None:
    """Fail unless every item is a song of the catalog."""
    found = {
        item_id
        for (item_id,) in conn.execute(
            "SELECT item_id FROM catalog_songs WHERE item_id IN (SELECT value FROM json_each(?))",
            [_ids_json(set(item_ids))],
        )
    }
    missing = sorted(set(item_ids) - found)
    if missing:
        raise NotFound("no such song: " + ", ".join(map(ids.song_id, missing)))


def seed_playlists(
    conn: sqlite3.Connection, owner: str, playlists: Sequence[Sequence[int]]
) -> list[int]:
    """Store ``owner``'s private playlists holding these item ids, fast and unchecked, and
    count them; their ids. For benchmarks: ``with writer.transaction() as conn: …``."""
    now = time.time()
    numbers = []
    for number, item_ids in enumerate(playlists, start=1):
        cursor = conn.execute(
            "INSERT INTO playlists (owner, name, created, changed) VALUES (?, ?, ?, ?)",
            [owner, f"Playlist {number}", now, now],
        )
        assert cursor.lastrowid is not None
        numbers.append(cursor.lastrowid)
        _append(conn, cursor.lastrowid, item_ids)
    _recount(conn, "id IN (SELECT value FROM json_each(?))", [_ids_json(numbers)])
    return numbers


class PlaylistStore:
    """Playlists: reads on the thread's read-only connection, changes through the Writer."""

    def __init__(self, library: Library, writer: Writer) -> None:
        self.library = library
        self.writer = writer

    # Reads

    def playable_by(self, user_name: str) -> list[Playlist]:
        """A user's own playlists and everyone's public ones, by name."""
        self._count_stale()
        rows = self.library.conn.execute(
            f"SELECT {PLAYLIST_COLUMNS} FROM playlists WHERE owner = ? OR public"
            " ORDER BY name COLLATE NOCASE, id",
            [user_name],
        )
        return [_playlist(row) for row in rows]

    def get(self, playlist_id: int, user: User) -> Playlist:
        """A playlist ``user`` may see, counted against the current catalog."""
        self._count_stale()
        return self._visible(self.library.conn, playlist_id, user)

    def version(self, playlist_id: int) -> tuple | None:
        """What changes whenever the playlist, its songs or the file it follows change."""
        self._count_stale()
        return self.library.conn.execute(
            "SELECT changed, source_signature, counted_for FROM playlists WHERE id = ?",
            [playlist_id],
        ).fetchone()

    def songs(self, playlist_id: int) -> list[int]:
        """The item ids of a playlist's entries, in order, songs that left the catalog too (the
        node builder skips them): reading catalog rows here cost 3 µs an entry, and the nodes of
        a long playlist come from the node cache without any row."""
        return [
            item_id
            for (item_id,) in self.library.conn.execute(
                "SELECT item_id FROM playlist_entries WHERE playlist_id = ? ORDER BY position",
                [playlist_id],
            )
        ]

    def file_signatures(self, kind: FileKind = FileKind.M3U) -> dict[str, str]:
        """The source each read-only playlist of ``kind`` follows, and its signature."""
        return dict(
            self.library.conn.execute(
                "SELECT source_path, source_signature FROM playlists WHERE source_kind = ?",
                [kind.value],
            ).fetchall()
        )

    def items_at(self, paths: Collection[str]) -> dict[str, int]:
        """The catalog's songs at these absolute paths (one scan, however many paths)."""
        return dict(
            self.library.conn.execute(
                "SELECT path, item_id FROM catalog_songs"
                " WHERE path IN (SELECT value FROM json_each(?))",
                [_ids_json(paths)],
            ).fetchall()
        )

    def catalog_version(self) -> str | None:
        return _catalog_version(self.library.conn)

    # Changes

    def create(self, owner: User, name: str, item_ids: Sequence[int]) -> int:
        with self.writer.transaction() as conn:
            _require_songs(conn, item_ids)
            now = time.time()
            cursor = conn.execute(
                "INSERT INTO playlists (owner, name, created, changed) VALUES (?, ?, ?, ?)",
                [owner.name, name, now, now],
            )
            assert cursor.lastrowid is not None
            _append(conn, cursor.lastrowid, item_ids)
            _recount(conn, "id = ?", [cursor.lastrowid])
            return cursor.lastrowid

    def replace_songs(
        self, playlist_id: int, user: User, item_ids: Sequence[int], name: str | None = None
    ) -> None:
        """createPlaylist with a ``playlistId``: these songs instead of the old ones."""
        with self.writer.transaction() as conn:
            playlist = self._editable(conn, playlist_id, user)
            _require_songs(conn, item_ids)
            conn.execute("DELETE FROM playlist_entries WHERE playlist_id = ?", [playlist_id])
            _append(conn, playlist_id, item_ids)
            conn.execute(
                "UPDATE playlists SET name = ?, changed = ? WHERE id = ?",
                [name or playlist.name, time.time(), playlist_id],
            )
            _recount(conn, "id = ?", [playlist_id])

    def update(self, playlist_id: int, user: User, changes: PlaylistChanges) -> None:
        """updatePlaylist: removals (by shown index) first, then additions, then the fields."""
        with self.writer.transaction() as conn:
            playlist = self._editable(conn, playlist_id, user)
            _require_songs(conn, changes.add)
            if changes.remove:
                self._remove(conn, playlist_id, set(changes.remove))
            _append(conn, playlist_id, changes.add)
            public = playlist.public if changes.public is None else changes.public
            conn.execute(
                "UPDATE playlists SET name = ?, comment = ?, public = ?, changed = ? WHERE id = ?",
                [
                    changes.name or playlist.name,
                    playlist.comment if changes.comment is None else changes.comment,
                    int(public),
                    time.time(),
                    playlist_id,
                ],
            )
            _recount(conn, "id = ?", [playlist_id])

    def delete(self, playlist_id: int, user: User) -> None:
        with self.writer.transaction() as conn:
            self._editable(conn, playlist_id, user)
            conn.execute("DELETE FROM playlists WHERE id = ?", [playlist_id])

    def sync_files(
        self,
        playlists: Sequence[FilePlaylist],
        present: Collection[str],
        kind: FileKind = FileKind.M3U,
    ) -> None:
        """Store the file playlists read again, and drop those whose file is not ``present``.

        Several processes may read a changed file at once: the signature is checked again
        here, under the write lock, so one of them writes it and the others find it done.
        """
        with self.writer.transaction() as conn:
            for playlist in playlists:
                self._store_file_playlist(conn, playlist, kind)
            conn.execute(
                "DELETE FROM playlists WHERE source_kind = ?"
                " AND source_path NOT IN (SELECT value FROM json_each(?))",
                [kind.value, _ids_json(present)],
            )

    # Helpers

    def _count_stale(self) -> None:
        """Count again the playlists counted against an older catalog (after a sync)."""
        version = self.catalog_version()
        stale = self.library.conn.execute(
            "SELECT 1 FROM playlists WHERE counted_for IS NOT ? LIMIT 1", [version]
        ).fetchone()
        if stale:
            with self.writer.transaction() as conn:
                _recount(conn, "counted_for IS NOT ?", [_catalog_version(conn)])

    @staticmethod
    def _visible(conn: sqlite3.Connection, playlist_id: int, user: User) -> Playlist:
        row = conn.execute(
            f"SELECT {PLAYLIST_COLUMNS} FROM playlists WHERE id = ?", [playlist_id]
        ).fetchone()
        playlist = _playlist(row) if row else None
        if playlist is None or not playlist.visible_to(user):
            raise NotFound(f"no such playlist: {ids.playlist_id(playlist_id)}")
        return playlist

    def _editable(self, conn: sqlite3.Connection, playlist_id: int, user: User) -> Playlist:
        playlist = self._visible(conn, playlist_id, user)
        if playlist.source_path is not None:
            follows = {
                FileKind.CRATE.value: "it is a smart playlist, following the crate",
                FileKind.SESSION.value: "it is a listening session from",
            }.get(playlist.source_kind or "", "it follows the file")
            source = playlist.source_path
            shown = source if playlist.source_kind == FileKind.SESSION.value else Path(source).name
            raise NotAllowed(f"playlist {playlist.name!r} is read-only: {follows} {shown}")
        if not playlist.editable_by(user):
            raise NotAllowed(f"playlist {playlist.name!r} belongs to {playlist.owner}")
        return playlist

    @staticmethod
    def _remove(conn: sqlite3.Connection, playlist_id: int, indexes: set[int]) -> None:
        shown = [
            position
            for (position,) in conn.execute(
                f"SELECT e.position FROM {SHOWN_ENTRIES} WHERE e.playlist_id = ?"
                " ORDER BY e.position",
                [playlist_id],
            )
        ]
        wrong = sorted(index for index in indexes if not 0 <= index < len(shown))
        if wrong:
            raise NotFound(
                f"no song at index {', '.join(map(str, wrong))} (the playlist has {len(shown)})"
            )
        conn.execute(
            "DELETE FROM playlist_entries WHERE playlist_id = ?"
            " AND position IN (SELECT value FROM json_each(?))",
            [playlist_id, _ids_json(shown[index] for index in indexes)],
        )
        _renumber(conn, playlist_id)

    @staticmethod
    def _store_file_playlist(
        conn: sqlite3.Connection, playlist: FilePlaylist, kind: FileKind
    ) -> None:
        row = conn.execute(
            "SELECT id, source_signature FROM playlists WHERE source_path = ?",
            [playlist.source_path],
        ).fetchone()
        if row is not None and row[1] == playlist.signature:
            return
        fields = [
            playlist.name,
            playlist.comment,
            playlist.owner,
            playlist.changed,
            int(playlist.public),
        ]
        if row is None:
            cursor = conn.execute(
                "INSERT INTO playlists (name, comment, owner, changed, public, created,"
                " source_path, source_signature, source_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*fields, time.time(), playlist.source_path, playlist.signature, kind.value],
            )
            assert cursor.lastrowid is not None
            playlist_id = cursor.lastrowid
        else:
            playlist_id = row[0]
            conn.execute(
                "UPDATE playlists SET name = ?, comment = ?, owner = ?, changed = ?, public = ?,"
                " source_signature = ? WHERE id = ?",
                [*fields, playlist.signature, playlist_id],
            )
            conn.execute("DELETE FROM playlist_entries WHERE playlist_id = ?", [playlist_id])
        _append(conn, playlist_id, playlist.item_ids)
        _recount(conn, "id = ?", [playlist_id])
