"""System: ping, licence, and the OpenSubsonic extensions this server implements."""

from __future__ import annotations

from typing import TYPE_CHECKING

from subsonic.responses import Payload

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
]


def ping(request: ApiRequest) -> Payload:
    return {}


def get_license(request: ApiRequest) -> Payload:
    return {"license": {"valid": True}}


def get_open_subsonic_extensions(request: ApiRequest) -> Payload:
    return {"openSubsonicExtensions": EXTENSIONS}
