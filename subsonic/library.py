"""The read layer: every query the endpoints make, over the catalog tables (see catalog.py).

Each query is indexed SQL paged in SQL (``LIMIT``/``OFFSET`` on an index, FTS5 for words), so
a request touches only the rows it returns, whatever the library's size. Rows come back as
dicts keyed by column name; turning them into Subsonic nodes is nodes.py's job.
"""

from __future__ import annotations

import heapq
import json
import random
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from subsonic.names import sort_key

Row = dict[str, Any]

_WORD = re.compile(r"\w+", re.UNICODE)
# Catalog songs carry their album id; albums their artist id. These ORDER BYs are the browse
# orders every client expects (discs, then tracks).
SONG_ORDER = "disc, track, title_key, item_id"
ALBUM_LIST_ORDERS = {
    "random": "random()",
    "newest": "added DESC, id",
    "alphabeticalByName": "name_key, id",
    "alphabeticalByArtist": "artist_key, year, name_key, id",
    "byYear": "year, name_key, id",
    "byGenre": "name_key, id",
}
# Lists that rank by the user's own annotations: the partial index of user_annotations each
# walks (backwards, its primary key's target last, which breaks ties), which rows, in what
# order. Named, because two of them would otherwise pick the same index and sort.
USER_DATA_LISTS = {
    "starred": ("user_annotations_starred", "u.starred IS NOT NULL", "u.starred DESC"),
    "highest": ("user_annotations_rated", "u.rating IS NOT NULL", "u.rating DESC"),
    "frequent": ("user_annotations_frequent", "u.play_count > 0", "u.play_count DESC"),
    "recent": ("user_annotations_played", "u.play_count > 0", "u.last_played DESC"),
}
# A user's starred songs, albums and artists, joined to the catalog (so that what left it is
# not listed), most recently starred first.
_STARRED = (
    " FROM user_annotations u JOIN {table} ON {join}"
    " WHERE u.user = ? AND u.kind = ? AND u.starred IS NOT NULL"
    " ORDER BY u.starred DESC, u.target DESC"
)


def fts_query(text: str) -> str | None:
    """Turn what a user typed into an FTS5 query: every word, each as a prefix.

    ``None`` means "match everything" (an empty query, or the literal ``""`` that some clients
    send to sync the whole library).
    """
    words = _WORD.findall(text)
    if not words:
        return None
    return " AND ".join(f'"{word}"*' for word in words)


def dict_rows(cursor: sqlite3.Cursor) -> list[Row]:
    """A query's rows as dicts keyed by column name.

    Dicts, not sqlite3.Row: a Row finds a column by comparing names one by one,
    case-insensitively, and building a song node reads ~45 columns by name; with Rows that
    lookup was most of the time a 500-song search3 page took.
    """
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


@dataclass(frozen=True)
class TrackName:
    """A track as a service names it, keyed the way the catalog is (``sort_key``: case,
    accents and typographic quotes do not matter)."""

    mbid: str
    artist_key: str
    title_key: str


