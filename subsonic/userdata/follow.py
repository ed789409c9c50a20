"""User data follows a track when beets gives it a new id.

User data names songs by beets item id (``tr-12``, and the ``item_id`` columns of
``schema.ITEM_ID_COLUMNS``) and albums by beets album id (``al-3``). Most of what beets does
keeps those ids: a catalog rebuild derives the same ids again, ``beet move`` and retagging
change a row, not its id. Two things give a track a new id:

- re-importing a file: beets removes the item (and maybe its album) and adds a new one. A song
  that leaves the catalog while user data names it is remembered in ``departed_songs`` (its
  path and MusicBrainz track id); when a song arrives with the same path, or else the same
  MusicBrainz track id, it takes the departed song's user data. Albums likewise, by
  MusicBrainz album id, or else album artist and name. Arrival may come in the same sync or in
  a later one (``beet remove`` then ``beet import``);
- ``beet dupes resolve``: the removed copies' user data merges into the canonical copy, which
  the dupes journal names (``beetsplug.dupes.store.replaced_items``).

Merging two songs' (or albums') data keeps all of it: play counts add up, the last play is the
latest, the star the earliest, the rating the one already on the survivor if it has one, else
the highest. Every function here runs inside the catalog sync's transaction, so the catalog
and the user data that follows it commit together.
"""

from __future__ import annotations

import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import TypeVar

import sqlite_utils

from beetsplug.dupes.store import replaced_items
from subsonic.ids import song_id
from subsonic.userdata.schema import ITEM_ID_COLUMNS

# How many resolutions in a row a removed copy may have been merged through (A into B, then B
# into C before the server synced): more is a cycle in a broken journal.
MAX_CHAIN = 16
Key = TypeVar("Key", int, str)


def _marks(values: list) -> str:
    return ",".join("?" * len(values))


def merge_annotations(conn: sqlite3.Connection, olds: list[str], new: str) -> None:
    """Every user's annotations of ``olds`` merged into ``new`` (songs, or albums)."""
    conn.execute(
        "INSERT INTO user_annotations"
        " (user, target, kind, starred, rating, play_count, last_played)"
        " SELECT user, ?, kind, min(starred), max(rating), sum(play_count), max(last_played)"
        f" FROM user_annotations WHERE target IN ({_marks(olds)}) GROUP BY user"
        " ON CONFLICT (user, target) DO UPDATE SET"
        " starred = coalesce(min(starred, excluded.starred), starred, excluded.starred),"
        " rating = coalesce(rating, excluded.rating),"
        " play_count = play_count + excluded.play_count,"
        " last_played = coalesce(max(last_played, excluded.last_played), last_played,"
        " excluded.last_played)",
        [new, *olds],
    )
    conn.execute(f"DELETE FROM user_annotations WHERE target IN ({_marks(olds)})", olds)


def merge_songs(conn: sqlite3.Connection, olds: list[int], new: int) -> None:
    """Everything user data says of the items ``olds``, said of ``new`` instead."""
    merge_annotations(conn, [song_id(old) for old in olds], song_id(new))
    for table, column in ITEM_ID_COLUMNS:
        # A row the survivor already has (a bookmark of the same song) wins over the moved one.
        conn.execute(
            f"UPDATE OR IGNORE {table} SET {column} = ? WHERE {column} IN ({_marks(olds)})",
            [new, *olds],
        )
        conn.execute(f"DELETE FROM {table} WHERE {column} IN ({_marks(olds)})", olds)


def _named_by_user_data(alias: str) -> str:
    """SQL: the catalog song ``alias`` is named by some user data."""
    checks = [f"EXISTS (SELECT 1 FROM user_annotations WHERE target = 'tr-' || {alias}.item_id)"]
    checks += [
        f"EXISTS (SELECT 1 FROM {table} WHERE {column} = {alias}.item_id)"
        for table, column in ITEM_ID_COLUMNS
    ]
    return " OR ".join(checks)


def _group(pairs: Iterable[tuple[Key, Key]]) -> dict[Key, list[Key]]:
    """(old, new) pairs as the olds of each new."""
    olds_by_new: dict[Key, list[Key]] = defaultdict(list)
    for old, new in pairs:
        olds_by_new[new].append(old)
    return olds_by_new


