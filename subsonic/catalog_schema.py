"""The catalog's tables in the sidecar: songs, albums, artists, genres and their search indexes.

The catalog is derived from beets' database, so its tables need no migrations: a change here
bumps ``CATALOG_SCHEMA`` and every sidecar rebuilds its catalog from beets on the next start.
Albums, artists and genres are aggregates of the songs, rebuilt by ``AGGREGATES_SQL`` on every
sync (cheap next to the song diff); FTS5 tables give word and prefix search.
"""

from __future__ import annotations

import sqlite_utils

from beetcrate import sidecar

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
    # The DJ analysis' key (Camelot notation, "8A") and energy, for similar songs.
    "camelot": str,
    "energy": float,
}


def create_tables(db: sqlite_utils.Database) -> None:
    db.table("catalog_songs").create(SONG_COLUMNS, pk="item_id")
    for columns in (
        ["album_id", "disc", "track"],
        ["artist_id"],
        ["albumartist_id"],
        ["title_key"],
        ["added"],
        ["bpm"],
        # Last.fm's tracks are matched by MusicBrainz id (subsonic.info).
        ["mb_trackid"],
    ):
        db.table("catalog_songs").create_index(columns)
    # The keys alone, compact: a deep OFFSET (search3 sync pages) skips through this index
    # instead of through whole rows: about 6x less CPU for a page at offset 90000 of 100k.
    db.table("catalog_songs").create_index(["item_id"])
    db.table("catalog_song_genres").create({"item_id": int, "genre": str}, pk=("genre", "item_id"))
    db.table("catalog_song_genres").create_index(["item_id"])
    db.execute(
        "CREATE VIRTUAL TABLE catalog_songs_fts USING fts5(title, artist, album, albumartist,"
        " content='catalog_songs', content_rowid='item_id',"
        f" {FTS_OPTIONS})"
    )
    sidecar.run_script(
        db,
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
        """,
    )
    db.table("catalog_albums").create(
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
            # Every genre of its songs, most common first, joined by U+001F.
            "genres": str,
            "song_count": int,
            "duration": float,
            # The mean BPM of its songs that have one.
            "tempo": float,
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
        db.table("catalog_albums").create_index(columns)
    db.table("catalog_albums").create_index(["genre"])
    # An album is of every genre one of its songs is of: what byGenre lists and getGenres counts.
    db.table("catalog_album_genres").create(
        {"album_id": str, "genre": str, "song_count": int}, pk=("genre", "album_id")
    )
    db.table("catalog_album_genres").create_index(["album_id", "song_count"])
    db.table("catalog_artists").create(
        {
            "id": str,
            "name": str,
            "name_key": str,
            "index_letter": str,
            "mbid": str,
            "album_count": int,
            "song_count": int,
            "cover_album_id": str,
            # The mean tempo of their albums, for similar artists.
            "tempo": float,
        },
        pk="id",
    )
    db.table("catalog_artists").create_index(["name_key"])
    db.table("catalog_genres").create(
        {"name": str, "song_count": int, "album_count": int}, pk="name"
    )
    db.execute(f"CREATE VIRTUAL TABLE catalog_albums_fts USING fts5(name, artist, {FTS_OPTIONS})")
    db.execute(f"CREATE VIRTUAL TABLE catalog_artists_fts USING fts5(name, {FTS_OPTIONS})")
    db.table("catalog_meta").create({"key": str, "value": str}, pk="key")


# Albums, artists, genres and the search indexes, rebuilt from the songs on every sync.
AGGREGATES_SQL = """
DELETE FROM catalog_song_genres
  WHERE item_id NOT IN (SELECT item_id FROM catalog_songs);
DELETE FROM catalog_album_genres;
INSERT INTO catalog_album_genres (album_id, genre, song_count)
  SELECT s.album_id, g.genre, count(*)
  FROM catalog_song_genres g JOIN catalog_songs s ON s.item_id = g.item_id
  GROUP BY s.album_id, g.genre;
DELETE FROM catalog_albums;
INSERT INTO catalog_albums (id, beets_album_id, name, name_key, artist, artist_id,
    artist_key, year, genre, genres, song_count, duration, tempo, added, comp, mb_albumid,
    artpath, disc_titles, first_item_id)
  SELECT s.album_id, s.beets_album_id, s.album, bc_sort(s.album),
    s.albumartist, 'ar-' || bc_hash(s.albumartist), bc_sort(s.albumartist),
    coalesce(nullif(a.year, 0), max(s.year)),
    -- The one genre older clients show: beets' album genre if its songs have it, else
    -- the most common genre of its songs.
    coalesce(
      (SELECT genre FROM catalog_album_genres
        WHERE album_id = s.album_id AND genre = bc_first(a.genres)),
      (SELECT genre FROM catalog_album_genres WHERE album_id = s.album_id
        ORDER BY song_count DESC, genre LIMIT 1)),
    (SELECT group_concat(genre, char(31)) FROM (
       SELECT genre FROM catalog_album_genres WHERE album_id = s.album_id
       ORDER BY song_count DESC, genre)),
    count(*), sum(s.length), avg(s.bpm), min(s.added),
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
    cover_album_id, tempo)
  SELECT id, name, bc_sort(name), sum(albums), sum(songs), max(cover), max(tempo)
  FROM (
    SELECT artist_id AS id, artist AS name, count(*) AS albums,
           0 AS songs, min(id) AS cover, avg(tempo) AS tempo
      FROM catalog_albums GROUP BY artist_id
    UNION ALL
    SELECT artist_id, artist, 0, count(*), NULL, NULL
      FROM catalog_songs GROUP BY artist_id
  ) GROUP BY id;
UPDATE catalog_artists SET mbid = (
  SELECT nullif(i.mb_artistid, '') FROM catalog_songs s
    JOIN beets.items i ON i.id = s.item_id
  WHERE s.artist_id = catalog_artists.id AND i.mb_artistid != '' LIMIT 1);
DELETE FROM catalog_genres;
INSERT INTO catalog_genres (name, song_count, album_count)
  SELECT genre, sum(song_count), count(*) FROM catalog_album_genres GROUP BY genre;
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
CATALOG_SCHEMA = "6"
