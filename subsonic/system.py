"""System: ping, licence, the OpenSubsonic extensions this server implements, tokenInfo."""

from __future__ import annotations

from typing import TYPE_CHECKING

from subsonic.responses import AUTH_MECHANISM_NOT_SUPPORTED, ApiError, Payload

if TYPE_CHECKING:
    from subsonic.api import ApiRequest

# Extensions are advertised only once implemented end to end.
EXTENSIONS: list[Payload] = [
    {"name": "formPost", "versions": [1]},
    {"name": "apiKeyAuthentication", "versions": [1]},
    {"name": "transcodeOffset", "versions": [1]},
    {"name": "songLyrics", "versions": [1]},
    {"name": "indexBasedQueue", "versions": [1]},
    {"name": "playbackReport", "versions": [1]},
    {"name": "topSongsByArtistId", "versions": [1]},
    {"name": "sonicSimilarity", "versions": [1]},
]


def ping(request: ApiRequest) -> Payload:
    return {}


def get_license(request: ApiRequest) -> Payload:
    return {"license": {"valid": True}}


def get_open_subsonic_extensions(request: ApiRequest) -> Payload:
    return {"openSubsonicExtensions": EXTENSIONS}


def token_info(request: ApiRequest) -> Payload:
    """Whose API key the request was made with (apiKeyAuthentication)."""
    if request.get("apiKey") is None:
        raise ApiError(AUTH_MECHANISM_NOT_SUPPORTED, "tokenInfo describes API keys: use apiKey")
    return {"tokenInfo": {"username": request.user.name}}
