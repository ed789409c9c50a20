"""User data for the benchmark, written in SQL straight into the sidecar before serving.

Going through the API would take hours for a million plays; SQL takes seconds. Each seeder gets
the sidecar (after ``beetcrate scan``: the catalog and the user-data tables exist), the size of
the library and the benchmark's user, and returns a line saying what it seeded.

At 100k tracks (issue 10, item 12): 5,000 starred songs, a million plays in the listening
history and the play counts they imply on songs, albums and artists, and 200 playlists of up to
5,000 songs; smaller libraries get the same shares (a quarter of the songs starred at most, ten
plays per track, playlists of at most half the library).
"""

from __future__ import annotations

import random
import sqlite3
import time

SEED = 20261130
STARRED_SONGS, PLAYS = 5_000, 1_000_000
# The first playlist is the longest: the benchmark's getPlaylist asks for it (``pl-1``).
PLAYLISTS, LONGEST_PLAYLIST = 200, 5_000
STARRED_ALBUMS, STARRED_ARTISTS, RATED_ALBUMS = 500, 200, 2_000
# Other users' players, so that getNowPlaying has entries to show.
NOW_PLAYING_SESSIONS = 10
YEAR_S = 365 * 24 * 3600.0


def _sample(conn: sqlite3.Connection, sql: str, count: int, rng: random.Random) -> list:
    values = [row[0] for row in conn.execute(sql)]
    return rng.sample(values, min(count, len(values)))


def annotations(conn: sqlite3.Connection, tracks: int, user: str) -> str:
    """Stars, album ratings, a listening history with its play counts, and now playing."""
    rng = random.Random(SEED)
    now = time.time()
    songs = [row[0] for row in conn.execute("SELECT item_id FROM catalog_songs ORDER BY item_id")]
    starred_songs = rng.sample(songs, min(STARRED_SONGS, len(songs) // 4))
    starred = [(f"tr-{item_id}", "song") for item_id in starred_songs]
    starred += [
        (album_id, "album")
        for album_id in _sample(conn, "SELECT id FROM catalog_albums", STARRED_ALBUMS, rng)
    ]
    starred += [
        (artist_id, "artist")
        for artist_id in _sample(conn, "SELECT id FROM catalog_artists", STARRED_ARTISTS, rng)
    ]
    rated = _sample(conn, "SELECT id FROM catalog_albums", RATED_ALBUMS, rng)
    plays = min(PLAYS, tracks * 10)
    # A few songs are played very often and most seldom, as in a real history.
    history = [
        (user, songs[int(len(songs) * rng.random() ** 3)], now - rng.random() * YEAR_S, "bench")
        for _ in range(plays)
    ]
    with conn:
        conn.executemany(
            "INSERT INTO user_annotations (user, target, kind, starred) VALUES (?, ?, ?, ?)",
            [(user, target, kind, now - rng.random() * YEAR_S) for target, kind in starred],
        )
        conn.executemany(
            "INSERT INTO user_annotations (user, target, kind, rating) VALUES (?, ?, 'album', ?)"
            " ON CONFLICT (user, target) DO UPDATE SET rating = excluded.rating",
            [(user, album_id, rng.randint(1, 5)) for album_id in rated],
        )
        conn.executemany(
            "INSERT INTO user_plays (user, item_id, played_at, client) VALUES (?, ?, ?, ?)",
            history,
        )
        _count_plays(conn)
        conn.executemany(
            "INSERT INTO now_playing (user, player, item_id, started, expires, reported)"
            " VALUES (?, 'bench player', ?, ?, ?, ?)",
            [
                (f"listener{n}", rng.choice(songs), now, now + 24 * 3600, now)
                for n in range(NOW_PLAYING_SESSIONS)
            ],
        )
    return (
        f"{len(starred_songs)} starred songs, {plays} plays, {RATED_ALBUMS} rated albums,"
        f" {NOW_PLAYING_SESSIONS} players now playing"
    )


def _count_plays(conn: sqlite3.Connection) -> None:
    """The play counts and last plays the history implies, on songs, albums and artists (a
    play counts once on an artist who is both the song's artist and its album artist)."""
    upsert = (
        " ON CONFLICT (user, target) DO UPDATE SET play_count = excluded.play_count,"
        " last_played = excluded.last_played"
    )
    conn.execute(
        "INSERT INTO user_annotations (user, target, kind, play_count, last_played)"
        " SELECT user, 'tr-' || item_id, 'song', count(*), max(played_at) FROM user_plays"
        " WHERE true GROUP BY user, item_id" + upsert
    )
    conn.execute(
        "INSERT INTO user_annotations (user, target, kind, play_count, last_played)"
        " SELECT p.user, s.album_id, 'album', count(*), max(p.played_at)"
        " FROM user_plays p JOIN catalog_songs s ON s.item_id = p.item_id"
        " WHERE true GROUP BY p.user, s.album_id" + upsert
    )
    conn.execute(
        "INSERT INTO user_annotations (user, target, kind, play_count, last_played)"
        " SELECT user, artist_id, 'artist', count(*), max(played_at) FROM ("
        "  SELECT p.id, p.user, p.played_at, s.artist_id FROM user_plays p"
        "   JOIN catalog_songs s ON s.item_id = p.item_id"
        "  UNION"
        "  SELECT p.id, p.user, p.played_at, s.albumartist_id FROM user_plays p"
        "   JOIN catalog_songs s ON s.item_id = p.item_id"
        " ) WHERE true GROUP BY user, artist_id" + upsert
    )


def playlists(conn: sqlite3.Connection, tracks: int, user: str) -> str:
    """200 playlists of the user's, the first of 5,000 songs, the others of 20 to 5,000."""
    from subsonic.userdata.playlists import seed_playlists

    rng = random.Random(SEED + 1)
    songs = [row[0] for row in conn.execute("SELECT item_id FROM catalog_songs")]
    longest = min(LONGEST_PLAYLIST, len(songs) // 2)
    sizes = [longest] + [rng.randint(20, longest) for _ in range(PLAYLISTS - 1)]
    with conn:
        seed_playlists(conn, user, [rng.sample(songs, size) for size in sizes])
    return f"{PLAYLISTS} playlists of {min(sizes)} to {longest} songs ({sum(sizes)} entries)"
