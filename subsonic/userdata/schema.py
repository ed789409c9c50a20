"""The user-data tables in the sidecar (component ``userdata`` of ``beetcrate.sidecar``).

- ``user_annotations``: one row per user and song, album or artist they starred, rated or
  played: ``target`` is the id clients see (``tr-12``, ``al-3``, ``ar-…``); a play counts on
  the song, its album and its artists, so album and artist lists need no aggregation.
- ``user_plays``: every play scrobbled, for the listening history (and the scrobbling issue).
- ``now_playing``: what each user's player is playing, until the song would have ended.
- ``playlists`` / ``playlist_entries``: playlists and their songs in order (beets item ids;
  ``beet dupes resolve`` repoints the ``item_id`` column at the canonical copy). A playlist
  read from an M3U file has ``source_path`` set and is read-only.
- ``play_queues`` / ``play_queue_entries``: each user's saved queue (duplicates allowed).
- ``bookmarks``: a position in a song, per user.
- ``internet_radio_stations``: the stations admins list for everyone.

Migrations are append-only: never edit one that has shipped.
"""

from __future__ import annotations

import sqlite_utils

COMPONENT = "userdata"


def _initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE user_annotations (
            user TEXT NOT NULL,
            target TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('song', 'album', 'artist')),
            starred REAL,
            rating INTEGER CHECK (rating BETWEEN 1 AND 5),
            play_count INTEGER NOT NULL DEFAULT 0,
            last_played REAL,
            PRIMARY KEY (user, target)
        ) WITHOUT ROWID;
        CREATE INDEX user_annotations_starred ON user_annotations (user, kind, starred)
            WHERE starred IS NOT NULL;
        CREATE INDEX user_annotations_played ON user_annotations (user, kind, last_played)
            WHERE play_count > 0;
        CREATE INDEX user_annotations_target ON user_annotations (target);

        CREATE TABLE user_plays (
            id INTEGER PRIMARY KEY,
            user TEXT NOT NULL,
            item_id INTEGER NOT NULL,
            played_at REAL NOT NULL,
            client TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX user_plays_user ON user_plays (user, played_at);
        CREATE INDEX user_plays_item ON user_plays (item_id);

        CREATE TABLE now_playing (
            user TEXT NOT NULL,
            player TEXT NOT NULL,
            item_id INTEGER NOT NULL,
            started REAL NOT NULL,
            expires REAL NOT NULL,
            PRIMARY KEY (user, player)
        );

        CREATE TABLE playlists (
            id INTEGER PRIMARY KEY,
            owner TEXT NOT NULL,
            name TEXT NOT NULL,
            comment TEXT NOT NULL DEFAULT '',
            public INTEGER NOT NULL DEFAULT 0,
            created REAL NOT NULL,
            changed REAL NOT NULL,
            source_path TEXT UNIQUE,
            source_signature TEXT
        );
        CREATE INDEX playlists_owner ON playlists (owner, name);
        CREATE TABLE playlist_entries (
            playlist_id INTEGER NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            item_id INTEGER NOT NULL,
            PRIMARY KEY (playlist_id, position)
        );
        CREATE INDEX playlist_entries_item ON playlist_entries (item_id);

        CREATE TABLE play_queues (
            user TEXT PRIMARY KEY,
            current_index INTEGER,
            position_ms INTEGER NOT NULL DEFAULT 0,
            changed REAL NOT NULL,
            changed_by TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE play_queue_entries (
            user TEXT NOT NULL REFERENCES play_queues (user) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            item_id INTEGER NOT NULL,
            PRIMARY KEY (user, position)
        );
        CREATE INDEX play_queue_entries_item ON play_queue_entries (item_id);

        CREATE TABLE bookmarks (
            user TEXT NOT NULL,
            item_id INTEGER NOT NULL,
            position_ms INTEGER NOT NULL,
            comment TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL,
            changed REAL NOT NULL,
            PRIMARY KEY (user, item_id)
        );
        CREATE INDEX bookmarks_item ON bookmarks (item_id);
        """
    )


def _internet_radio(db: sqlite_utils.Database) -> None:
    """Internet radio stations: the server's, not a user's (admins keep the list)."""
    db.execute(
        "CREATE TABLE internet_radio_stations ("
        " id INTEGER PRIMARY KEY, name TEXT NOT NULL, stream_url TEXT NOT NULL,"
        " homepage_url TEXT, created REAL NOT NULL)"
    )


MIGRATIONS = [_initial, _internet_radio]

# Where user data names a beets item: what ``follow`` rewrites when an item gets a new id.
ITEM_ID_COLUMNS = (
    ("user_plays", "item_id"),
    ("now_playing", "item_id"),
    ("playlist_entries", "item_id"),
    ("play_queue_entries", "item_id"),
    ("bookmarks", "item_id"),
)

# Rows that belong to a user: what deleting the user deletes.
USER_COLUMNS = (
    ("user_annotations", "user"),
    ("user_plays", "user"),
    ("now_playing", "user"),
    ("playlists", "owner"),
    ("play_queues", "user"),
    ("play_queue_entries", "user"),
    ("bookmarks", "user"),
)
