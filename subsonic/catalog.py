"""The catalog: the one place that reads beets' database, mirrored into indexed sidecar tables.

beets' schema is made for tagging, not for serving: it has no indexes for browsing, no search
index and no artist table. Like Navidrome and gonic, the server therefore serves from its own
tables, derived from beets' SQLite and kept in step with it:

- ``sync`` ATTACHes beets' database read-only and diffs its items against ``catalog_songs`` in
  SQL, so only new or changed rows are rewritten (a no-change sync of 100k tracks is a scan,
  not a rebuild); albums, artists and genres are aggregates rebuilt from the songs;
- FTS5 tables give real word and prefix search (the tables: ``catalog_schema``);
- ``subsonic.watcher`` notices when ``beet`` commands change the database (its file signature)
  and syncs in the background: no restart, and readers never wait (WAL).

beets' storage conventions (relative paths, delimited lists) come from ``beetcrate.beetsdb``.
Writes to the music itself always go through the beets API, never through these tables.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import xxhash

from beetcrate import sidecar
from beetcrate.beetsdb import (
    attached,
    beets_signature,
    file_suffix,
    split_list,
    storable,
    storable_path,
)
from beetcrate.settings import Settings
from beetsplug.dupes.store import hidden_item_ids
from subsonic.catalog_schema import AGGREGATES_SQL, CATALOG_SCHEMA, create_tables
from subsonic.names import (
    SINGLES_ALBUM,
    UNKNOWN_ALBUM,
    UNKNOWN_ARTIST,
    VARIOUS_ARTISTS,
    index_letter,
    iso_time,
    short_hash,
    sort_key,
)
from subsonic.userdata import follow
from subsonic.userdata.schema import COMPONENT as USERDATA
from subsonic.userdata.schema import MIGRATIONS as USERDATA_MIGRATIONS


@dataclass(frozen=True)
class SyncReport:
    songs: int
    albums: int
    artists: int
    changed: int
    removed: int
    seconds: float


def _file_stem(raw: bytes | str | None) -> str:
    return storable(Path(os.fsdecode(raw or b"")).stem) or "[Untitled]"


def _first(value: str | None) -> str | None:
    values = split_list(value)
    return values[0] if values else None


class Catalog:
    """Keeps the sidecar's catalog tables in step with one beets library."""

    def __init__(
        self, db_path: Path, beets_db: Path, music_dir: Path, hide_duplicates: bool = False
    ) -> None:
        # A connection of its own: the sync's long transaction must not mix with requests.
        self.db = sidecar.connect(db_path)
        # The sync carries user data along when beets gives a track a new id (``follow``).
        sidecar.migrate(self.db, USERDATA, USERDATA_MIGRATIONS)
        # Explicit transactions only (BEGIN IMMEDIATE … COMMIT): a sync is all or nothing.
        self.db.conn.isolation_level = None
        self.beets_db = beets_db
        self.music_dir = music_dir
        self.hide_duplicates = hide_duplicates
        self._lock = threading.Lock()
        conn = self.db.conn
        self._ensure_schema()
        conn.create_function("bc_hash", 1, short_hash, deterministic=True)
        conn.create_function("bc_sort", 1, sort_key, deterministic=True)
        conn.create_function("bc_first", 1, _first, deterministic=True)
        conn.create_function("bc_path", 1, self._absolute_path, deterministic=True)
        conn.create_function("bc_stem", 1, _file_stem, deterministic=True)
        conn.create_function("bc_suffix", 1, file_suffix, deterministic=True)
        conn.create_function("bc_relpath", 1, self._relative_path, deterministic=True)
        conn.create_function("bc_iso", 1, iso_time, deterministic=True)

    def _ensure_schema(self) -> None:
        """Create the catalog's tables, or rebuild them if they are of another version."""
        conn = self.db.conn
        with sidecar.immediate(conn):
            if "catalog_meta" in self.db.table_names() and self.meta("schema") == CATALOG_SCHEMA:
                return
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'catalog%'"
                " AND name NOT LIKE 'catalog%fts_%'"
            ).fetchall():
                conn.execute(f"DROP TABLE IF EXISTS {name}")
            create_tables(self.db)
            self._set_meta(schema=CATALOG_SCHEMA)

    def _relative_path(self, raw: bytes | str | None) -> str:
        """The path clients are shown: relative to the music directory when inside it."""
        path = self._absolute_path(raw) or ""
        try:
            relative = os.path.relpath(path, self.music_dir)
        except ValueError:
            return os.path.basename(path)
        return os.path.basename(path) if relative.startswith("..") else relative

    def _absolute_path(self, raw: bytes | str | None) -> str | None:
        return storable_path(self.music_dir, raw)

    def close(self) -> None:
        self.db.conn.close()

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM catalog_meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def _set_meta(self, **values: object) -> None:
        self.db.conn.executemany(
            "INSERT OR REPLACE INTO catalog_meta (key, value) VALUES (?, ?)",
            [(key, str(value)) for key, value in values.items()],
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Catalog:
        return cls(
            settings.db, settings.beets_library, settings.music_directory, settings.hide_duplicates
        )

    def _hidden(self) -> set[int]:
        """Items left out of the catalog: copies of exact-audio duplicates, when asked to."""
        return hidden_item_ids(self.db) if self.hide_duplicates else set()

    def signature(self) -> str:
        """What the catalog was built from: beets' database, and the hidden duplicates."""
        hidden = ",".join(map(str, sorted(self._hidden())))
        return beets_signature(self.beets_db) + "#" + xxhash.xxh3_64_hexdigest(hidden.encode())

    def is_stale(self) -> bool:
        return self.signature() != self.meta("beets_signature")

    def sync(self, force: bool = False) -> SyncReport | None:
        """Bring the catalog in step with beets, in one transaction; ``None`` when it already was.

        Several processes (gunicorn workers, ``beetcrate scan``) may call this at once: the
        write lock is taken first and staleness checked under it, so one of them syncs and the
        others find the work done.
        """
        with self._lock:
            started = time.perf_counter()
            if not self.beets_db.exists():
                raise FileNotFoundError(f"beets database not found: {self.beets_db}")
            conn = self.db.conn
            with attached(conn, self.beets_db):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    signature = self.signature()
                    if not force and signature == self.meta("beets_signature"):
                        conn.execute("ROLLBACK")
                        return None
                    self._set_meta(scan_started=time.time())
                    changed, removed = self._sync_songs()
                    follow.albums_departing(conn)
                    self._rebuild_aggregates()
                    follow.albums_arrived(conn)
                    counts = {
                        table: conn.execute(f"SELECT count(*) FROM catalog_{table}").fetchone()[0]
                        for table in ("songs", "albums", "artists")
                    }
                    self._set_meta(
                        beets_signature=signature,
                        scan_finished=time.time(),
                        song_count=counts["songs"],
                    )
                    # Clients cache the index by lastModified: move it only on real changes.
                    if changed or removed or self.meta("last_modified") is None:
                        self._set_meta(last_modified=int(time.time() * 1000))
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            return SyncReport(
                songs=counts["songs"],
                albums=counts["albums"],
                artists=counts["artists"],
                changed=changed,
                removed=removed,
                seconds=time.perf_counter() - started,
            )

    def _item_expressions(self) -> dict[str, str]:
        """SQL for each song column, over beets' ``items i LEFT JOIN albums a``."""
        columns = {row[1] for row in self.db.conn.execute("PRAGMA beets.table_info(items)")}

        def col(name: str, default: str = "NULL") -> str:
            return f"i.{name}" if name in columns else default

        genres = col("genres", col("genre"))
        artist = f"coalesce(nullif(trim({col('artist')}), ''), '{UNKNOWN_ARTIST}')"
        albumartist = (
            f"coalesce(nullif(trim({col('albumartist')}), ''),"
            f" CASE WHEN {col('comp', '0')} THEN '{VARIOUS_ARTISTS}' END, {artist})"
        )
        album_exists = "(i.album_id IS NOT NULL AND a.id IS NOT NULL)"
        return {
            "item_id": "i.id",
            "album_id": (
                f"CASE WHEN {album_exists} THEN 'al-' || i.album_id"
                f" ELSE 'al-s' || bc_hash({albumartist}) END"
            ),
            "artist_id": f"'ar-' || bc_hash({artist})",
            "title": f"coalesce(nullif(trim({col('title')}), ''), bc_stem(i.path))",
            "album": (
                f"CASE WHEN {album_exists} THEN coalesce(nullif(trim(a.album), ''),"
                f" '{UNKNOWN_ALBUM}') ELSE '{SINGLES_ALBUM}' END"
            ),
            "artist": artist,
            "albumartist": albumartist,
            "track": f"nullif({col('track')}, 0)",
            "disc": f"nullif({col('disc')}, 0)",
            "year": f"nullif({col('year')}, 0)",
            "genres": genres,
            "length": col("length"),
            "bitrate": col("bitrate"),
            "samplerate": col("samplerate"),
            "bitdepth": f"nullif({col('bitdepth')}, 0)",
            "channels": col("channels"),
            "format": col("format"),
            "path": "bc_path(i.path)",
            "mtime": col("mtime"),
            "added": col("added"),
            "bpm": f"nullif({col('bpm')}, 0)",
            "comments": f"nullif({col('comments')}, '')",
            "mb_trackid": f"nullif({col('mb_trackid')}, '')",
            "isrc": f"nullif({col('isrc')}, '')",
            "rg_track_gain": col("rg_track_gain"),
            "rg_track_peak": col("rg_track_peak"),
            "rg_album_gain": col("rg_album_gain"),
            "rg_album_peak": col("rg_album_peak"),
            "r128_track_gain": col("r128_track_gain"),
            "r128_album_gain": col("r128_album_gain"),
            "comp": f"coalesce({col('comp')}, 0)",
            "disctitle": f"nullif({col('disctitle')}, '')",
            "composers": f"nullif({col('composers', col('composer'))}, '')",
            "artist_sort": f"nullif({col('artist_sort')}, '')",
            "beets_album_id": f"CASE WHEN {album_exists} THEN i.album_id END",
            "suffix": "bc_suffix(i.path)",
            "relpath": "bc_relpath(i.path)",
            "created": f"bc_iso({col('added')})",
            "genre": f"bc_first({genres})",
            "albumartist_id": f"'ar-' || bc_hash({albumartist})",
            "dj_audio_hash": (
                "(SELECT value FROM beets.item_attributes"
                " WHERE entity_id = i.id AND key = 'dj_audio_hash')"
            ),
            "camelot": (
                "(SELECT value FROM beets.item_attributes"
                " WHERE entity_id = i.id AND key = 'camelot')"
            ),
            "energy": (
                "(SELECT CAST(value AS REAL) FROM beets.item_attributes"
                " WHERE entity_id = i.id AND key = 'energy')"
            ),
        }

    def _sync_songs(self) -> tuple[int, int]:
        conn = self.db.conn
        expressions = self._item_expressions()
        names = list(expressions)
        select = ", ".join(f"{sql} AS {name}" for name, sql in expressions.items())
        conn.execute("DROP TABLE IF EXISTS temp.src")
        conn.execute(
            f"CREATE TEMP TABLE src AS SELECT {select}"
            " FROM beets.items i LEFT JOIN beets.albums a ON a.id = i.album_id"
        )
        hidden = self._hidden()
        if hidden:
            conn.executemany("DELETE FROM temp.src WHERE item_id = ?", [(i,) for i in hidden])
        follow.songs_departing(conn)
        removed = conn.execute(
            "DELETE FROM catalog_songs WHERE item_id NOT IN (SELECT item_id FROM temp.src)"
        ).rowcount
        column_list = ", ".join(names)
        conn.execute("DROP TABLE IF EXISTS temp.changed")
        conn.execute(
            f"CREATE TEMP TABLE changed AS SELECT {column_list} FROM temp.src"
            f" EXCEPT SELECT {column_list} FROM catalog_songs"
        )
        changed = conn.execute("SELECT count(*) FROM temp.changed").fetchone()[0]
        follow.songs_arrived(conn)
        if changed:
            conn.execute(
                "DELETE FROM catalog_songs WHERE item_id IN (SELECT item_id FROM temp.changed)"
            )
            conn.execute(
                f"INSERT INTO catalog_songs ({column_list}, title_key)"
                f" SELECT {column_list}, bc_sort(title) FROM temp.changed"
            )
            self._fill_sizes_and_genres()
        conn.execute("DROP TABLE temp.src")
        conn.execute("DROP TABLE temp.changed")
        return changed, removed

    def _fill_sizes_and_genres(self) -> None:
        """File sizes (beets does not store them) and genre rows, for the changed songs only."""
        conn = self.db.conn
        rows = conn.execute(
            "SELECT item_id, path, genres FROM catalog_songs"
            " WHERE item_id IN (SELECT item_id FROM temp.changed)"
        ).fetchall()
        sizes: list[tuple[int | None, int]] = []
        genres: list[tuple[int, str]] = []
        for item_id, path, genre_field in rows:
            try:
                sizes.append((os.stat(path).st_size, item_id))
            except OSError:
                sizes.append((None, item_id))
            genres.extend((item_id, genre) for genre in dict.fromkeys(split_list(genre_field)))
        conn.executemany("UPDATE catalog_songs SET size = ? WHERE item_id = ?", sizes)
        conn.execute(
            "DELETE FROM catalog_song_genres WHERE item_id IN (SELECT item_id FROM temp.changed)"
        )
        conn.executemany(
            "INSERT OR IGNORE INTO catalog_song_genres (item_id, genre) VALUES (?, ?)", genres
        )
        conn.execute(
            "DELETE FROM catalog_song_genres"
            " WHERE item_id NOT IN (SELECT item_id FROM catalog_songs)"
        )

    def _rebuild_aggregates(self) -> None:
        conn = self.db.conn
        # One statement at a time: executescript() would COMMIT the sync's transaction first.
        for statement in AGGREGATES_SQL.split(";\n"):
            if statement.strip():
                conn.execute(statement)
        # Python's sort key also sets the index letter, which SQL cannot compute.
        letters = [
            (index_letter(name), artist_id)
            for artist_id, name in conn.execute("SELECT id, name FROM catalog_artists")
        ]
        conn.executemany("UPDATE catalog_artists SET index_letter = ? WHERE id = ?", letters)
