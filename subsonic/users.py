"""User management: getUser, getUsers, createUser, updateUser, deleteUser, changePassword.

Admins manage every user; any user may read their own entry and, with ``settingsRole``,
change their own password. Roles are reported as they work here: a role for a feature this
server does not offer (``not_offered``) is kept as granted but reported ``false``, since nobody
can use it. An admin's own admin rights and account are changed with ``beetcrate user``, so the
API can never leave a server without an admin.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from subsonic import ids, nodes
from subsonic.auth import password_readings
from subsonic.responses import GENERIC, NOT_AUTHORIZED, NOT_FOUND, ApiError, Payload
from subsonic.store import ROLE_NAMES, Roles, User

if TYPE_CHECKING:
    from subsonic.api import ApiRequest

# Subsonic's role parameters and attributes, by ``Roles`` field.
ROLE_PARAMETERS = {
    "settings": "settingsRole",
    "stream": "streamRole",
    "download": "downloadRole",
    "playlist": "playlistRole",
    "comment": "commentRole",
    "cover_art": "coverArtRole",
    "upload": "uploadRole",
    "podcast": "podcastRole",
    "share": "shareRole",
    "jukebox": "jukeboxRole",
    "video_conversion": "videoConversionRole",
}
# Roles of what no client can do here: changing cover art and tags, uploads, podcasts, shares,
# the jukebox and video conversion.
ROLES_NOT_OFFERED = {"cover_art", "upload", "podcast", "share", "jukebox", "video_conversion"}


def user_node(user: User) -> Payload:
    roles = {
        ROLE_PARAMETERS[role]: getattr(user.roles, role) and role not in ROLES_NOT_OFFERED
        for role in ROLE_NAMES
    }
    return nodes.compact(
        {
            "username": user.name,
            "email": user.email,
            "scrobblingEnabled": user.scrobbling,
            "maxBitRate": user.max_bit_rate or None,
            "adminRole": user.admin,
            **roles,
            "folder": [ids.MUSIC_FOLDER_ID],
        }
    )


def _require_admin(request: ApiRequest, action: str) -> None:
    if not request.user.admin:
        raise ApiError(NOT_AUTHORIZED, f"Only admins can {action}")


def _existing(request: ApiRequest, name: str) -> User:
    user = request.services.users.get(name)
    if user is None:
        raise ApiError(NOT_FOUND, f"User not found: {name}")
    return user


def _password(request: ApiRequest) -> str:
    """The ``password`` parameter, plain or ``enc:`` hex-encoded."""
    try:
        return password_readings(request.require("password"))[0]
    except ValueError as exc:
        raise ApiError(GENERIC, "The password's enc: value is not hexadecimal") from exc


def _roles(request: ApiRequest, current: Roles) -> Roles:
    """``current`` with the roles the request sets."""
    changes = {
        role: request.get_bool(parameter)
        for role, parameter in ROLE_PARAMETERS.items()
        if request.get(parameter) is not None
    }
    return replace(current, **changes)


def get_user(request: ApiRequest) -> Payload:
    name = request.require("username")
    if name != request.user.name:
        _require_admin(request, "see other users")
    return {"user": user_node(_existing(request, name))}


def get_users(request: ApiRequest) -> Payload:
    _require_admin(request, "list users")
    return {"users": {"user": [user_node(user) for user in request.services.users.list()]}}


def create_user(request: ApiRequest) -> Payload:
    _require_admin(request, "create users")
    name = request.require("username")
    password = _password(request)
    if request.services.users.get(name) is not None:
        raise ApiError(GENERIC, f"User already exists: {name}")
    request.services.users.add(
        name,
        password,
        admin=request.get_bool("adminRole"),
        roles=_roles(request, Roles()),
        email=request.get("email") or None,
    )
    return {}


def update_user(request: ApiRequest) -> Payload:
    _require_admin(request, "change users")
    user = _existing(request, request.require("username"))
    admin = request.get_bool("adminRole", user.admin)
    if user.name == request.user.name and not admin:
        raise ApiError(NOT_AUTHORIZED, "Admins keep their own admin role (see beetcrate user)")
    email = request.get("email")
    changed = replace(
        user,
        admin=admin,
        roles=_roles(request, user.roles),
        email=user.email if email is None else email or None,
        max_bit_rate=request.get_int("maxBitRate", user.max_bit_rate, minimum=0, maximum=2**31 - 1),
        scrobbling=request.get_bool("scrobblingEnabled", user.scrobbling),
    )
    request.services.users.update(changed)
    if request.get("password"):
        request.services.users.set_password(user.name, _password(request))
    return {}


def delete_user(request: ApiRequest) -> Payload:
    _require_admin(request, "delete users")
    name = request.require("username")
    if name == request.user.name:
        raise ApiError(NOT_AUTHORIZED, "Admins cannot delete themselves (see beetcrate user)")
    _existing(request, name)
    request.services.users.remove(name, request.services.userdata)
    return {}


def change_password(request: ApiRequest) -> Payload:
    name = request.require("username")
    password = _password(request)
    me = request.user
    if name != me.name:
        _require_admin(request, "change other users' passwords")
    elif not (me.admin or me.roles.settings):
        raise ApiError(NOT_AUTHORIZED, "This user may not change their password (settingsRole)")
    _existing(request, name)
    request.services.users.set_password(name, password)
    return {}