class Library:
    """Queries over the catalog; one read-only SQLite connection per thread."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._local = threading.local()
        # Every album artist's genre profile, read once per catalog version (``_profiles``).
        self._profiles: tuple[str | None, dict[str, dict[str, int]]] = ("", {})
        self._profiles_lock = threading.Lock()

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                f"{self.db_path.as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            self._local.conn = conn
        return conn

    def _all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return dict_rows(self.conn.execute(sql, params))

    def _one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    # Artists

    def index_artists(self) -> list[Row]:
        """Album artists, in index order (the ID3 and folder indexes)."""
        return self._all(
            "SELECT * FROM catalog_artists WHERE album_count > 0 ORDER BY name_key, id"
        )

    def artist(self, artist_id: str) -> Row | None:
        return self._one("SELECT * FROM catalog_artists WHERE id = ?", [artist_id])

    def artist_albums(self, artist_id: str) -> list[Row]:
        return self._all(
            "SELECT * FROM catalog_albums WHERE artist_id = ? ORDER BY year, name_key, id",
            [artist_id],
        )

    # Albums

    def album(self, album_id: str) -> Row | None:
        return self._one("SELECT * FROM catalog_albums WHERE id = ?", [album_id])

    def album_songs(self, album_id: str) -> list[Row]:
        return self._all(
            f"SELECT * FROM catalog_songs WHERE album_id = ? ORDER BY {SONG_ORDER}", [album_id]
        )

    def album_list(
        self,
        list_type: str,
        size: int,
        offset: int,
        from_year: int | None = None,
        to_year: int | None = None,
        genre: str | None = None,
        user: str = "",
    ) -> list[Row]:
        if list_type in USER_DATA_LISTS:
            return self._user_album_list(list_type, user, size, offset)
        where, params = "1", list[object]()
        order = ALBUM_LIST_ORDERS[list_type]
        if list_type == "byYear":
            low, high = sorted((from_year or 0, to_year or 9999))
            where, params = "year BETWEEN ? AND ?", [low, high]
            if (from_year or 0) > (to_year or 9999):
                order = "year DESC, name_key, id"
        elif list_type == "byGenre":
            where = "id IN (SELECT album_id FROM catalog_album_genres WHERE genre = ?)"
            params = [genre]
        return self._all(
            f"SELECT * FROM catalog_albums WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, size, offset],
        )

    def _user_album_list(self, list_type: str, user: str, size: int, offset: int) -> list[Row]:
        index, where, order = USER_DATA_LISTS[list_type]
        return self._all(
            f"SELECT a.* FROM user_annotations u INDEXED BY {index}"
            " JOIN catalog_albums a ON a.id = u.target"
            f" WHERE u.user = ? AND u.kind = 'album' AND {where}"
            f" ORDER BY {order}, u.target DESC LIMIT ? OFFSET ?",
            [user, size, offset],
        )

    # Songs

    def song(self, item_id: int) -> Row | None:
        return self._one("SELECT * FROM catalog_songs WHERE item_id = ?", [item_id])

    def songs(self, item_ids: Iterable[int]) -> dict[int, Row]:
        """The songs of these ids that are in the catalog, by id: one query for any number
        (a JSON array is one parameter, where ``IN (?, ?…)`` runs out of parameters)."""
        rows = self._all(
            "SELECT * FROM catalog_songs WHERE item_id IN (SELECT value FROM json_each(?))",
            [json.dumps(list(item_ids))],
        )
        return {row["item_id"]: row for row in rows}

    def songs_titled(self, title: str) -> list[Row]:
        """Songs of this title, ignoring case, accents and a leading article (indexed)."""
        return self._all(
            "SELECT * FROM catalog_songs WHERE title_key = ? ORDER BY item_id", [sort_key(title)]
        )

    def random_songs(
        self,
        size: int,
        genre: str | None = None,
        from_year: int | None = None,
        to_year: int | None = None,
    ) -> list[Row]:
        clauses: list[str] = []
        params: list[object] = []
        if genre:
            clauses.append("item_id IN (SELECT item_id FROM catalog_song_genres WHERE genre = ?)")
            params.append(genre)
        if from_year is not None:
            clauses.append("year >= ?")
            params.append(from_year)
        if to_year is not None:
            clauses.append("year <= ?")
            params.append(to_year)
        if not clauses:
            sampled = self._sample_songs(size)
            if sampled is not None:
                return sampled
        where = " AND ".join(clauses) or "1"
        # Shuffle only the integer keys, then fetch the chosen rows whole.
        return self._all(
            "SELECT * FROM catalog_songs WHERE item_id IN ("
            f" SELECT item_id FROM catalog_songs WHERE {where} ORDER BY random() LIMIT ?)"
            " ORDER BY random()",
            [*params, size],
        )

    def _sample_songs(self, size: int) -> list[Row] | None:
        """Uniform picks without sorting the library: draw ids from the id range, keep those
        that exist. ``None`` when ids are too sparse for that to find enough."""
        low, high = self.conn.execute(
            "SELECT min(item_id), max(item_id) FROM catalog_songs"
        ).fetchone()
        if low is None:
            return []
        span = high - low + 1
        picks = random.sample(range(low, high + 1), min(span, 2 * size + 16))
        marks = ",".join("?" * len(picks))
        rows = self._all(f"SELECT * FROM catalog_songs WHERE item_id IN ({marks})", picks)
        if len(rows) < size and len(picks) < span:
            return None
        random.shuffle(rows)
        return rows[:size]

    def songs_by_genre(self, genre: str, size: int, offset: int) -> list[Row]:
        return self._all(
            "SELECT s.* FROM catalog_song_genres g JOIN catalog_songs s"
            " ON s.item_id = g.item_id WHERE g.genre = ? ORDER BY g.item_id LIMIT ? OFFSET ?",
            [genre, size, offset],
        )

    def genres(self) -> list[Row]:
        return self._all("SELECT * FROM catalog_genres ORDER BY name COLLATE NOCASE")

    # Search: FTS5 for words, stable primary-key order so that paging never skips or repeats.

    def _search_named(self, table: str, query: str, size: int, offset: int) -> list[Row]:
        """Artists or albums: FTS5 for words, name order when the query is empty."""
        match = fts_query(query)
        if match is None:
            listed = "album_count > 0" if table == "artists" else "1"
            return self._all(
                f"SELECT * FROM catalog_{table} WHERE {listed}"
                " ORDER BY name_key, id LIMIT ? OFFSET ?",
                [size, offset],
            )
        return self._all(
            f"SELECT t.* FROM catalog_{table}_fts f JOIN catalog_{table} t ON t.rowid = f.rowid"
            f" WHERE catalog_{table}_fts MATCH ? ORDER BY t.rowid LIMIT ? OFFSET ?",
            [match, size, offset],
        )

    def search_artists(self, query: str, size: int, offset: int) -> list[Row]:
        return self._search_named("artists", query, size, offset)

    def search_albums(self, query: str, size: int, offset: int) -> list[Row]:
        return self._search_named("albums", query, size, offset)

    def search_songs(self, query: str, size: int, offset: int) -> list[Row]:
        match = fts_query(query)
        if match is None:
            # The OFFSET is applied to the compact item_id index, not to whole rows.
            return self._all(
                "SELECT * FROM catalog_songs WHERE item_id IN (SELECT item_id FROM catalog_songs"
                " ORDER BY item_id LIMIT ? OFFSET ?) ORDER BY item_id",
                [size, offset],
            )
        return self._all(
            "SELECT s.* FROM catalog_songs_fts f JOIN catalog_songs s ON s.item_id = f.rowid"
            " WHERE catalog_songs_fts MATCH ? ORDER BY f.rowid LIMIT ? OFFSET ?",
            [match, size, offset],
        )

    # Starred

    def starred_artists(self, user: str) -> list[Row]:
        join = "a.id = u.target"
        return self._all(
            "SELECT a.*" + _STARRED.format(table="catalog_artists a", join=join), [user, "artist"]
        )

    def starred_albums(self, user: str) -> list[Row]:
        join = "a.id = u.target"
        return self._all(
            "SELECT a.*" + _STARRED.format(table="catalog_albums a", join=join), [user, "album"]
        )

    def starred_songs(self, user: str) -> list[Row]:
        join = "s.item_id = CAST(substr(u.target, 4) AS INTEGER)"
        return self._all(
            "SELECT s.*" + _STARRED.format(table="catalog_songs s", join=join), [user, "song"]
        )

    # Related music: top songs, and the candidates subsonic.info ranks as similar artists
    # and songs (with subsonic.similarity). Every draw is on an index and bounded by ``limit``.

    def top_songs(self, artist_id: str, count: int) -> list[Row]:
        """The artist's songs (as track or album artist): most played over all users first,
        then best rated, then in the order of their discography."""
        return self._all(
            "SELECT * FROM catalog_songs s WHERE artist_id = ? OR albumartist_id = ?"
            " ORDER BY"
            "  (SELECT sum(play_count) FROM user_annotations WHERE target = 'tr-' || s.item_id)"
            "  DESC NULLS LAST,"
            "  (SELECT avg(rating) FROM user_annotations WHERE target = 'tr-' || s.item_id)"
            "  DESC NULLS LAST,"
            " year, album, disc, track, item_id LIMIT ?",
            [artist_id, artist_id, count],
        )

    def artist_song_genres(self, artist_id: str) -> dict[str, int]:
        """Genre -> number of the artist's songs (as track or album artist) of that genre."""
        rows = self.conn.execute(
            "SELECT g.genre, count(*) FROM catalog_songs s"
            " JOIN catalog_song_genres g ON g.item_id = s.item_id"
            " WHERE s.artist_id = ? OR s.albumartist_id = ? GROUP BY g.genre",
            [artist_id, artist_id],
        )
        return dict(rows.fetchall())

    def album_song_genres(self, album_id: str) -> dict[str, int]:
        """Genre -> number of the album's songs of that genre."""
        rows = self.conn.execute(
            "SELECT genre, song_count FROM catalog_album_genres WHERE album_id = ?", [album_id]
        )
        return dict(rows.fetchall())

    def _artist_profiles(self) -> dict[str, dict[str, int]]:
        """Album artist -> genre -> songs on their albums of that genre, for all of them: read
        in one query per catalog version (tens of milliseconds at 100k songs) instead of one
        grouped query over hundreds of candidates in every similar-artists request."""
        version = self.meta("beets_signature")
        with self._profiles_lock:
            if self._profiles[0] == version:
                return self._profiles[1]
            profiles: dict[str, dict[str, int]] = {}
            for artist_id, genre, songs in self.conn.execute(
                "SELECT al.artist_id, ag.genre, sum(ag.song_count) FROM catalog_albums al"
                " JOIN catalog_album_genres ag ON ag.album_id = al.id"
                " GROUP BY al.artist_id, ag.genre"
            ):
                profiles.setdefault(artist_id, {})[genre] = songs
            self._profiles = (version, profiles)
            return profiles

    def album_artist_genres(self, artist_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Album artist -> genre -> number of songs on their albums of that genre."""
        profiles = self._artist_profiles()
        return {artist_id: profiles[artist_id] for artist_id in artist_ids if artist_id in profiles}

    def artists_by_ids(self, artist_ids: Sequence[str]) -> list[Row]:
        if not artist_ids:
            return []
        marks = ",".join("?" * len(artist_ids))
        return self._all(f"SELECT * FROM catalog_artists WHERE id IN ({marks})", list(artist_ids))

    def album_artists_in_genres(self, genres: Sequence[str], limit: int) -> list[str]:
        """Album artists with albums of those genres, those with the most such songs first."""
        wanted = set(genres)
        counts = {
            artist_id: total
            for artist_id, profile in self._artist_profiles().items()
            if (total := sum(songs for genre, songs in profile.items() if genre in wanted))
        }
        return heapq.nsmallest(limit, counts, key=lambda artist_id: (-counts[artist_id], artist_id))

    def album_artists_by_tempo(self, low: float, high: float, limit: int) -> list[str]:
        rows = self.conn.execute(
            "SELECT id FROM catalog_artists WHERE tempo BETWEEN ? AND ? AND album_count > 0"
            " ORDER BY random() LIMIT ?",
            [low, high, limit],
        )
        return [artist_id for (artist_id,) in rows]

    def song_ids_in_genres(self, genres: Sequence[str], limit: int) -> list[int]:
        """Songs of those genres, those of the most of them first, at random among equals."""
        if not genres:
            return []
        marks = ",".join("?" * len(genres))
        rows = self.conn.execute(
            f"SELECT item_id FROM catalog_song_genres WHERE genre IN ({marks})"
            " GROUP BY item_id ORDER BY count(*) DESC, random() LIMIT ?",
            [*genres, limit],
        )
        return [item_id for (item_id,) in rows]

    def song_ids_on_albums_of(self, artist_ids: Sequence[str], limit: int) -> list[int]:
        if not artist_ids:
            return []
        marks = ",".join("?" * len(artist_ids))
        rows = self.conn.execute(
            "SELECT item_id FROM catalog_songs WHERE album_id IN"
            f" (SELECT id FROM catalog_albums WHERE artist_id IN ({marks}))"
            " ORDER BY random() LIMIT ?",
            [*artist_ids, limit],
        )
        return [item_id for (item_id,) in rows]

    def song_ids_by_tempo(self, low: float, high: float, limit: int) -> list[int]:
        rows = self.conn.execute(
            "SELECT item_id FROM catalog_songs WHERE bpm BETWEEN ? AND ? ORDER BY random() LIMIT ?",
            [low, high, limit],
        )
        return [item_id for (item_id,) in rows]

    def songs_named(self, wanted: Sequence[TrackName]) -> list[Row]:
        """The catalog's song for each wanted track, in that order, each at most once: by its
        MusicBrainz id when it has one here, else by title and track or album artist."""
        mbids = [name.mbid for name in wanted if name.mbid]
        by_mbid = {
            row["mb_trackid"]: row
            for row in self._all(
                "SELECT * FROM catalog_songs WHERE mb_trackid IN (SELECT value FROM json_each(?))",
                [json.dumps(mbids)],
            )
        }
        titles = sorted({name.title_key for name in wanted})
        by_title: dict[tuple[str, str], Row] = {}
        for row in self._all(
            "SELECT * FROM catalog_songs WHERE title_key IN (SELECT value FROM json_each(?))"
            " ORDER BY item_id",
            [json.dumps(titles)],
        ):
            for artist in (row["artist"], row["albumartist"]):
                by_title.setdefault((sort_key(artist or ""), row["title_key"]), row)
        found: dict[int, Row] = {}
        for name in wanted:
            match = by_mbid.get(name.mbid) or by_title.get((name.artist_key, name.title_key))
            if match is not None:
                found.setdefault(match["item_id"], match)
        return list(found.values())

    def song_ids(self) -> set[int]:
        """Every song the catalog serves (hidden duplicates are not in it)."""
        return {item_id for (item_id,) in self.conn.execute("SELECT item_id FROM catalog_songs")}

    # Status

    def meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM catalog_meta WHERE key = ?", [key])
        return row["value"] if row else None
