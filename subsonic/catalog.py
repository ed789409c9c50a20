"""The catalog: the one place that reads beets' database, mirrored into indexed sidecar tables.

beets' schema is made for tagging, not for serving: it has no indexes for browsing, no search
index and no artist table. Like Navidrome and gonic, the server therefore serves from its own
tables, derived from beets' SQLite and kept in step with it:

- ``sync`` ATTACHes beets' database read-only and diffs its items against ``catalog_songs`` in
  SQL, so only new or changed rows are rewritten (a no-change sync of 100k tracks is a scan,
  not a rebuild); albums, artists and genres are aggregates rebuilt from the songs;
- FTS5 tables give real word and prefix search;
- ``BeetsWatcher`` notices when ``beet`` commands change the database (its file signature)
  and the server syncs in the background: no restart, and readers never wait (WAL).

Writes to the music itself always go through the beets API, never through these tables.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
import xxhash

from beetcrate import sidecar
from beetcrate.settings import Settings
from beetsplug.dupes.store import hidden_item_ids

IGNORED_ARTICLES = ("The", "El", "La", "Los", "Las", "Le", "Les", "A", "An")
UNKNOWN_ARTIST = "[Unknown Artist]"
UNKNOWN_ALBUM = "[Unknown Album]"
SINGLES_ALBUM = "[Singles]"
VARIOUS_ARTISTS = "Various Artists"
# beets >= 2.x joins multi-valued fields with this in the database; older ones used "; ".
BEETS_LIST_SEPARATORS = ("\\␀", "; ", ";", " / ")

# Accents and case never matter; prefix indexes make search-as-you-type ("be", "bea") fast.
FTS_OPTIONS = "tokenize='unicode61 remove_diacritics 2', prefix='2 3'"

SONG_COLUMNS = {
    "item_id": int,
    "album_id": str,
    "artist_id": str,
    "title": str,
    "album": str,
    "artist": str,
    "albumartist": str,
    "track": int,
    "disc": int,
    "year": int,
    "genres": str,
    "length": float,
    "bitrate": int,
    "samplerate": int,
    "bitdepth": int,
    "channels": int,
    "format": str,
    "path": str,
    "mtime": float,
    "added": float,
    "bpm": int,
    "comments": str,
    "mb_trackid": str,
    "isrc": str,
    "rg_track_gain": float,
    "rg_track_peak": float,
    "rg_album_gain": float,
    "rg_album_peak": float,
    "r128_track_gain": float,
    "r128_album_gain": float,
    "comp": int,
    "disctitle": str,
    "composers": str,
    "artist_sort": str,
    "beets_album_id": int,
    "size": int,
    "title_key": str,
    # Derived once at sync time, so that building a song node is a dict lookup per field.
    "suffix": str,
    "relpath": str,
    "created": str,
    "genre": str,
    "albumartist_id": str,
    # The audio hash the DJ analysis stored its arrays under (a beets flexible attribute).
    "dj_audio_hash": str,
}


def _create_tables(db: sqlite_utils.Database) -> None:
    db["catalog_songs"].create(SONG_COLUMNS, pk="item_id")
    for columns in (["album_id", "disc", "track"], ["artist_id"], ["title_key"], ["added"]):
        db["catalog_songs"].create_index(columns)
    # The keys alone, compact: a deep OFFSET (search3 sync pages) skips through this index
    # instead of through whole rows: about 6x less CPU for a page at offset 90000 of 100k.
    db["catalog_songs"].create_index(["item_id"])
    db["catalog_song_genres"].create({"item_id": int, "genre": str}, pk=("genre", "item_id"))
    db["catalog_song_genres"].create_index(["item_id"])
    db.execute(
        "CREATE VIRTUAL TABLE catalog_songs_fts USING fts5(title, artist, album, albumartist,"
        " content='catalog_songs', content_rowid='item_id',"
        f" {FTS_OPTIONS})"
    )
    db.executescript(
        """
        CREATE TRIGGER catalog_songs_ai AFTER INSERT ON catalog_songs BEGIN
          INSERT INTO catalog_songs_fts(rowid, title, artist, album, albumartist)
          VALUES (new.item_id, new.title, new.artist, new.album, new.albumartist);
        END;
        CREATE TRIGGER catalog_songs_ad AFTER DELETE ON catalog_songs BEGIN
          INSERT INTO catalog_songs_fts(catalog_songs_fts, rowid, title, artist, album,
            albumartist)
          VALUES ('delete', old.item_id, old.title, old.artist, old.album, old.albumartist);
        END;
        """
    )
    db["catalog_albums"].create(
        {
            "id": str,
            "beets_album_id": int,
            "name": str,
            "name_key": str,
            "artist": str,
            "artist_id": str,
            "artist_key": str,
            "year": int,
            "genre": str,
            "song_count": int,
            "duration": float,
            "added": float,
            "comp": int,
            "mb_albumid": str,
            "artpath": str,
            "disc_titles": str,
            "first_item_id": int,
        },
        pk="id",
    )
    # Each index ends like its ORDER BY (library.py), so a deep OFFSET walks the index alone.
    for columns in (
        ["name_key", "id"],
        ["artist_key", "year", "name_key", "id"],
        ["artist_id"],
        ["year", "name_key", "id"],
        ["added"],
    ):
        db["catalog_albums"].create_index(columns)
    db["catalog_albums"].create_index(["genre"])
    db["catalog_artists"].create(
        {
            "id": str,
            "name": str,
            "name_key": str,
            "index_letter": str,
            "mbid": str,
            "album_count": int,
            "song_count": int,
            "cover_album_id": str,
        },
        pk="id",
    )
    db["catalog_artists"].create_index(["name_key"])
    db["catalog_genres"].create({"name": str, "song_count": int, "album_count": int}, pk="name")
    db.execute(f"CREATE VIRTUAL TABLE catalog_albums_fts USING fts5(name, artist, {FTS_OPTIONS})")
    db.execute(f"CREATE VIRTUAL TABLE catalog_artists_fts USING fts5(name, {FTS_OPTIONS})")
    db["catalog_meta"].create({"key": str, "value": str}, pk="key")


# Albums, artists, genres and the search indexes, rebuilt from the songs on every sync.
AGGREGATES_SQL = """
DELETE FROM catalog_song_genres
  WHERE item_id NOT IN (SELECT item_id FROM catalog_songs);
