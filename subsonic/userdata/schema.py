"""The user-data tables in the sidecar (component ``userdata`` of ``beetcrate.sidecar``).

- ``user_annotations``: one row per user and song, album or artist they starred, rated or
  played: ``target`` is the id clients see (``tr-12``, ``al-3``, ``ar-…``); a play counts on
  the song, its album and its artists, so album and artist lists need no aggregation.
- ``user_plays``: every play scrobbled, for the listening history (and the scrobbling issue).
- ``now_playing``: what each user's player is playing, until the song would have ended.
- ``playlists`` / ``playlist_entries``: playlists and their songs in order (beets item ids;
  ``beet dupes resolve`` repoints the ``item_id`` column at the canonical copy). A playlist
  read from an M3U file has ``source_path`` set and is read-only. Each playlist keeps its song
  count, duration and cover as counted against one version of the catalog.
- ``play_queues`` / ``play_queue_entries``: each user's saved queue (duplicates allowed).
- ``bookmarks``: a position in a song, per user.
- ``annotation_versions``: counters that key the answers cached while what they show stands:
  scope ``''`` moves with every star and rating (artist indexes, average ratings), scope
  ``<user>`` with every annotation of that user, plays too (the user's starred lists).
- ``departed_songs`` / ``departed_albums``: songs and albums that left the catalog while user
  data named them, remembered until they come back under another id (``follow``).

``now_playing`` also holds the timeline a ``reportPlayback`` gave (state, position, rate, when).
- ``internet_radio_stations``: the stations admins list for everyone.

Migrations are append-only: never edit one that has shipped.
"""

from __future__ import annotations

import sqlite_utils

from beetcrate import sidecar

COMPONENT = "userdata"


def _initial(db: sqlite_utils.Database) -> None:
    sidecar.run_script(
        db,
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
        """,
    )


def _playlist_summaries(db: sqlite_utils.Database) -> None:
    # What getPlaylists shows of each playlist, kept with it: counting 200 playlists' songs
    # against the catalog takes most of a second. ``counted_for`` is the catalog version
    # (``catalog_meta.beets_signature``) they were counted for; a sync makes them stale.
    for column in (
        "song_count INTEGER NOT NULL DEFAULT 0",
        "duration REAL NOT NULL DEFAULT 0",
        "cover_item_id INTEGER",
        "counted_for TEXT",
    ):
        db.execute(f"ALTER TABLE playlists ADD COLUMN {column}")


_LISTS_AND_PLAYBACK = """
CREATE INDEX user_annotations_frequent
    ON user_annotations (user, kind, play_count, target) WHERE play_count > 0;
CREATE INDEX user_annotations_rated
    ON user_annotations (user, kind, rating, target) WHERE rating IS NOT NULL;

ALTER TABLE now_playing ADD COLUMN state TEXT NOT NULL DEFAULT 'playing';
ALTER TABLE now_playing ADD COLUMN position_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE now_playing ADD COLUMN playback_rate REAL NOT NULL DEFAULT 1.0;
ALTER TABLE now_playing ADD COLUMN reported REAL;

CREATE INDEX user_annotations_ratings
    ON user_annotations (target, rating) WHERE rating IS NOT NULL;

CREATE TABLE annotation_versions (
    scope TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);

CREATE TABLE departed_songs (
    item_id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    mb_trackid TEXT,
    departed REAL NOT NULL
);
CREATE INDEX departed_songs_path ON departed_songs (path);
CREATE INDEX departed_songs_mb_trackid ON departed_songs (mb_trackid);
CREATE TABLE departed_albums (
    id TEXT PRIMARY KEY,
    mb_albumid TEXT,
    artist_key TEXT NOT NULL,
    name_key TEXT NOT NULL,
    departed REAL NOT NULL
);
"""


def _annotation_lists_and_playback(db: sqlite_utils.Database) -> None:
    sidecar.run_script(db, _LISTS_AND_PLAYBACK)


def _internet_radio(db: sqlite_utils.Database) -> None:
    """Internet radio stations: the server's, not a user's (admins keep the list)."""
    db.execute(
        "CREATE TABLE internet_radio_stations ("
        " id INTEGER PRIMARY KEY, name TEXT NOT NULL, stream_url TEXT NOT NULL,"
        " homepage_url TEXT, created REAL NOT NULL)"
    )


def _rating_times(db: sqlite_utils.Database) -> None:
    """When a rating was given: what smart playlists' ``daterated`` reads."""
    db.execute("ALTER TABLE user_annotations ADD COLUMN rated REAL")


def _playlist_sources(db: sqlite_utils.Database) -> None:
    """What a read-only playlist follows: an M3U file (``m3u``), a crate (``crate``) or the
    play history (``session``); each kind is kept in step by its own poller."""
    db.execute("ALTER TABLE playlists ADD COLUMN source_kind TEXT")
    db.execute("UPDATE playlists SET source_kind = 'm3u' WHERE source_path IS NOT NULL")


MIGRATIONS = [
    _initial,
    _playlist_summaries,
    _annotation_lists_and_playback,
    _internet_radio,
    _rating_times,
    _playlist_sources,
]

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
