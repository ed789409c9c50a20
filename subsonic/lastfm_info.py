"""Last.fm behind artist and album pages, top songs and similar songs, never in a request's way.

With ``beetcrate: lastfm: api_key`` set, the info endpoints (``subsonic.info``) ask this module
for what Last.fm knows of an artist, an album or a track. The answer comes from a cache in the
sidecar (``lastfm_cache``): a request never waits for Last.fm. What is missing or expired is
fetched by one background thread per process, through pylast (the application's calls, no
user's session), and stored for ``FRESH_FOR``; until it arrives, and while Last.fm is down or
slow, clients get the local answer alone. Names Last.fm does not know are remembered too, for
``UNKNOWN_FOR``, so they are not asked for at every request. pylast loads with the first fetch.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, is_dataclass
from functools import partial
from pathlib import Path
from typing import Any
from xml.dom.minidom import CharacterData, Document, Element

from beetcrate import sidecar
from beetcrate.settings import LastfmSettings

log = logging.getLogger(__name__)

FRESH_FOR = 7 * 86400.0  # what Last.fm said is kept this long
UNKNOWN_FOR = 86400.0  # "not found" is kept this long
RETRY_AFTER = 300.0  # after a failed fetch (Last.fm down, slow), ask again no sooner
LIMIT = 50  # similar artists, top tracks, similar tracks fetched per item
# Last.fm's "not found" errors: the artist, album or track is unknown to it.
NOT_FOUND_CODES = {"6", "7"}
COMPONENT = "lastfm"
# The image links a client is given, and Last.fm's sizes for each, the best first: Last.fm's
# "large" is 174 px, its "extralarge" 300 px.
IMAGE_SIZES = {
    "small": ("medium", "small"),
    "medium": ("large", "extralarge"),
    "large": ("mega", "extralarge", "large"),
}


def _create_cache(db: Any) -> None:
    db.execute("CREATE TABLE lastfm_cache (key TEXT PRIMARY KEY, body TEXT, expires REAL NOT NULL)")


MIGRATIONS = [_create_cache]


@dataclass(frozen=True)
class TrackRef:
    """A track as Last.fm names it."""

    title: str
    artist: str
    mbid: str = ""


@dataclass(frozen=True)
class ArtistInfo:
    biography: str = ""
    mbid: str = ""
    url: str = ""


@dataclass(frozen=True)
class AlbumInfo:
    notes: str = ""
    mbid: str = ""
    url: str = ""
    images: dict[str, str] = field(default_factory=dict)  # "small"|"medium"|"large" -> URL


@dataclass(frozen=True)
class _Fetch:
    key: str
    method: str
    params: tuple[tuple[str, str], ...]
    parse: Callable[[Document], object]


def _own(parent: Element, tag: str) -> list[Element]:
    """``parent``'s own children named ``tag`` (not deeper ones: an artist's <similar> holds
    artists with names and urls of their own)."""
    return [node for node in parent.childNodes if isinstance(node, Element) and node.tagName == tag]


def _text(element: Element) -> str:
    return "".join(node.data for node in element.childNodes if isinstance(node, CharacterData))


def _own_text(parent: Element, tag: str) -> str:
    found = _own(parent, tag)
    return _text(found[0]).strip() if found else ""


def _root(doc: Document, tag: str) -> Element:
    """The answer's element inside <lfm>: <artist>, <album>, <toptracks>…"""
    (lfm,) = doc.getElementsByTagName("lfm")
    (element,) = _own(lfm, tag)
    return element


def _parse_artist(doc: Document) -> ArtistInfo:
    artist = _root(doc, "artist")
    bio = _own(artist, "bio")
    return ArtistInfo(
        biography=_own_text(bio[0], "summary") if bio else "",
        mbid=_own_text(artist, "mbid"),
        url=_own_text(artist, "url"),
    )


def _parse_similar_artists(doc: Document) -> tuple[str, ...]:
    similar = _root(doc, "similarartists")
    return tuple(name for node in _own(similar, "artist") if (name := _own_text(node, "name")))


def _parse_album(doc: Document) -> AlbumInfo:
    album = _root(doc, "album")
    wiki = _own(album, "wiki")
    sizes = {node.getAttribute("size"): _text(node).strip() for node in _own(album, "image")}
    images = {
        shown: url
        for shown, wanted in IMAGE_SIZES.items()
        if (url := next((sizes[size] for size in wanted if sizes.get(size)), ""))
    }
    return AlbumInfo(
        notes=_own_text(wiki[0], "summary") if wiki else "",
        mbid=_own_text(album, "mbid"),
        url=_own_text(album, "url"),
        images=images,
    )


def _parse_tracks(doc: Document, root: str) -> tuple[TrackRef, ...]:
    tracks = []
    for node in _own(_root(doc, root), "track"):
        artist = _own(node, "artist")
        title = _own_text(node, "name")
        if title:
            by = _own_text(artist[0], "name") if artist else ""
            tracks.append(TrackRef(title, by, _own_text(node, "mbid")))
    return tuple(tracks)


