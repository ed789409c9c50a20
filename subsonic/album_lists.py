"""Album and song lists: getAlbumList(2), getRandomSongs, getSongsByGenre, getNowPlaying,
getStarred(2).

The ``starred``, ``highest``, ``frequent`` and ``recent`` album lists, and the starred lists,
are the requesting user's own.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from subsonic.library import ALBUM_LIST_ORDERS, USER_DATA_LISTS
from subsonic.responses import GENERIC, ApiError, Payload
from subsonic.userdata import now_playing

if TYPE_CHECKING:
    from subsonic.api import ApiRequest
    from subsonic.library import Row

MAX_LIST_SIZE = 500
LIST_TYPES = set(ALBUM_LIST_ORDERS) | set(USER_DATA_LISTS)


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
        user=request.user.name,
    )


def get_album_list(request: ApiRequest) -> Payload:
    return {"albumList": {"album": request.nodes.album_children(_album_rows(request))}}


def get_album_list2(request: ApiRequest) -> Payload:
    return {"albumList2": {"album": request.nodes.albums(_album_rows(request))}}


def get_random_songs(request: ApiRequest) -> Payload:
    rows = request.services.library.random_songs(
        size=request.get_int("size", 10, minimum=0, maximum=MAX_LIST_SIZE),
        genre=request.get("genre") or None,
        from_year=request.get_int("fromYear"),
        to_year=request.get_int("toYear"),
    )
    return {"randomSongs": {"song": request.nodes.songs(rows)}}


def get_songs_by_genre(request: ApiRequest) -> Payload:
    rows = request.services.library.songs_by_genre(
        request.require("genre"),
        size=request.get_int("count", 10, minimum=0, maximum=MAX_LIST_SIZE),
        offset=request.get_int("offset", 0, minimum=0),
    )
    return {"songsByGenre": {"song": request.nodes.songs(rows)}}


def get_now_playing(request: ApiRequest) -> Payload:
    """What every user's players are playing (Subsonic shows all users' to everyone)."""
    library = request.services.library
    now = time.time()
    showing = []
    for session in now_playing.sessions(library.conn, now):
        row = library.song(session.item_id)
        if row is not None and session.showing(now, row["length"] or 0.0):
            showing.append((session, row))
    songs = request.nodes.songs([row for _, row in showing])
    entries = [
        {
            **song,
            "username": session.user,
            "minutesAgo": int((now - session.started) // 60),
            "playerId": session.player_id,
            "playerName": session.player,
            # OpenSubsonic playbackReport
            "state": session.state,
            "positionMs": session.position_at(now, row["length"] or 0.0),
            "playbackRate": session.playback_rate,
        }
        for song, (session, row) in zip(songs, showing, strict=True)
    ]
    return {"nowPlaying": {"entry": entries}}


def get_starred(request: ApiRequest) -> Payload:
    library, user = request.services.library, request.user.name
    return {
        "starred": {
            "artist": request.nodes.index_artists(library.starred_artists(user)),
            "album": request.nodes.album_children(library.starred_albums(user)),
            "song": request.nodes.songs(library.starred_songs(user)),
        }
    }


def get_starred2(request: ApiRequest) -> Payload:
    library, user = request.services.library, request.user.name
    return {
        "starred2": {
            "artist": request.nodes.artists(library.starred_artists(user)),
            "album": request.nodes.albums(library.starred_albums(user)),
            "song": request.nodes.songs(library.starred_songs(user)),
        }
    }
