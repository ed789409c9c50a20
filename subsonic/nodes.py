"""Catalog rows to Subsonic nodes (songs, albums, artists), with OpenSubsonic fields.

Fields the XSD knows are written as attributes; OpenSubsonic additions (``genres``,
``replayGain``, ``artists``…) follow the OpenSubsonic schemas. Values that beets does not have
are left out rather than sent empty, and every integer fits in the type the XSD declares.

A ``Nodes`` is made per request (``ApiRequest.nodes``): it holds what depends on the server's
settings rather than on the row, such as the format songs are transcoded to by default, and
who asks: every song, album and artist carries that user's stars, rating and plays. A list of
rows is built in one call (``songs``, ``albums``…), which loads the annotations of all its rows
in two queries, so a list of 5,000 songs costs two extra queries, not 5,000.

The part of a song node that is the same for every user is built once per catalog version and
kept (``SongNodeCache``, one per app): building one from its row costs about 20 µs, so a
5,000-song playlist asked for again costs copies, not 100 ms of building.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from beetcrate.beetsdb import split_list
from beetcrate.transcode import Profile
from subsonic.ids import song_id
from subsonic.library import Row
from subsonic.names import SINGLES_ALBUM, iso_time
from subsonic.responses import Payload
from subsonic.userdata.annotations import NOTHING, Annotation, annotations_of

CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/ogg",
    "m4a": "audio/mp4",
    "mp4": "audio/mp4",
    "aac": "audio/aac",
    "alac": "audio/mp4",
    "wav": "audio/wav",
    "aiff": "audio/aiff",
    "aif": "audio/aiff",
    "wma": "audio/x-ms-wma",
    "ape": "audio/x-ape",
    "wv": "audio/x-wavpack",
    "mpc": "audio/x-musepack",
}
INT32_MAX = 2**31 - 1


def content_type(suffix: str) -> str:
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


def _int32(value: float | None) -> int | None:
    if value is None:
        return None
    return max(0, min(round(value), INT32_MAX))


def _cover_id(row: Row) -> str:
    """Songs show their album's art; singletons (no real album) their own embedded art."""
    return song_id(row["item_id"]) if row["beets_album_id"] is None else row["album_id"]


def _replay_gain(row: Row) -> Payload | None:
    # R128 gains are relative to -23 LUFS; ReplayGain's reference is 5 dB louder.
    track = row["rg_track_gain"]
    if track is None and row["r128_track_gain"] is not None:
        track = row["r128_track_gain"] + 5.0
    album = row["rg_album_gain"]
    if album is None and row["r128_album_gain"] is not None:
        album = row["r128_album_gain"] + 5.0
    gain = {
        "trackGain": track,
        "albumGain": album,
        "trackPeak": row["rg_track_peak"],
        "albumPeak": row["rg_album_peak"],
    }
    return {k: v for k, v in gain.items() if v is not None} or None


def _song_key(row: Row) -> str:
    return song_id(row["item_id"])


def _id_key(row: Row) -> str:
    return row["id"]


def compact(node: Payload) -> Payload:
    """Leave out what beets does not have: the JSON writer relies on nodes holding no None."""
    return {key: value for key, value in node.items() if value is not None}


# The user fields each node type declares (the XSD's, and OpenSubsonic's additions).
CHILD_FIELDS = ("starred", "userRating", "averageRating", "playCount", "played")
ALBUM_FIELDS = ("starred", "userRating", "playCount", "played")
ARTIST_FIELDS = ("starred", "userRating", "averageRating")
ARTIST_ID3_FIELDS = ("starred",)
DIRECTORY_FIELDS = ("starred", "userRating", "averageRating", "playCount")


def user_fields(note: Annotation, names: Sequence[str]) -> Payload:
    """A user's stars, rating and plays as the fields ``names`` of a node (those set)."""
    if note is NOTHING:
        return {}
    values = {
        "starred": note.starred,
        "userRating": note.rating,
        "averageRating": round(note.average_rating, 2) if note.average_rating else None,
        "playCount": note.play_count or None,
        "played": note.last_played,
    }
    return {name: values[name] for name in names if values[name] is not None}


def _disc_titles(raw: str | None) -> list[Payload]:
    titles = []
    for entry in (raw or "").split("\x1e"):
        disc, _, title = entry.partition("\x1f")
        if disc.isdigit() and title:
            titles.append({"disc": int(disc), "title": title})
    return titles


