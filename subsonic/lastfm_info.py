"""Last.fm behind artist and album pages, top songs and similar songs, never in a request's way.

With ``beetcrate: lastfm: api_key`` set, the info endpoints (``subsonic.info``) ask this module
for what Last.fm knows of an artist, an album or a track. The answer comes from the sidecar's
cache (``beetcrate.lastfm_info``, which the identify plugin fills too as it imports): a request
never waits for Last.fm. What is missing or expired is fetched by one background thread per
process, through pylast (the application's calls, no user's session); until it arrives, and
while Last.fm is down or slow, clients get the local answer alone. Names Last.fm does not know
are remembered too, so they are not asked for at every request. pylast loads with the first
fetch.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from beetcrate import lastfm_info
from beetcrate.lastfm_info import AlbumInfo, ArtistInfo, Fetch, LastfmInfoError, TrackRef
from beetcrate.settings import LastfmSettings

log = logging.getLogger(__name__)

RETRY_AFTER = 300.0  # after a failed fetch (Last.fm down, slow), ask again no sooner


class LastfmInfo:
    """What Last.fm knows, from the cache; what it lacks is fetched in the background."""

    def __init__(self, settings: LastfmSettings, db_path: Path) -> None:
        self.settings = settings
        self.db_path = db_path
        # Request threads read through read-only connections of their own (WAL: a reader never
        # waits for a writer); the fetcher thread alone writes, through its own connection.
        self._readers = threading.local()
        self._writer: sqlite3.Connection | None = None
        self._queue: queue.Queue[Fetch] = queue.Queue()
        self._pending: set[str] = set()
        self._retry_at: dict[str, float] = {}
        self._reported: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def configured(self) -> bool:
        return bool(self.settings.api_key)

    # What the endpoints ask; each answers None until Last.fm's answer is in the cache.

    def artist(self, name: str) -> ArtistInfo | None:
        found = self._cached(lastfm_info.artist_info(name))
        return ArtistInfo(**found) if found else None

    def similar_artists(self, name: str) -> tuple[str, ...] | None:
        found = self._cached(lastfm_info.similar_artists(name))
        return tuple(found) if found is not None else None

    def album(self, artist: str, name: str) -> AlbumInfo | None:
        found = self._cached(lastfm_info.album_info(artist, name))
        return AlbumInfo(**found) if found else None

    def top_tracks(self, artist: str) -> tuple[TrackRef, ...] | None:
        found = self._cached(lastfm_info.top_tracks(artist))
        return tuple(TrackRef(**track) for track in found) if found is not None else None

    def similar_tracks(self, artist: str, title: str) -> tuple[TrackRef, ...] | None:
        found = self._cached(lastfm_info.similar_tracks(artist, title))
        return tuple(TrackRef(**track) for track in found) if found is not None else None

    # The cache

    def _write_connection(self) -> sqlite3.Connection:
        """The fetcher thread's connection; it makes the cache table the first time."""
        if self._writer is None:
            self._writer = lastfm_info.open_cache(self.db_path)
        return self._writer

    def _read(self, key: str) -> lastfm_info.Cached | None:
        conn = getattr(self._readers, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"{self.db_path.as_uri()}?mode=ro", uri=True, timeout=1.0)
            self._readers.conn = conn
        return lastfm_info.read(conn, key)

    def _cached(self, fetch: Fetch) -> Any:
        """The cached answer for ``fetch`` (JSON-decoded; None where Last.fm did not know the
        item); the fetch is scheduled when there is none or it expired."""
        if not self.configured:
            return None
        cached = self._read(fetch.key)
        if cached is None or not cached.fresh:
            self._schedule(fetch)
        return None if cached is None else cached.value

    def _store(self, key: str, value: object | None) -> None:
        """Called by the fetcher thread only; it may wait for the sidecar's write lock (a
        catalog sync), which no request waits on."""
        lastfm_info.store(self._write_connection(), key, value)

    # The background fetcher

    def _schedule(self, fetch: Fetch) -> None:
        with self._lock:
            if fetch.key in self._pending or self._retry_at.get(fetch.key, 0) > time.time():
                return
            self._pending.add(fetch.key)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="beetcrate-lastfm", daemon=True
                )
                self._thread.start()
        self._queue.put(fetch)

    def _run(self) -> None:
        while True:
            fetch = self._queue.get()
            try:
                self._fetch(fetch)
            except sqlite3.Error as error:  # the sidecar busy past its timeout: ask again later
                self._failed(fetch, f"cannot store the answer: {error}")
            finally:
                with self._lock:
                    self._pending.discard(fetch.key)

    def _fetch(self, fetch: Fetch) -> None:
        try:
            value = lastfm_info.ask(self.settings, fetch)
        except LastfmInfoError as error:
            self._failed(fetch, str(error))
            return
        self._store(fetch.key, value)

    def _failed(self, fetch: Fetch, reason: str) -> None:
        """Keep serving what is cached and ask again after a while; each distinct reason is
        logged once (a Last.fm that is down would otherwise fill the log, a line a fetch)."""
        with self._lock:
            self._retry_at[fetch.key] = time.time() + RETRY_AFTER
            first = reason not in self._reported
            self._reported.add(reason)
        if first:
            log.warning("Last.fm %s failed, the library answers alone: %s", fetch.method, reason)

    def wait_idle(self, timeout: float) -> bool:
        """Whether every scheduled fetch finished within ``timeout`` seconds (for tests and
        the benchmark's warm-up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._pending:
                    return True
            time.sleep(0.02)
        return False
