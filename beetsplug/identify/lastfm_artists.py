"""``identify: artist_info: lastfm`` (and ``beet identify --artist-info``): what Last.fm knows
of the artists of what is imported or applied.

Each distinct artist of a command is asked about once: Last.fm's ``artist.getInfo`` and
``artist.getSimilar``, by the artist's MusicBrainz id where the item or album has one (by name,
as written, where it has none or Last.fm does not know the id), unless the sidecar holds a
fresh answer already (the server's, an earlier import's). The answers go to the sidecar's
Last.fm cache (``beetcrate.lastfm_info``), where the server's artist pages read them: an artist
has its biography and similar artists right after the import, even when the server cannot
reach Last.fm. The MusicBrainz id Last.fm gives an artist fills ``mb_artistid`` (items) and
``mb_albumartistid`` (albums, and singletons) where they are empty, attributed ``lastfm`` for
provenance; an id the files or a match gave is never replaced.

Last.fm failing (no account, the network, a refused key) is one line, after which the command
asks it no more: the import goes on.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beets.library import Album, Item

from beetcrate import lastfm_info
from beetcrate.attribution import attributed
from beetcrate.lastfm_info import ArtistInfo, Fetch, LastfmInfoError
from beetcrate.settings import LastfmSettings

SOURCE = "lastfm"  # the attribution provenance records for the ids filled here


@dataclass(frozen=True)
class ArtistField:
    """The name of one of an object's artists, and the fields holding its MusicBrainz id."""

    name: str  # "artist", "albumartist"
    id: str  # "mb_artistid", "mb_albumartistid"
    ids: str  # the multi-valued list beside it: "mb_artistids", "mb_albumartistids"


TRACK_ARTIST = ArtistField("artist", "mb_artistid", "mb_artistids")
ALBUM_ARTIST = ArtistField("albumartist", "mb_albumartistid", "mb_albumartistids")


@dataclass(frozen=True)
class IdFill:
    """An artist id Last.fm gave an object that had none."""

    field: str  # "mb_artistid", "mb_albumartistid"
    mbid: str


def artist_fields(obj: Album | Item) -> tuple[ArtistField, ...]:
    """An album's artist is its album artist; an album's track has its own artist (the album
    artist's id is the album's); a singleton has both."""
    if isinstance(obj, Album):
        return (ALBUM_ARTIST,)
    if obj.album_id is None:
        return (TRACK_ARTIST, ALBUM_ARTIST)
    return (TRACK_ARTIST,)


def _is_mbid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class LastfmArtists:
    """The artists of one command (an import, ``beet identify``), each asked about once."""

    def __init__(
        self, enabled: bool, lastfm: LastfmSettings, sidecar: Path, log: logging.Logger
    ) -> None:
        self.lastfm = lastfm
        self.sidecar = sidecar
        self.log = log
        self._off = not enabled
        self._artists: dict[str, ArtistInfo | None] = {}  # by cache key
        self._conn: sqlite3.Connection | None = None

    @property
    def available(self) -> bool:
        """Whether Last.fm is still asked in this command (on, and not failed yet)."""
        return not self._off

    def fill(self, obj: Album | Item, apply: bool = True) -> list[IdFill]:
        """Ask about ``obj``'s artists and, with ``apply``, store the ids Last.fm gives where
        ``obj`` has none, attributed ``lastfm``. Returns the ids filled (or, without ``apply``,
        that would be). Store the object's other changes first: they would be recorded as
        Last.fm's."""
        if self._off:
            return []
        try:
            return self._fill(obj, apply)
        except (LastfmInfoError, sqlite3.Error) as exc:
            self._off = True
            self.log.warning("artist info: {}; no more artist info in this command", exc)
            return []

    def fill_album(self, album: Album, apply: bool = True) -> dict[int, list[IdFill]]:
        """``fill`` the album (its album artist, whose id its tracks share), then each of its
        tracks (their own artists): the ids filled, by item id."""
        shared = self.fill(album, apply)
        return {item.id or 0: shared + self.fill(item, apply) for item in album.items()}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _fill(self, obj: Album | Item, apply: bool) -> list[IdFill]:
        fills = []
        for field in artist_fields(obj):
            name = str(obj.get(field.name) or "").strip()
            mbid = str(obj.get(field.id) or "")
            if not name:
                continue
            info = self.artist(name, mbid)
            if mbid or info is None or not _is_mbid(info.mbid):
                continue
            fills.append(IdFill(field.id, info.mbid))
            if apply:
                obj[field.id] = info.mbid
                if field.ids in type(obj)._fields and not obj.get(field.ids):
                    obj[field.ids] = [info.mbid]
                with attributed(
                    SOURCE, candidate_id=info.url or None, candidate_kind="artist page"
                ):
                    obj.store()
        return fills

    def artist(self, name: str, mbid: str = "") -> ArtistInfo | None:
        """What Last.fm says of the artist ``name`` (None: it does not know it), asked once a
        command; the similar artists of an artist it knows are asked for the server's cache at
        the same time. Raises ``LastfmInfoError`` (one line) when Last.fm cannot be asked."""
        key = lastfm_info.artist_info(name).key
        if key not in self._artists:
            found = self._answer(lastfm_info.artist_info(name, mbid), lastfm_info.artist_info(name))
            self._artists[key] = ArtistInfo(**found) if found else None
            if found:  # nothing is similar to an artist Last.fm does not know
                similar = lastfm_info.similar_artists(name, mbid)
                self._answer(similar, lastfm_info.similar_artists(name))
        return self._artists[key]

    def _answer(self, fetch: Fetch, by_name: Fetch) -> Any:
        """The cache's fresh answer to ``fetch``, else Last.fm's (asked by name when it does not
        know the id ``fetch`` asks by), stored in the cache; JSON-decoded."""
        conn = self._cache()
        cached = lastfm_info.read(conn, fetch.key)
        if cached is not None and cached.fresh:
            return cached.value
        value = self._ask(fetch)
        if value is None and fetch != by_name:  # Last.fm knows fewer ids than names
            value = self._ask(by_name)
        lastfm_info.store(conn, fetch.key, value)
        return lastfm_info.plain(value)

    def _ask(self, fetch: Fetch) -> object | None:
        if not self.lastfm.configured:
            raise LastfmInfoError(
                "Last.fm needs an API account: set beetcrate: lastfm: api_key and api_secret"
            )
        return lastfm_info.ask(self.lastfm, fetch)

    def _cache(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = lastfm_info.open_cache(self.sidecar)
        return self._conn