def _album(row: Row) -> Payload:
    """An album as ``AlbumID3`` (getAlbum, getArtist, getAlbumList2, search3)."""
    genre = row["genre"]
    return compact(
        {
            "id": row["id"],
            "name": row["name"],
            "artist": row["artist"],
            "artistId": row["artist_id"],
            "coverArt": row["id"],
            "songCount": row["song_count"],
            "duration": _int32(row["duration"]) or 0,
            "created": iso_time(row["added"]),
            "year": _int32(row["year"]),
            "genre": genre,
            # OpenSubsonic
            "sortName": row["name_key"],
            "musicBrainzId": row["mb_albumid"],
            "isCompilation": bool(row["comp"]),
            "genres": [{"name": name} for name in (row["genres"] or "").split("\x1f") if name],
            "artists": [{"id": row["artist_id"], "name": row["artist"]}],
            "displayArtist": row["artist"],
            "releaseTypes": ["Single"] if row["name"] == SINGLES_ALBUM else [],
            "discTitles": _disc_titles(row["disc_titles"]),
        }
    )


def _album_child(row: Row) -> Payload:
    """An album as a folder ``Child`` (getMusicDirectory of an artist, getAlbumList)."""
    return compact(
        {
            "id": row["id"],
            "parent": row["artist_id"],
            "isDir": True,
            "title": row["name"],
            "album": row["name"],
            "artist": row["artist"],
            "year": _int32(row["year"]),
            "genre": row["genre"],
            "coverArt": row["id"],
            "duration": _int32(row["duration"]),
            "created": iso_time(row["added"]),
            "albumId": row["id"],
            "artistId": row["artist_id"],
            # OpenSubsonic
            "mediaType": "album",
        }
    )


def _artist(row: Row) -> Payload:
    """An artist as ``ArtistID3``."""
    return compact(
        {
            "id": row["id"],
            "name": row["name"],
            "coverArt": row["id"],
            "albumCount": row["album_count"],
            # OpenSubsonic
            "musicBrainzId": row["mbid"],
            "sortName": row["name_key"],
        }
    )


def _index_artist(row: Row) -> Payload:
    """An artist in a folder index (``Artist``: no album count)."""
    return {"id": row["id"], "name": row["name"]}


class SongNodeCache:
    """Song nodes without their user fields, for one catalog version, the most recent kept.

    Keyed by item id; cleared whenever the catalog's version changes, so a node never outlives
    its row. The bound keeps memory near ``capacity`` nodes (about 3 KB each) per process.
    """

    def __init__(self, capacity: int = 12_000) -> None:
        self.capacity = capacity
        self._version: str | None = None
        self._nodes: OrderedDict[int, Payload] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: str, item_ids: Iterable[int]) -> dict[int, Payload]:
        """The cached nodes of these songs at this catalog version (the others are missing)."""
        with self._lock:
            if version != self._version:
                self._version, self._nodes = version, OrderedDict()
                return {}
            found = {}
            for item_id in item_ids:
                node = self._nodes.get(item_id)
                if node is not None:
                    self._nodes.move_to_end(item_id)
                    found[item_id] = node
            return found

    def put(self, version: str, nodes: dict[int, Payload]) -> None:
        with self._lock:
            if version != self._version:
                self._version, self._nodes = version, OrderedDict()
            self._nodes.update(nodes)
            while len(self._nodes) > self.capacity:
                self._nodes.popitem(last=False)


