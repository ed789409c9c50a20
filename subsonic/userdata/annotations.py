"""Stars, ratings and plays, per user: the store behind media annotation and every node.

One ``user_annotations`` row per user and song, album or artist (``target``: the id clients
see). A play counts on the song, its album and its artists, so that album and artist lists
read their own rows instead of aggregating songs. Rows that no longer say anything (unstarred,
unrated, never played) are deleted, so the table holds only what users did.

Reads take the request's read-only connection; writes take the transaction of
``Writer.transaction()``: a whole request's writes commit together or not at all.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

KINDS = {"tr": "song", "al": "album", "ar": "artist"}
# Epoch seconds as xs:dateTime, rounded to the millisecond as ``subsonic.names.iso_time`` does.
_ISO = "strftime('%Y-%m-%dT%H:%M:%fZ', {}, 'unixepoch')"


@dataclass(frozen=True)
class Annotation:
    """What one user did with a song, album or artist, and what all users rated it."""

    # Times as clients are sent them (xs:dateTime, UTC, milliseconds), formatted by SQLite:
    # in Python, formatting both for a 5,000-song list took a third of the request.
    starred: str | None = None
    rating: int | None = None  # 1-5
    play_count: int = 0
    last_played: str | None = None
    average_rating: float | None = None  # over every user who rated it


NOTHING = Annotation()


@dataclass(frozen=True)
class Target:
    """A song, album or artist, by the id clients see (``tr-12``, ``al-3``, ``ar-…``)."""

    id: str

    @property
    def kind(self) -> str:
        return KINDS[self.id[:2]]


@dataclass(frozen=True)
class Play:
    """One play of a song, by a user with a client, counted on the song, album and artists."""

    item_id: int
    album_id: str
    artist_ids: tuple[str, ...]
    played_at: float  # epoch seconds
    client: str

    def targets(self) -> list[Target]:
        song = Target(f"tr-{self.item_id}")
        return [song, Target(self.album_id), *(Target(a) for a in dict.fromkeys(self.artist_ids))]


def annotations_of(
    conn: sqlite3.Connection, user: str, ids: Sequence[str]
) -> dict[str, Annotation]:
    """The annotations of ``ids`` for ``user`` (those with any), in two indexed queries: the
    user's rows by primary key, and the average ratings by the partial index of ratings."""
    if not ids:
        return {}
    wanted = json.dumps(list(ids))
    averages = dict(
        conn.execute(
            "SELECT target, avg(rating) FROM user_annotations WHERE rating IS NOT NULL"
            " AND target IN (SELECT value FROM json_each(?)) GROUP BY target",
            (wanted,),
        ).fetchall()
    )
    found = {
        target: Annotation(starred, rating, play_count, last_played, averages.get(target))
        for target, starred, rating, play_count, last_played in conn.execute(
            f"SELECT target, {_ISO.format('starred')}, rating, play_count,"
            f" {_ISO.format('last_played')} FROM user_annotations"
            " WHERE user = ? AND target IN (SELECT value FROM json_each(?))",
            (user, wanted),
        )
    }
    for target, average in averages.items():
        if target not in found:
            found[target] = Annotation(average_rating=average)
    return found


def versions(conn: sqlite3.Connection, user: str) -> tuple[int, int]:
    """What keys answers cached while what they show stands: a version every star and rating
    moves (anyone's: artist indexes show stars, averages all ratings), and one every annotation
    of ``user`` moves (plays too)."""
    found = dict(
        conn.execute(
            "SELECT scope, version FROM annotation_versions WHERE scope IN ('', ?)", (user,)
        ).fetchall()
    )
    return found.get("", 0), found.get(user, 0)


def changed(tx: sqlite3.Connection, user: str, stars_or_ratings: bool = True) -> None:
    """Move the versions that answers showing ``user``'s annotations are cached under. Called
    by every write here; a writer elsewhere that changes annotations (deleting a user's data)
    calls it too, or a cached answer outlives what it shows."""
    tx.executemany(
        "INSERT INTO annotation_versions (scope, version) VALUES (?, 1)"
        " ON CONFLICT (scope) DO UPDATE SET version = version + 1",
        [(user,), ("",)] if stars_or_ratings else [(user,)],
    )


def _forget_empty(tx: sqlite3.Connection, user: str, targets: Iterable[Target]) -> None:
    tx.executemany(
        "DELETE FROM user_annotations WHERE user = ? AND target = ?"
        " AND starred IS NULL AND rating IS NULL AND play_count = 0",
        [(user, target.id) for target in targets],
    )


def star(tx: sqlite3.Connection, user: str, targets: Sequence[Target], when: float) -> None:
    """Star ``targets``; one already starred keeps the time it was first starred."""
    tx.executemany(
        "INSERT INTO user_annotations (user, target, kind, starred) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (user, target) DO UPDATE SET starred = coalesce(starred, excluded.starred)",
        [(user, target.id, target.kind, when) for target in targets],
    )
    changed(tx, user)


def unstar(tx: sqlite3.Connection, user: str, targets: Sequence[Target]) -> None:
    tx.executemany(
        "UPDATE user_annotations SET starred = NULL WHERE user = ? AND target = ?",
        [(user, target.id) for target in targets],
    )
    _forget_empty(tx, user, targets)
    changed(tx, user)


def rate(tx: sqlite3.Connection, user: str, target: Target, rating: int | None) -> None:
    """Set ``user``'s rating of ``target`` (1-5), or remove it (``None``)."""
    tx.execute(
        "INSERT INTO user_annotations (user, target, kind, rating, rated) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (user, target) DO UPDATE SET rating = excluded.rating,"
        " rated = excluded.rated",
        (user, target.id, target.kind, rating, None if rating is None else time.time()),
    )
    _forget_empty(tx, user, [target])
    changed(tx, user)


def record_plays(tx: sqlite3.Connection, user: str, plays: Sequence[Play]) -> None:
    """Count each play on its song, album and artists, and keep it in the listening history.

    A play submitted late (a client back from offline) counts, but never moves ``last_played``
    back in time.
    """
    tx.executemany(
        "INSERT INTO user_annotations (user, target, kind, play_count, last_played)"
        " VALUES (?, ?, ?, 1, ?)"
        " ON CONFLICT (user, target) DO UPDATE SET play_count = play_count + 1,"
        " last_played = max(coalesce(last_played, excluded.last_played), excluded.last_played)",
        [
            (user, target.id, target.kind, play.played_at)
            for play in plays
            for target in play.targets()
        ],
    )
    tx.executemany(
        "INSERT INTO user_plays (user, item_id, played_at, client) VALUES (?, ?, ?, ?)",
        [(user, play.item_id, play.played_at, play.client) for play in plays],
    )
    changed(tx, user, stars_or_ratings=False)