def songs_departing(conn: sqlite3.Connection) -> None:
    """Before the sync drops the songs beets no longer has (``temp.src`` holds those it has):
    remember those that user data names, and merge those a duplicate resolution removed."""
    conn.execute(
        "DELETE FROM departed_songs WHERE item_id IN (SELECT item_id FROM temp.src)"
    )  # back under their own id: an undone resolution, a copy no longer hidden
    conn.execute(
        "INSERT OR REPLACE INTO departed_songs (item_id, path, mb_trackid, departed)"
        " SELECT s.item_id, s.path, s.mb_trackid, ? FROM catalog_songs s"
        " WHERE s.item_id NOT IN (SELECT item_id FROM temp.src)"
        f" AND ({_named_by_user_data('s')})",
        (time.time(),),
    )
    departed = {row[0] for row in conn.execute("SELECT item_id FROM departed_songs")}
    if not departed:
        return
    replaced = replaced_items(sqlite_utils.Database(conn))
    survivors: dict[int, int] = {}
    for item_id in departed & replaced.keys():
        survivor = item_id
        for _ in range(MAX_CHAIN):
            survivor = replaced.get(survivor, survivor)
            if survivor not in replaced:
                break
        survivors[item_id] = survivor
    if not survivors:
        return
    present = {
        row[0]
        for row in conn.execute(
            f"SELECT item_id FROM temp.src WHERE item_id IN ({_marks(list(survivors.values()))})",
            list(survivors.values()),
        )
    }
    merged = [(old, new) for old, new in survivors.items() if new in present]
    for new, olds in _group(merged).items():
        merge_songs(conn, olds, new)
        conn.execute(f"DELETE FROM departed_songs WHERE item_id IN ({_marks(olds)})", olds)


def songs_arrived(conn: sqlite3.Connection) -> None:
    """Once ``temp.changed`` holds the new and changed songs: a departed song that arrived
    under a new id (the same path, or else the same MusicBrainz track id) hands it its data."""
    matches: dict[int, int] = {}
    for key in ("path", "mb_trackid"):
        for old, new in conn.execute(
            f"SELECT d.item_id, min(c.item_id) FROM departed_songs d"
            f" JOIN temp.changed c ON c.{key} = d.{key}"
            " WHERE c.item_id != d.item_id GROUP BY d.item_id"
        ):
            matches.setdefault(old, new)
    for new, olds in _group(matches.items()).items():
        merge_songs(conn, olds, new)
        conn.execute(f"DELETE FROM departed_songs WHERE item_id IN ({_marks(olds)})", olds)


def albums_departing(conn: sqlite3.Connection) -> None:
    """Before albums are rebuilt from the synced songs: remember the albums that lost all
    their songs while user data names them, and which albums there were."""
    conn.execute(
        "DELETE FROM departed_albums WHERE EXISTS"
        " (SELECT 1 FROM catalog_songs s WHERE s.album_id = departed_albums.id)"
    )
    conn.execute(
        "INSERT OR REPLACE INTO departed_albums (id, mb_albumid, artist_key, name_key, departed)"
        " SELECT a.id, a.mb_albumid, a.artist_key, a.name_key, ? FROM catalog_albums a"
        " WHERE NOT EXISTS (SELECT 1 FROM catalog_songs s WHERE s.album_id = a.id)"
        " AND EXISTS (SELECT 1 FROM user_annotations u WHERE u.target = a.id)",
        (time.time(),),
    )
    conn.execute("DROP TABLE IF EXISTS temp.albums_before")
    conn.execute("CREATE TEMP TABLE albums_before AS SELECT id FROM catalog_albums")


def albums_arrived(conn: sqlite3.Connection) -> None:
    """After albums are rebuilt: a departed album that arrived under a new id (the same
    MusicBrainz album id, or else the same album artist and name) hands it its data."""
    arrived = (
        "SELECT a.id FROM catalog_albums a WHERE a.id NOT IN (SELECT id FROM temp.albums_before)"
        " AND a.id != d.id AND {match} ORDER BY a.id LIMIT 1"
    )
    by_mbid = arrived.format(match="d.mb_albumid IS NOT NULL AND a.mb_albumid = d.mb_albumid")
    by_name = arrived.format(match="a.artist_key = d.artist_key AND a.name_key = d.name_key")
    matches = conn.execute(
        f"SELECT d.id, coalesce(({by_mbid}), ({by_name})) FROM departed_albums d"
    ).fetchall()
    for new, olds in _group((old, new) for old, new in matches if new is not None).items():
        merge_annotations(conn, olds, new)
        conn.execute(f"DELETE FROM departed_albums WHERE id IN ({_marks(olds)})", olds)
    conn.execute("DROP TABLE temp.albums_before")