@dataclass(frozen=True)
class Nodes:
    """The node builders of one request."""

    # What a song is streamed as when a client asks for the default format.
    transcoded: Profile
    # Where annotations are read (the request's read-only connection), and whose.
    conn: sqlite3.Connection
    user: str
    # Song nodes built for earlier requests, valid for ``catalog_version``.
    cache: SongNodeCache = field(default_factory=SongNodeCache)
    catalog_version: str = ""

    def annotations(self, ids: Sequence[str]) -> dict[str, Annotation]:
        """The user's annotations of ``ids`` (and their average ratings), in two queries."""
        return annotations_of(self.conn, self.user, ids)

    def _annotated(
        self,
        rows: Sequence[Row],
        key: Callable[[Row], str],
        build: Callable[[Row], Payload],
        names: Sequence[str],
    ) -> list[Payload]:
        ids = [key(row) for row in rows]
        notes = self.annotations(ids)
        nodes = []
        for row, node_id in zip(rows, ids, strict=True):
            node = build(row)
            node.update(user_fields(notes.get(node_id, NOTHING), names))
            nodes.append(node)
        return nodes

    def songs(self, rows: Sequence[Row]) -> list[Payload]:
        """Songs as ``Child`` nodes (getAlbum, search3, lists, playlists…)."""
        by_id = self._song_nodes([row["item_id"] for row in rows], lambda ids: rows)
        return self._with_user_fields([by_id[row["item_id"]] for row in rows])

    def songs_by_id(
        self, item_ids: Sequence[int], fetch: Callable[[list[int]], Iterable[Row]]
    ) -> list[Payload]:
        """The nodes of these songs that are in the catalog, in this order; ``fetch`` reads the
        rows of those not built yet (a long playlist asked for again reads no row at all)."""
        by_id = self._song_nodes(item_ids, fetch)
        return self._with_user_fields([by_id[i] for i in item_ids if i in by_id])

    def _song_nodes(
        self, item_ids: Sequence[int], fetch: Callable[[list[int]], Iterable[Row]]
    ) -> dict[int, Payload]:
        by_id = self.cache.get(self.catalog_version, item_ids)
        missing = [item_id for item_id in item_ids if item_id not in by_id]
        if missing:
            wanted = set(missing)
            built = {
                row["item_id"]: self._song(row)
                for row in fetch(missing)
                if row["item_id"] in wanted
            }
            self.cache.put(self.catalog_version, built)
            by_id.update(built)
        return by_id

    def _with_user_fields(self, nodes: Sequence[Payload]) -> list[Payload]:
        notes = self.annotations([node["id"] for node in nodes])
        return [
            {**node, **user_fields(notes[node["id"]], CHILD_FIELDS)}
            if node["id"] in notes
            # A shared node is never changed: a node without user fields is sent as it is.
            else node
            for node in nodes
        ]

    def song(self, row: Row) -> Payload:
        return self.songs([row])[0]

    def albums(self, rows: Sequence[Row]) -> list[Payload]:
        """Albums as ``AlbumID3`` (getArtist, getAlbumList2, search3, getStarred2)."""
        return self._annotated(rows, _id_key, _album, ALBUM_FIELDS)

    def album(self, row: Row) -> Payload:
        return self.albums([row])[0]

    def album_children(self, rows: Sequence[Row]) -> list[Payload]:
        """Albums as folder ``Child`` nodes (getMusicDirectory, getAlbumList, search2…)."""
        return self._annotated(rows, _id_key, _album_child, CHILD_FIELDS)

    def artists(self, rows: Sequence[Row]) -> list[Payload]:
        """Artists as ``ArtistID3`` (getArtists, search3, getStarred2)."""
        return self._annotated(rows, _id_key, _artist, ARTIST_ID3_FIELDS)

    def artist(self, row: Row) -> Payload:
        return self.artists([row])[0]

    def index_artists(self, rows: Sequence[Row]) -> list[Payload]:
        """Artists as folder-index ``Artist`` nodes (getIndexes, search2, getStarred)."""
        return self._annotated(rows, _id_key, _index_artist, ARTIST_FIELDS)

    def directory_fields(self, directory_id: str) -> Payload:
        """The user fields of a ``Directory`` (an artist's or an album's folder)."""
        note = self.annotations([directory_id]).get(directory_id, NOTHING)
        return user_fields(note, DIRECTORY_FIELDS)

    def _transcoded_fields(self, suffix: str) -> Payload:
        if suffix == self.transcoded.suffix:
            return {}
        return {
            "transcodedSuffix": self.transcoded.suffix,
            "transcodedContentType": self.transcoded.content_type,
        }

    def _song(self, row: Row) -> Payload:
        suffix = row["suffix"]
        genres = split_list(row["genres"]) if row["genres"] else []
        node = {
            "id": song_id(row["item_id"]),
            "parent": row["album_id"],
            "isDir": False,
            "title": row["title"],
            "album": row["album"],
            "artist": row["artist"],
            "track": _int32(row["track"]),
            "year": _int32(row["year"]),
            "genre": row["genre"],
            "coverArt": _cover_id(row),
            "size": row["size"],
            "contentType": content_type(suffix),
            "suffix": suffix,
            **self._transcoded_fields(suffix),
            "duration": _int32(row["length"]),
            "bitRate": _int32((row["bitrate"] or 0) / 1000) or None,
            "path": row["relpath"],
            "isVideo": False,
            "discNumber": _int32(row["disc"]),
            "created": row["created"],
            "albumId": row["album_id"],
            "artistId": row["artist_id"],
            "type": "music",
            # OpenSubsonic
            "mediaType": "song",
            "bitDepth": _int32(row["bitdepth"]),
            "samplingRate": _int32(row["samplerate"]),
            "channelCount": _int32(row["channels"]),
            "bpm": _int32(row["bpm"]),
            "comment": row["comments"],
            "musicBrainzId": row["mb_trackid"],
            "isrc": [row["isrc"]] if row["isrc"] else None,
            "genres": [{"name": genre} for genre in genres],
            "artists": [{"id": row["artist_id"], "name": row["artist"]}],
            "displayArtist": row["artist"],
            "albumArtists": [{"id": row["albumartist_id"], "name": row["albumartist"]}],
            "displayAlbumArtist": row["albumartist"],
            "displayComposer": ", ".join(split_list(row["composers"]))
            if row["composers"]
            else None,
            "replayGain": _replay_gain(row),
        }
        return compact(node)
