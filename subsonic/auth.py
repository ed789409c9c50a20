"""Subsonic authentication: password (plain or ``enc:``), token + salt, or OpenSubsonic apiKey."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from subsonic.responses import (
    CONFLICTING_AUTH,
    INVALID_API_KEY,
    MISSING_PARAMETER,
    WRONG_CREDENTIALS,
    ApiError,
)
from subsonic.store import User, Users


def password_readings(raw: str) -> list[str]:
    """The passwords a password parameter may stand for, the likeliest first (plain, or
    ``enc:`` and hex; ``ValueError`` if that is not hex).

    The API defines hex-encoded UTF-8; py-sonic and py-opensonic hex-encode code points
    instead, which is Latin-1 for the characters they can send. Both readings are tried.
    """
    if not raw.startswith("enc:"):
        return [raw]
    data = bytes.fromhex(raw[4:])
    readings = [data.decode("latin-1")]
    with contextlib.suppress(UnicodeDecodeError):
        readings.insert(0, data.decode("utf-8"))
    return readings


def authenticate(params: Mapping[str, str], users: Users) -> User:
    """The user the request's credentials name, or an ApiError with the spec's code."""
    api_key = params.get("apiKey")
    username = params.get("u")
    if api_key is not None:
        if any(params.get(name) is not None for name in ("u", "p", "t", "s")):
            raise ApiError(CONFLICTING_AUTH, "Multiple conflicting authentication mechanisms")
        user = users.check_api_key(api_key)
        if user is None:
            raise ApiError(INVALID_API_KEY, "Invalid API key")
        return user
    if not username:
        raise ApiError(MISSING_PARAMETER, "Required parameter is missing: u")
    if params.get("t") is not None or params.get("s") is not None:
        token, salt = params.get("t"), params.get("s")
        if not token or not salt:
            missing = "t" if not token else "s"
            raise ApiError(MISSING_PARAMETER, f"Required parameter is missing: {missing}")
        user = users.check_token(username, token, salt)
    elif params.get("p") is not None:
        try:
            candidates = password_readings(params["p"])
        except ValueError as exc:
            raise ApiError(WRONG_CREDENTIALS, "Wrong username or password") from exc
        user = next(
            (u for u in (users.check_password(username, pw) for pw in candidates) if u), None
        )
    else:
        raise ApiError(MISSING_PARAMETER, "Required parameter is missing: p, or t and s")
    if user is None:
        raise ApiError(WRONG_CREDENTIALS, "Wrong username or password")
    return user
