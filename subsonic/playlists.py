"""Playlists: getPlaylists, getPlaylist, createPlaylist, updatePlaylist, deletePlaylist.

The store (``subsonic.userdata.playlists``) decides who may see and change what; here its
refusals become the spec's errors: 70 for what does not exist or is not the user's to see, 50
for a playlist the user may see but not change (someone else's, or one that follows an M3U
file). M3U files are looked at (``subsonic.userdata.m3u``) before a playlist is listed or read.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from subsonic import ids, nodes
from subsonic.names import iso_time
from subsonic.responses import GENERIC, NOT_AUTHORIZED, NOT_FOUND, ApiError
from subsonic.userdata.playlists import (
    NotAllowed,
    NotFound,
    Playlist,
    PlaylistChanges,
    PlaylistStore,
)

if TYPE_CHECKING:
    from subsonic.api import ApiRequest
    from subsonic.responses import Payload
    from subsonic.store import User


def _store(request: ApiRequest) -> PlaylistStore:
    return PlaylistStore(request.services.library, request.services.userdata)


def _following_files(request: ApiRequest) -> PlaylistStore:
    """The store, once the playlists that follow M3U files, crates and the play history have
    caught up with them."""
    store = _store(request)
    request.services.playlist_files.poll(store)
    request.services.crate_playlists.poll(store)
    return store


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except NotFound as exc:
        raise ApiError(NOT_FOUND, str(exc)) from exc
    except NotAllowed as exc:
        raise ApiError(NOT_AUTHORIZED, str(exc)) from exc


def _playlist_node(playlist: Playlist, viewer: User, valid_until: float | None = None) -> Payload:
    return nodes.compact(
        {
            "id": ids.playlist_id(playlist.id),
            "name": playlist.name,
            "comment": playlist.comment or None,
            "owner": playlist.owner,
            "public": playlist.public,
            "songCount": playlist.song_count,
            "duration": round(playlist.duration),
            "created": iso_time(playlist.created),
            "changed": iso_time(playlist.changed),
            "coverArt": ids.song_id(playlist.cover_item_id) if playlist.cover_item_id else None,
            # OpenSubsonic: whether this user may change it, and, for a crate, until when its
            # songs stand (``crates: refresh_delay``); other playlists promise nothing.
            "readonly": not playlist.editable_by(viewer),
            "validUntil": iso_time(valid_until) if valid_until else None,
        }
    )


def _with_songs(request: ApiRequest, store: PlaylistStore, playlist_id: int) -> Payload:
    """A playlist (counted against the current catalog) and the songs of it still there."""
    with _refusals():
        playlist = store.get(playlist_id, request.user)
    library = request.services.library
    crates = request.services.crate_playlists
    # A crate reading user fields lists what matches for the listener asking.
    viewed = crates.view(playlist, request.user)
    entries = request.nodes.songs_by_id(
        store.songs(playlist_id) if viewed is None else viewed,
        lambda missing: library.songs(missing).values(),
    )
    node = _playlist_node(playlist, request.user, crates.valid_until(playlist))
    if viewed is not None:
        node["songCount"] = len(entries)
        node["duration"] = sum(entry.get("duration", 0) for entry in entries)
    return {"playlist": {**node, "entry": entries}}


def _song_ids(request: ApiRequest, name: str) -> list[int]:
    return [ids.parse_song(value) for value in request.get_list(name)]


def get_playlists(request: ApiRequest) -> Payload:
    user = request.user
    name = request.get("username") or user.name
    if name != user.name:
        if not user.admin:
            raise ApiError(NOT_AUTHORIZED, "Only admins can list another user's playlists")
        if request.services.users.get(name) is None:
            raise ApiError(NOT_FOUND, f"User not found: {name}")
    playlists = _following_files(request).playable_by(name)
    crates = request.services.crate_playlists
    return {
        "playlists": {
            "playlist": [_playlist_node(p, user, crates.valid_until(p)) for p in playlists]
        }
    }


def playlist_version(request: ApiRequest) -> Hashable:
    """What a ``getPlaylist`` answer shows besides the catalog and the user's annotations: the
    playlist's own state (for the render cache in ``subsonic.api``)."""
    store = _following_files(request)
    playlist_id = ids.parse_playlist(request.require("id"))
    # A crate may read user fields for the listener asking, and time (``inTheLast``).
    return (store.version(playlist_id), request.services.crate_playlists.state)


def get_playlist(request: ApiRequest) -> Payload:
    playlist_id = ids.parse_playlist(request.require("id"))
    return _with_songs(request, _following_files(request), playlist_id)


def _may_edit_playlists(request: ApiRequest) -> None:
    if not (request.user.admin or request.user.roles.playlist):
        raise ApiError(NOT_AUTHORIZED, "This user may not make or change playlists (playlistRole)")


def create_playlist(request: ApiRequest) -> Payload:
    """A new playlist (``name``), or new songs (and name) for ``playlistId``."""
    _may_edit_playlists(request)
    song_ids = _song_ids(request, "songId")
    store = _store(request)
    with _refusals():
        if request.get("playlistId"):
            playlist_id = ids.parse_playlist(request.require("playlistId"))
            store.replace_songs(playlist_id, request.user, song_ids, request.get("name"))
        else:
            playlist_id = store.create(request.user, request.require("name"), song_ids)
    return _with_songs(request, store, playlist_id)


def _indexes(request: ApiRequest) -> set[int]:
    values = request.get_list("songIndexToRemove")
    if not all(value.isdecimal() for value in values):
        raise ApiError(GENERIC, f"songIndexToRemove must be indexes (0, 1…), not {values!r}")
    return {int(value) for value in values}


def update_playlist(request: ApiRequest) -> Payload:
    _may_edit_playlists(request)
    playlist_id = ids.parse_playlist(request.require("playlistId"))
    changes = PlaylistChanges(
        name=request.get("name"),
        comment=request.get("comment"),
        public=request.get_bool("public") if request.get("public") is not None else None,
        add=_song_ids(request, "songIdToAdd"),
        remove=_indexes(request),
    )
    with _refusals():
        _store(request).update(playlist_id, request.user, changes)
    return {}


def delete_playlist(request: ApiRequest) -> Payload:
    _may_edit_playlists(request)
    playlist_id = ids.parse_playlist(request.require("id"))
    with _refusals():
        _store(request).delete(playlist_id, request.user)
    return {}