DELETE FROM catalog_albums;
INSERT INTO catalog_albums (id, beets_album_id, name, name_key, artist, artist_id,
    artist_key, year, genre, song_count, duration, added, comp, mb_albumid,
    artpath, disc_titles, first_item_id)
  SELECT s.album_id, s.beets_album_id, s.album, bc_sort(s.album),
    s.albumartist, 'ar-' || bc_hash(s.albumartist), bc_sort(s.albumartist),
    coalesce(nullif(a.year, 0), max(s.year)),
    coalesce(bc_first(a.genres), bc_first(max(s.genres))),
    count(*), sum(s.length), min(s.added),
    coalesce(a.comp, max(s.comp)), nullif(a.mb_albumid, ''),
    bc_path(nullif(a.artpath, '')),
    (SELECT group_concat(d.disc || char(31) || d.disctitle, char(30))
       FROM (SELECT DISTINCT disc, disctitle FROM catalog_songs
             WHERE album_id = s.album_id AND disctitle IS NOT NULL
             ORDER BY disc) d),
    min(s.item_id)
  FROM catalog_songs s LEFT JOIN beets.albums a ON a.id = s.beets_album_id
  GROUP BY s.album_id;
DELETE FROM catalog_artists;
INSERT INTO catalog_artists (id, name, name_key, album_count, song_count,
    cover_album_id)
  SELECT id, name, bc_sort(name), sum(albums), sum(songs), max(cover)
  FROM (
    SELECT artist_id AS id, artist AS name, count(*) AS albums,
           0 AS songs, min(id) AS cover
      FROM catalog_albums GROUP BY artist_id
    UNION ALL
    SELECT artist_id, artist, 0, count(*), NULL
      FROM catalog_songs GROUP BY artist_id
  ) GROUP BY id;
UPDATE catalog_artists SET mbid = (
  SELECT nullif(i.mb_artistid, '') FROM catalog_songs s
    JOIN beets.items i ON i.id = s.item_id
  WHERE s.artist_id = catalog_artists.id AND i.mb_artistid != '' LIMIT 1);
DELETE FROM catalog_genres;
INSERT INTO catalog_genres (name, song_count, album_count)
  SELECT g.genre, count(*), count(DISTINCT s.album_id)
  FROM catalog_song_genres g JOIN catalog_songs s ON s.item_id = g.item_id
  GROUP BY g.genre;
INSERT INTO catalog_songs_fts(catalog_songs_fts) VALUES ('optimize');
DELETE FROM catalog_albums_fts;
INSERT INTO catalog_albums_fts (rowid, name, artist)
  SELECT rowid, name, artist FROM catalog_albums;
DELETE FROM catalog_artists_fts;
INSERT INTO catalog_artists_fts (rowid, name)
  SELECT rowid, name FROM catalog_artists;
