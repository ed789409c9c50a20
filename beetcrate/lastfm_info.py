"""What Last.fm says of artists, albums and tracks, kept in the sidecar (``lastfm_cache``).

Two writers fill the one cache and one reader reads it: the server's background fetcher
(``subsonic.lastfm_info``) fills what its info pages lack, and the identify plugin
(``identify: artist_info: lastfm``) fills the artists of what it imports, so an artist page
has its biography right after an import even when the server cannot reach Last.fm. Both ask
through ``ask`` with the ``Fetch`` this module builds for each question, so an answer stored by
one is the answer the other would have stored, under the same key.

An answer is kept for ``FRESH_FOR``; "Last.fm does not know it" is an answer too, kept for
``UNKNOWN_FOR``. pylast loads with the first question, not with this module (the server's
workers import it).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, is_dataclass
from functools import partial
from pathlib import Path
from typing import Any
from xml.dom.minidom import CharacterData, Document, Element

from beetcrate import sidecar
from beetcrate.settings import LastfmSettings

FRESH_FOR = 7 * 86400.0  # what Last.fm said is kept this long
UNKNOWN_FOR = 86400.0  # "not found" is kept this long
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


class LastfmInfoError(Exception):
    """Last.fm could not be asked, or its answer could not be read; the message is one line."""


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
class Fetch:
    """One question to Last.fm: its API method and parameters, how its answer is read, and the
    cache key the answer is stored under (what the server looks up: names, case folded)."""

    key: str
    method: str
    params: tuple[tuple[str, str], ...]
    parse: Callable[[Document], object]


# The questions. An artist asked by its MusicBrainz id (``mbid``) is stored under its name all
# the same: the server asks by the name it shows. Names are taken as given (``autocorrect`` 0):
# a misspelt artist is not another artist's biography.


def _artist_params(name: str, mbid: str) -> tuple[tuple[str, str], ...]:
    return (("mbid", mbid),) if mbid else (("artist", name), ("autocorrect", "0"))


def artist_info(name: str, mbid: str = "") -> Fetch:
    return Fetch(
        f"artist:{name.casefold()}", "artist.getInfo", _artist_params(name, mbid), _parse_artist
    )


def similar_artists(name: str, mbid: str = "") -> Fetch:
    return Fetch(
        f"similar-artists:{name.casefold()}",
        "artist.getSimilar",
        (*_artist_params(name, mbid), ("limit", str(LIMIT))),
        _parse_similar_artists,
    )


def album_info(artist: str, name: str) -> Fetch:
    return Fetch(
        f"album:{artist.casefold()}:{name.casefold()}",
        "album.getInfo",
        (("artist", artist), ("album", name)),
        _parse_album,
    )


def top_tracks(artist: str) -> Fetch:
    return Fetch(
        f"top-tracks:{artist.casefold()}",
        "artist.getTopTracks",
        (("artist", artist), ("limit", str(LIMIT))),
        partial(_parse_tracks, root="toptracks"),
    )


def similar_tracks(artist: str, title: str) -> Fetch:
    return Fetch(
        f"similar-tracks:{artist.casefold()}:{title.casefold()}",
        "track.getSimilar",
        (("artist", artist), ("track", title), ("limit", str(LIMIT))),
        partial(_parse_tracks, root="similartracks"),
    )


# Asking


def ask(settings: LastfmSettings, fetch: Fetch) -> object | None:
    """Last.fm's answer to ``fetch``, parsed; None when Last.fm does not know the artist, album
    or track. Keeps to Last.fm's rate with this process's other calls. Raises
    ``LastfmInfoError`` (one line) when Last.fm cannot be asked (down, slow, a refused key, an
    answer that is not its API's XML)."""
    import pylast

    from beetcrate.scrobbling.lastfm import THROTTLE, network

    try:
        THROTTLE.wait()
        request = pylast._Request(network(settings), fetch.method, dict(fetch.params))
        document = request.execute()
    except pylast.WSError as error:
        if str(error.get_id()) in NOT_FOUND_CODES:
            return None
        raise LastfmInfoError(
            f"Last.fm answered {error.get_id()}: {_one_line(str(error.details))}"
        ) from error
    except (pylast.PyLastError, OSError) as error:
        raise LastfmInfoError(f"{type(error).__name__}: {_one_line(str(error))}") from error
    except (IndexError, AttributeError, ValueError) as error:
        # pylast reads an XML answer without <lfm> (a proxy's XHTML page) by indexing.
        raise LastfmInfoError("an answer that is not Last.fm's API XML") from error
    try:
        return fetch.parse(document)
    except (ValueError, IndexError, AttributeError) as error:
        raise LastfmInfoError(f"an answer it cannot read: {_one_line(str(error))}") from error


def _one_line(text: str) -> str:
    return " ".join(text.split())


# The cache


def open_cache(db_path: Path) -> sqlite3.Connection:
    """A connection that writes the cache; the table is made the first time."""
    db = sidecar.connect(db_path)
    sidecar.migrate(db, COMPONENT, MIGRATIONS)
    return db.conn


@dataclass(frozen=True)
class Cached:
    """A stored answer: ``value`` JSON-decoded (None: Last.fm did not know it), and until when
    it stands."""

    value: Any
    expires: float

    @property
    def fresh(self) -> bool:
        return self.expires >= time.time()


def read(conn: sqlite3.Connection, key: str) -> Cached | None:
    """The answer stored under ``key``, if any (none before the first store made the table)."""
    try:
        row = conn.execute("SELECT body, expires FROM lastfm_cache WHERE key = ?", [key]).fetchone()
    except sqlite3.OperationalError:
        return None
    if row is None:
        return None
    return Cached(None if row[0] is None else json.loads(row[0]), row[1])


def store(conn: sqlite3.Connection, key: str, value: object | None) -> None:
    """Store ``value``, an answer of ``ask`` (None: not known), for as long as it stands. May
    wait for the sidecar's write lock."""
    body = None if value is None else json.dumps(plain(value))
    fresh_for = UNKNOWN_FOR if value is None else FRESH_FOR
    with conn:
        conn.execute(
            "INSERT OR REPLACE INTO lastfm_cache VALUES (?, ?, ?)",
            [key, body, time.time() + fresh_for],
        )


def plain(value: object) -> object:
    """A parsed answer as stored (and read back): dataclasses as dicts, tuples as lists."""
    if isinstance(value, tuple):
        return [plain(part) for part in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {key: plain(part) for key, part in asdict(value).items()}
    return value


# Reading Last.fm's XML


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
