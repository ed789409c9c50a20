"""Bookmarks: positions in songs (createBookmark, getBookmarks, deleteBookmark) and the saved
play queue, by song id (savePlayQueue, getPlayQueue) or by index (OpenSubsonic
``indexBasedQueue``: savePlayQueueByIndex, getPlayQueueByIndex). The data: ``userdata.queues``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from subsonic import ids
from subsonic.ids import song_id
from subsonic.names import iso_time
from subsonic.nodes import compact
from subsonic.responses import MISSING_PARAMETER, NOT_FOUND, ApiError, Payload
from subsonic.userdata import queues

if TYPE_CHECKING:
    from subsonic.api import ApiRequest

# Positions are milliseconds; beyond this a JSON number would lose precision.
MAX_POSITION_MS = 2**53 - 1


def _songs_in_library(request: ApiRequest, song_ids: list[str]) -> list[int]:
    """The item ids of these song ids, all of them in the library, or error 70."""
    item_ids = [ids.parse_song(value) for value in song_ids]
    found = request.services.library.songs(item_ids)
    for value, item_id in zip(song_ids, item_ids, strict=True):
        if item_id not in found:
            raise ApiError(NOT_FOUND, f"Song not found: {value}")
    return item_ids


def _position(request: ApiRequest) -> int:
    return request.get_int("position", 0, minimum=0, maximum=MAX_POSITION_MS)


def _queued_ids(request: ApiRequest) -> list[str]:
    return [value for value in request.get_list("id") if value]


def _save(request: ApiRequest, item_ids: list[int], current_index: int | None) -> Payload:
    queue = queues.SavedQueue(
        item_ids=item_ids,
        current_index=current_index,
        # A cleared queue has no position (nor can a bad one refuse the clearing).
        position_ms=_position(request) if item_ids else 0,
        client=request.require("c"),
    )
    queues.save_queue(request.services.userdata, request.user.name, queue, now=time.time())
    return {}


def save_play_queue(request: ApiRequest) -> Payload:
    """Without ``id``, clears the queue. ``current`` must be one of the ids; with duplicates,
    the first of them is current."""
    song_ids = _queued_ids(request)
    item_ids = _songs_in_library(request, song_ids)
    current_index = None
    if item_ids:
        current = request.require("current")
        if current not in song_ids:
            raise ApiError(MISSING_PARAMETER, f"current is not one of the queued ids: {current}")
        current_index = song_ids.index(current)
    return _save(request, item_ids, current_index)


def save_play_queue_by_index(request: ApiRequest) -> Payload:
    """Without ``id``, clears the queue (and then ``currentIndex`` must not be given); with ids,
    ``currentIndex`` must index one of them. Either way error 10 otherwise, as specified."""
    item_ids = _songs_in_library(request, _queued_ids(request))
    raw_index = request.get("currentIndex")
    if not item_ids:
        if raw_index:
            raise ApiError(MISSING_PARAMETER, "currentIndex must not be given without ids")
        return _save(request, [], None)
    if raw_index is None or not raw_index.isdecimal() or int(raw_index) >= len(item_ids):
        raise ApiError(
            MISSING_PARAMETER,
            f"currentIndex must be an index of the queue (0 to {len(item_ids) - 1})",
        )
    return _save(request, item_ids, int(raw_index))


def _queue_fields(request: ApiRequest, queue: queues.PlayQueue) -> Payload:
    return {
        "position": queue.position_ms,
        "username": request.user.name,
        "changed": iso_time(queue.changed),
        "changedBy": queue.changed_by,
        "entry": request.nodes.songs(queue.songs),
    }


def get_play_queue(request: ApiRequest) -> Payload:
    queue = queues.load_queue(request.services.library, request.user.name)
    current = None
    if queue.current_index is not None:
        current = song_id(queue.songs[queue.current_index]["item_id"])
    return {"playQueue": compact({"current": current, **_queue_fields(request, queue)})}


def get_play_queue_by_index(request: ApiRequest) -> Payload:
    queue = queues.load_queue(request.services.library, request.user.name)
    fields = {"currentIndex": queue.current_index, **_queue_fields(request, queue)}
    return {"playQueueByIndex": compact(fields)}


def create_bookmark(request: ApiRequest) -> Payload:
    """A bookmark per user and song: a second one in the same song replaces the first."""
    (item_id,) = _songs_in_library(request, [request.require("id")])
    request.require("position")
    queues.save_bookmark(
        request.services.userdata,
        request.user.name,
        item_id,
        _position(request),
        request.get("comment") or "",
        now=time.time(),
    )
    return {}


def delete_bookmark(request: ApiRequest) -> Payload:
    """Deleting a bookmark that is not there is no error, unless the id names no song at all
    (neither in the library nor bookmarked by this user)."""
    value = request.require("id")
    item_id = ids.parse_song(value)
    deleted = queues.delete_bookmark(request.services.userdata, request.user.name, item_id)
    if not deleted and request.services.library.song(item_id) is None:
        raise ApiError(NOT_FOUND, f"Song not found: {value}")
    return {}


def get_bookmarks(request: ApiRequest) -> Payload:
    user = request.user.name
    stored = queues.load_bookmarks(request.services.library, user)
    songs = request.nodes.songs([bookmark.song for bookmark in stored])
    bookmarks = [
        compact(
            {
                "position": bookmark.position_ms,
                "username": user,
                "comment": bookmark.comment or None,
                "created": iso_time(bookmark.created),
                "changed": iso_time(bookmark.changed),
                "entry": song,
            }
        )
        for bookmark, song in zip(stored, songs, strict=True)
    ]
    return {"bookmarks": {"bookmark": bookmarks}}
