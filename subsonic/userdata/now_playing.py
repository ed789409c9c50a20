"""What each user's players are playing: set by ``scrobble`` and by ``reportPlayback``.

One ``now_playing`` row per user and player (the client name a request carries). A plain
``scrobble`` with ``submission=false`` says a song started: it shows until the song would have
ended. The OpenSubsonic ``playbackReport`` extension reports a timeline instead (starting,
playing, paused, stopped, with a position and a rate): the position moves only while playing,
and the session is kept for ``LISTEN_AFTER_END`` past its planned end, waiting for the
``stopped`` report that may count it as a play.
"""

from __future__ import annotations

import sqlite3
import zlib
from dataclasses import dataclass

STATES = ("starting", "playing", "paused", "stopped")
# The extension's rule: a session is forgotten this long after its planned end (and a paused
# one this long after its last report).
LISTEN_AFTER_END = 30 * 60.0
# A song counts as played once half of it, or four minutes, were heard (Last.fm's rule).
PLAYED_FRACTION, PLAYED_ENOUGH_S = 0.5, 240.0


@dataclass(frozen=True)
class Session:
    """A player's song, where it was at the last report, and until when it is kept."""

    user: str
    player: str
    item_id: int
    started: float  # epoch seconds
    state: str
    position_ms: int  # at ``reported``
    playback_rate: float
    reported: float  # epoch seconds
    expires: float  # epoch seconds

    @property
    def player_id(self) -> int:
        """A stable number for the player, as the XSD wants an int."""
        return zlib.crc32(f"{self.user}\0{self.player}".encode()) & 0x7FFFFFFF

    def position_at(self, now: float, length_s: float) -> int:
        """Milliseconds into the song at ``now``: the clock moves only while playing."""
        position = self.position_ms
        if self.state == "playing":
            position += round((now - self.reported) * 1000 * self.playback_rate)
        return max(0, min(position, round(length_s * 1000)))

    def showing(self, now: float, length_s: float) -> bool:
        """Shown in getNowPlaying: not stopped, and not past the song's end while playing."""
        if now >= self.expires:
            return False
        if self.state == "playing":
            return self.position_at(now, length_s) < round(length_s * 1000)
        return True

    def heard_enough(self, position_ms: int, length_s: float) -> bool:
        needed = min(length_s * PLAYED_FRACTION, PLAYED_ENOUGH_S)
        return position_ms >= needed * 1000


def _planned_end(position_ms: int, rate: float, now: float, length_s: float) -> float:
    remaining = max(0.0, length_s - position_ms / 1000)
    return now + remaining / (rate or 1.0)


def _save(tx: sqlite3.Connection, session: Session) -> None:
    tx.execute(
        "INSERT OR REPLACE INTO now_playing (user, player, item_id, started, expires, state,"
        " position_ms, playback_rate, reported) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            session.user,
            session.player,
            session.item_id,
            session.started,
            session.expires,
            session.state,
            session.position_ms,
            session.playback_rate,
            session.reported,
        ),
    )
    tx.execute("DELETE FROM now_playing WHERE expires <= ?", (session.reported,))


def start(
    tx: sqlite3.Connection, user: str, player: str, item_id: int, now: float, length_s: float
) -> None:
    """A song started on ``player`` (``scrobble`` with ``submission=false``)."""
    _save(
        tx,
        Session(user, player, item_id, now, "playing", 0, 1.0, now, now + length_s),
    )


def session(tx: sqlite3.Connection, user: str, player: str, now: float) -> Session | None:
    """The player's live session, if it has one."""
    row = tx.execute(
        "SELECT user, player, item_id, started, state, position_ms, playback_rate,"
        " coalesce(reported, started), expires FROM now_playing"
        " WHERE user = ? AND player = ? AND expires > ?",
        (user, player, now),
    ).fetchone()
    return Session(*row) if row else None


def report(
    tx: sqlite3.Connection,
    user: str,
    player: str,
    item_id: int,
    state: str,
    position_ms: int,
    rate: float,
    now: float,
    length_s: float,
) -> Session | None:
    """Apply a ``reportPlayback``; returns the session a ``stopped`` report ended, if any.

    ``starting`` opens a new session even for the same song (a restart); any other state
    continues the player's session for that song, or opens one.
    """
    current = session(tx, user, player, now)
    same = current is not None and current.item_id == item_id and state != "starting"
    if state == "stopped":
        tx.execute("DELETE FROM now_playing WHERE user = ? AND player = ?", (user, player))
        return current if same else None
    started = current.started if same and current is not None else now
    if state == "paused":
        expires = now + LISTEN_AFTER_END
    else:
        expires = _planned_end(position_ms, rate, now, length_s) + LISTEN_AFTER_END
    _save(
        tx,
        Session(user, player, item_id, started, state, position_ms, rate, now, expires),
    )
    return None


def sessions(conn: sqlite3.Connection, now: float) -> list[Session]:
    """Every live session, most recent first."""
    rows = conn.execute(
        "SELECT user, player, item_id, started, state, position_ms, playback_rate,"
        " coalesce(reported, started), expires FROM now_playing"
        " WHERE expires > ? ORDER BY started DESC, user, player",
        (now,),
    ).fetchall()
    return [Session(*row) for row in rows]
