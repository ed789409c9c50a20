"""Internet radio stations: the list admins keep for every user (``internet_radio_stations``).

Reads take the request thread's read-only connection; writes go through the ``Writer``.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from subsonic.userdata.writer import Writer


@dataclass(frozen=True)
class Station:
    id: int
    name: str
    stream_url: str
    homepage_url: str | None = None


def stations(conn: sqlite3.Connection) -> list[Station]:
    """Every station, by name."""
    rows = conn.execute(
        "SELECT id, name, stream_url, homepage_url FROM internet_radio_stations"
        " ORDER BY name COLLATE NOCASE, id"
    )
    return [Station(*row) for row in rows]


def add(writer: Writer, name: str, stream_url: str, homepage_url: str | None) -> Station:
    with writer.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO internet_radio_stations (name, stream_url, homepage_url, created)"
            " VALUES (?, ?, ?, ?)",
            [name, stream_url, homepage_url, time.time()],
        )
    return Station(cursor.lastrowid or 0, name, stream_url, homepage_url)


def update(writer: Writer, station: Station) -> bool:
    """Store a changed station; False if there is no such station."""
    with writer.transaction() as conn:
        cursor = conn.execute(
            "UPDATE internet_radio_stations SET name = ?, stream_url = ?, homepage_url = ?"
            " WHERE id = ?",
            [station.name, station.stream_url, station.homepage_url, station.id],
        )
    return cursor.rowcount == 1


def remove(writer: Writer, station_id: int) -> bool:
    """Delete a station; False if there is no such station."""
    with writer.transaction() as conn:
        cursor = conn.execute("DELETE FROM internet_radio_stations WHERE id = ?", [station_id])
    return cursor.rowcount == 1