"""

# The catalog is derived from beets' database, so a change to its tables needs no migration:
# bump this and every sidecar rebuilds its catalog from beets on the next start.
CATALOG_SCHEMA = "3"


def short_hash(text: str) -> str:
    """A stable 16-hex-digit key for names that have no id of their own (artists)."""
    return xxhash.xxh3_64_hexdigest(text.casefold().encode())


def sort_key(name: str) -> str:
    """Case- and accent-insensitive sort key with leading articles dropped."""
    for article in IGNORED_ARTICLES:
        if name[: len(article) + 1].casefold() == article.casefold() + " ":
            name = name[len(article) + 1 :]
            break
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def index_letter(name: str) -> str:
    key = sort_key(name)
    first = key[:1].upper()
    return first if first.isalpha() else "#"


def split_list(value: str | None) -> list[str]:
    """Split a beets multi-valued field (genres, composers) into its values."""
    if not value:
        return []
    for separator in BEETS_LIST_SEPARATORS:
        if separator in value:
            return [part.strip() for part in value.split(separator) if part.strip()]
    return [value.strip()]


@dataclass(frozen=True)
class SyncReport:
    songs: int
    albums: int
    artists: int
    changed: int
    removed: int
    seconds: float


def beets_signature(beets_db: Path) -> str:
    """Changes whenever beets commits: the database file's and its journal's mtime and size."""
    parts = []
    for path in (beets_db, beets_db.with_name(beets_db.name + "-wal")):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
    return "|".join(parts)


def iso_time(epoch: float | None) -> str:
    """xs:dateTime in UTC with milliseconds, as every client parses it."""
    moment = datetime.fromtimestamp(epoch or 0, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _suffix(raw: bytes | str | None) -> str:
    return Path(os.fsdecode(raw or b"")).suffix.lstrip(".").lower()


def _file_stem(raw: bytes | str | None) -> str:
    return Path(os.fsdecode(raw or b"")).stem or "[Untitled]"


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
        conn.create_function("bc_suffix", 1, _suffix, deterministic=True)
        conn.create_function("bc_relpath", 1, self._relative_path, deterministic=True)
        conn.create_function("bc_iso", 1, iso_time, deterministic=True)

    def _ensure_schema(self) -> None:
        """Create the catalog's tables, or rebuild them if they are of another version."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if "catalog_meta" in self.db.table_names() and self.meta("schema") == CATALOG_SCHEMA:
                conn.execute("COMMIT")
                return
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'catalog%'"
                " AND name NOT LIKE 'catalog%fts_%'"
            ).fetchall():
                conn.execute(f"DROP TABLE IF EXISTS {name}")
            _create_tables(self.db)
            self._set_meta(schema=CATALOG_SCHEMA)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _relative_path(self, raw: bytes | str | None) -> str:
        """The path clients are shown: relative to the music directory when inside it."""
        path = self._absolute_path(raw) or ""
        try:
            relative = os.path.relpath(path, self.music_dir)
        except ValueError:
            return os.path.basename(path)
        return os.path.basename(path) if relative.startswith("..") else relative

    def _absolute_path(self, raw: bytes | str | None) -> str | None:
        if raw is None:
            return None
        path = os.fsdecode(raw)
        return path if os.path.isabs(path) else os.path.join(self.music_dir, path)

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
            conn.execute("ATTACH DATABASE ? AS beets", [self.beets_db.as_uri() + "?mode=ro"])
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    signature = self.signature()
                    if not force and signature == self.meta("beets_signature"):
                        conn.execute("ROLLBACK")
                        return None
                    self._set_meta(scan_started=time.time())
                    changed, removed = self._sync_songs()
                    self._rebuild_aggregates()
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
            finally:
                conn.execute("DETACH DATABASE beets")
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
        sizes = []
        genres = []
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


class BeetsWatcher:
    """Checks at most every ``interval`` seconds whether beets changed, and syncs in a thread."""

    def __init__(self, catalog: Catalog, interval: float) -> None:
        self.catalog = catalog
        self.interval = interval
        self._checked = 0.0
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    @property
    def scanning(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def poll(self) -> None:
        now = time.monotonic()
        # While a sync runs, its connection is busy; the next poll after it will check again.
        if now - self._checked < self.interval or self.scanning:
            return
        self._checked = now
        if self.catalog.is_stale():
            self.start()

    def start(self, force: bool = False) -> bool:
        """Start a background sync unless one is running; True when one was started."""
        with self._guard:
            if self.scanning:
                return False
            self._thread = threading.Thread(
                target=self._run, args=(force,), name="beetcrate-sync", daemon=True
            )
            self._thread.start()
            return True

    def _run(self, force: bool) -> None:
        try:
            self.catalog.sync(force=force)
        except (sqlite3.Error, OSError):
            # A sync that fails (beets mid-write, a locked file) is retried at the next poll.
            self._checked = 0.0

    def wait(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
