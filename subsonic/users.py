"""User management: getUser and getUsers (users are created with ``beetcrate user``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from subsonic import ids, nodes
from subsonic.responses import NOT_AUTHORIZED, NOT_FOUND, ApiError, Payload

if TYPE_CHECKING:
    from subsonic.api import ApiRequest
    from subsonic.store import User


def _user_node(user: User) -> Payload:
    return nodes.compact(
        {
            "username": user.name,
            "scrobblingEnabled": True,
            "maxBitRate": user.max_bit_rate or None,
            "adminRole": user.admin,
            "settingsRole": True,
            "downloadRole": True,
            "uploadRole": False,
            "playlistRole": True,
            "coverArtRole": user.admin,
            "commentRole": False,
            "podcastRole": False,
            "streamRole": True,
            "jukeboxRole": False,
            "shareRole": False,
            "videoConversionRole": False,
            "folder": [ids.MUSIC_FOLDER_ID],
        }
    )


def get_user(request: ApiRequest) -> Payload:
    name = request.require("username")
    if name != request.user.name and not request.user.admin:
        raise ApiError(NOT_AUTHORIZED, "Only admins can see other users")
    user = request.services.users.get(name)
    if user is None:
        raise ApiError(NOT_FOUND, f"User not found: {name}")
    return {"user": _user_node(user)}


def get_users(request: ApiRequest) -> Payload:
    if not request.user.admin:
        raise ApiError(NOT_AUTHORIZED, "Only admins can list users")
    return {"users": {"user": [_user_node(user) for user in request.services.users.list()]}}