class LastfmInfo:
    """What Last.fm knows, from the cache; what it lacks is fetched in the background."""

    def __init__(self, settings: LastfmSettings, db_path: Path) -> None:
        self.settings = settings
        self.db_path = db_path
        # Request threads read through read-only connections of their own (WAL: a reader never
        # waits for a writer); the fetcher thread alone writes, through its own connection.
        self._readers = threading.local()
        self._writer: sqlite3.Connection | None = None
        self._queue: queue.Queue[_Fetch] = queue.Queue()
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
        found = self._cached(
            _Fetch(
                f"artist:{name.casefold()}", "artist.getInfo", (("artist", name),), _parse_artist
            )
        )
        return ArtistInfo(**found) if found else None

    def similar_artists(self, name: str) -> tuple[str, ...] | None:
        found = self._cached(
            _Fetch(
                f"similar-artists:{name.casefold()}",
                "artist.getSimilar",
                (("artist", name), ("limit", str(LIMIT))),
                _parse_similar_artists,
            )
        )
        return tuple(found) if found is not None else None

    def album(self, artist: str, name: str) -> AlbumInfo | None:
        found = self._cached(
            _Fetch(
                f"album:{artist.casefold()}:{name.casefold()}",
                "album.getInfo",
                (("artist", artist), ("album", name)),
                _parse_album,
            )
        )
        return AlbumInfo(**found) if found else None

    def top_tracks(self, artist: str) -> tuple[TrackRef, ...] | None:
        found = self._cached(
            _Fetch(
                f"top-tracks:{artist.casefold()}",
                "artist.getTopTracks",
                (("artist", artist), ("limit", str(LIMIT))),
                partial(_parse_tracks, root="toptracks"),
            )
        )
        return tuple(TrackRef(**track) for track in found) if found is not None else None

    def similar_tracks(self, artist: str, title: str) -> tuple[TrackRef, ...] | None:
        found = self._cached(
            _Fetch(
                f"similar-tracks:{artist.casefold()}:{title.casefold()}",
                "track.getSimilar",
                (("artist", artist), ("track", title), ("limit", str(LIMIT))),
                partial(_parse_tracks, root="similartracks"),
            )
        )
        return tuple(TrackRef(**track) for track in found) if found is not None else None

    # The cache

    def _write_connection(self) -> sqlite3.Connection:
        """The fetcher thread's connection; it makes the cache table the first time."""
        if self._writer is None:
            db = sidecar.connect(self.db_path)
            sidecar.migrate(db, COMPONENT, MIGRATIONS)
            self._writer = db.conn
        return self._writer

    def _read(self, key: str) -> tuple[str | None, float] | None:
        conn = getattr(self._readers, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"{self.db_path.as_uri()}?mode=ro", uri=True, timeout=1.0)
            self._readers.conn = conn
        try:
            return conn.execute(
                "SELECT body, expires FROM lastfm_cache WHERE key = ?", [key]
            ).fetchone()
        except sqlite3.OperationalError:
            return None  # no cache table before the first fetch made it

    def _cached(self, fetch: _Fetch) -> Any:
        """The cached answer for ``fetch`` (JSON-decoded; None where Last.fm did not know the
        item); the fetch is scheduled when there is none or it expired."""
        if not self.configured:
            return None
        row = self._read(fetch.key)
        if row is None or row[1] < time.time():
            self._schedule(fetch)
        if row is None or row[0] is None:
            return None
        return json.loads(row[0])

    def _store(self, key: str, value: object | None, fresh_for: float) -> None:
        """Called by the fetcher thread only; it may wait for the sidecar's write lock (a
        catalog sync), which no request waits on."""
        body = None if value is None else json.dumps(_plain(value))
        conn = self._write_connection()
        with conn:
            conn.execute(
                "INSERT OR REPLACE INTO lastfm_cache VALUES (?, ?, ?)",
                [key, body, time.time() + fresh_for],
            )

    # The background fetcher

    def _schedule(self, fetch: _Fetch) -> None:
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

    def _fetch(self, fetch: _Fetch) -> None:
        import pylast

        from beetcrate.scrobbling.lastfm import THROTTLE, network

        try:
            # Last.fm's rate, shared with this process' other calls.
            THROTTLE.wait()
            request = pylast._Request(network(self.settings), fetch.method, dict(fetch.params))
            document = request.execute()
        except pylast.WSError as error:
            if str(error.get_id()) in NOT_FOUND_CODES:
                self._store(fetch.key, None, UNKNOWN_FOR)
                return
            self._failed(fetch, f"Last.fm answered {error.get_id()}: {error.details}")
            return
        except (pylast.PyLastError, OSError) as error:
            self._failed(fetch, f"{type(error).__name__}: {error}")
            return
        try:
            value = fetch.parse(document)
        except (ValueError, IndexError, AttributeError) as error:
            self._failed(fetch, f"an answer it cannot read: {error}")
            return
        self._store(fetch.key, value, FRESH_FOR)

    def _failed(self, fetch: _Fetch, reason: str) -> None:
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


def _plain(value: object) -> object:
    """A parsed answer as JSON: dataclasses as objects, tuples as lists."""
    if isinstance(value, tuple):
        return [_plain(part) for part in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {key: _plain(part) for key, part in asdict(value).items()}
    return value
