"""Browsing: by folders (getIndexes, getMusicDirectory) and by tags (getArtists, getAlbum…).

beets organizes by tags, so the folder view is the tag view in folder clothes: the index lists
album artists, an artist's directory holds its albums, an album's directory its songs.
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING

from subsonic import ids
from subsonic.names import IGNORED_ARTICLES
from subsonic.responses import NOT_FOUND, ApiError, Payload

if TYPE_CHECKING:
    from subsonic.api import ApiRequest
    from subsonic.library import Row

IGNORED = " ".join(IGNORED_ARTICLES)


def _indexed(rows: list[Row], artists: list[Payload]) -> list[Payload]:
    """Artist nodes (built from ``rows``, in their order) grouped by index letter."""
    pairs = zip(rows, artists, strict=True)
    return [
        {"name": letter, "artist": [artist for _, artist in group]}
        for letter, group in groupby(pairs, key=lambda pair: pair[0]["index_letter"])
    ]


def _sorted_by_letter(rows: list[Row]) -> list[Row]:
    # Names sort inside a letter by their key; "#" (digits, symbols) goes last, as clients show.
    return sorted(rows, key=lambda row: (row["index_letter"] == "#", row["index_letter"]))


def get_music_folders(request: ApiRequest) -> Payload:
    name = request.services.settings.music_directory.name or "Music"
    return {"musicFolders": {"musicFolder": [{"id": ids.MUSIC_FOLDER_ID, "name": name}]}}


def get_indexes(request: ApiRequest) -> Payload:
    library = request.services.library
    last_modified = int(library.meta("last_modified") or 0)
    if_modified_since = request.get_int("ifModifiedSince", 0, minimum=0)
    indexes: Payload = {"lastModified": last_modified, "ignoredArticles": IGNORED}
    if if_modified_since < last_modified or not if_modified_since:
        rows = _sorted_by_letter(library.index_artists())
        indexes["index"] = _indexed(rows, request.nodes.index_artists(rows))
    return {"indexes": indexes}


def get_music_directory(request: ApiRequest) -> Payload:
    directory_id = request.require("id")
    kind, _ = ids.parse(directory_id, "ar", "al")
    library = request.services.library
    if kind == "ar":
        artist = found(library.artist(directory_id), "Artist", directory_id)
        albums = library.artist_albums(directory_id)
        return {
            "directory": {
                "id": directory_id,
                "name": artist["name"],
                **request.nodes.directory_fields(directory_id),
                "child": request.nodes.album_children(albums),
            }
        }
    album = found(library.album(directory_id), "Album", directory_id)
    return {
        "directory": {
            "id": directory_id,
            "parent": album["artist_id"],
            "name": album["name"],
            **request.nodes.directory_fields(directory_id),
            "child": request.nodes.songs(library.album_songs(directory_id)),
        }
    }


def get_genres(request: ApiRequest) -> Payload:
    genres = [
        {"songCount": row["song_count"], "albumCount": row["album_count"], "value": row["name"]}
        for row in request.services.library.genres()
    ]
    return {"genres": {"genre": genres}}


def get_artists(request: ApiRequest) -> Payload:
    rows = _sorted_by_letter(request.services.library.index_artists())
    index = _indexed(rows, request.nodes.artists(rows))
    return {"artists": {"ignoredArticles": IGNORED, "index": index}}


def found(row: Row | None, what: str, item_id: str) -> Row:
    """``row``, or error 70 saying which ``what`` (Artist, Album…) ``item_id`` names none of."""
    if row is None:
        raise ApiError(NOT_FOUND, f"{what} not found: {item_id}")
    return row


def get_artist(request: ApiRequest) -> Payload:
    artist_id = request.require("id")
    ids.parse(artist_id, "ar")
    library = request.services.library
    artist = found(library.artist(artist_id), "Artist", artist_id)
    albums = request.nodes.albums(library.artist_albums(artist_id))
    return {"artist": {**request.nodes.artist(artist), "album": albums}}


def get_album(request: ApiRequest) -> Payload:
    album_id = request.require("id")
    ids.parse(album_id, "al")
    library = request.services.library
    album = found(library.album(album_id), "Album", album_id)
    songs = request.nodes.songs(library.album_songs(album_id))
    return {"album": {**request.nodes.album(album), "song": songs}}


def get_song(request: ApiRequest) -> Payload:
    return {"song": request.nodes.song(request.song(request.require("id")))}
