"""Album and song lists: getAlbumList(2), getRandomSongs, getSongsByGenre."""

from __future__ import annotations

from typing import TYPE_CHECKING

from subsonic import nodes
from subsonic.library import ALBUM_LIST_ORDERS, USER_DATA_LISTS
from subsonic.responses import GENERIC, ApiError, Payload

if TYPE_CHECKING:
    from subsonic.api import ApiRequest
    from subsonic.library import Row

MAX_LIST_SIZE = 500
LIST_TYPES = set(ALBUM_LIST_ORDERS) | USER_DATA_LISTS


def _album_rows(request: ApiRequest) -> list[Row]:
    list_type = request.require("type")
    if list_type not in LIST_TYPES:
        raise ApiError(GENERIC, f"Unknown album list type: {list_type}")
    from_year = to_year = genre = None
    if list_type == "byYear":
        request.require("fromYear")
        request.require("toYear")
        from_year, to_year = request.get_int("fromYear"), request.get_int("toYear")
    elif list_type == "byGenre":
        genre = request.require("genre")
    return request.services.library.album_list(
        list_type,
        size=request.get_int("size", 10, minimum=0, maximum=MAX_LIST_SIZE),
        offset=request.get_int("offset", 0, minimum=0),
        from_year=from_year,
        to_year=to_year,
        genre=genre,
    )


def get_album_list(request: ApiRequest) -> Payload:
    albums = [nodes.album_directory_child(row) for row in _album_rows(request)]
    return {"albumList": {"album": albums}}


def get_album_list2(request: ApiRequest) -> Payload:
    return {"albumList2": {"album": [nodes.album(row) for row in _album_rows(request)]}}


def get_random_songs(request: ApiRequest) -> Payload:
    rows = request.services.library.random_songs(
        size=request.get_int("size", 10, minimum=0, maximum=MAX_LIST_SIZE),
        genre=request.get("genre") or None,
        from_year=request.get_int("fromYear"),
        to_year=request.get_int("toYear"),
    )
    return {"randomSongs": {"song": [request.nodes.song(row) for row in rows]}}


def get_songs_by_genre(request: ApiRequest) -> Payload:
    rows = request.services.library.songs_by_genre(
        request.require("genre"),
        size=request.get_int("count", 10, minimum=0, maximum=MAX_LIST_SIZE),
        offset=request.get_int("offset", 0, minimum=0),
    )
    return {"songsByGenre": {"song": [request.nodes.song(row) for row in rows]}}
