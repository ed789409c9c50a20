"""A crate written out: as an extended M3U8 file, or frozen into a static playlist.

The M3U8 is what beets' ``smartplaylist`` writes (``#EXTM3U``, an ``#EXTINF`` line per track,
paths absolute or relative to the file's folder). A frozen crate is an ordinary playlist in the
sidecar's ``playlists`` tables (the server's user data): clients can play and edit it, and it
no longer follows the rules.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from beetcrate import sidecar
from beetcrate.crates.tracks import Track


class FreezeError(ValueError):
    """The playlist cannot be made; the message says why in one line."""


def m3u8(name: str, tracks: Sequence[Track], relative_to: Path | None = None) -> str:
    """The extended M3U8 text of ``tracks``; paths relative to ``relative_to`` if given."""
    lines = ["#EXTM3U", f"#PLAYLIST:{name}"]
    for track in tracks:
        seconds = round(track.length) if track.length else -1
        lines.append(f"#EXTINF:{seconds},{track.artist} - {track.title}")
        path = track.path
        if relative_to is not None:
            path = os.path.relpath(path, relative_to)
        lines.append(path)
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: a reader never sees
    half a playlist, and a failure leaves the old file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def freeze(conn: sqlite3.Connection, owner: str, name: str, item_ids: Sequence[int]) -> int:
    """A new playlist of ``owner``'s named ``name`` holding ``item_ids``; its id. One
    transaction: the playlist is there whole or not at all."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    if "playlists" not in tables or "users" not in tables:
        raise FreezeError(
            "no users yet: add one with `beetcrate user add NAME` before freezing a crate"
        )
    if not conn.execute("SELECT 1 FROM users WHERE name = ?", [owner]).fetchone():
        raise FreezeError(f"no user named {owner!r} (see `beetcrate user list`)")
    now = time.time()
    with sidecar.immediate(conn):
        cursor = conn.execute(
            "INSERT INTO playlists (owner, name, comment, public, created, changed)"
            " VALUES (?, ?, ?, 0, ?, ?)",
            [owner, name, "frozen from a crate", now, now],
        )
        playlist_id = int(cursor.lastrowid or 0)
        conn.executemany(
            "INSERT INTO playlist_entries (playlist_id, position, item_id) VALUES (?, ?, ?)",
            [(playlist_id, position, item_id) for position, item_id in enumerate(item_ids)],
        )
    return playlist_id
