"""Library scanning: the "scan" picks up what ``beet`` commands changed in beets' database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from subsonic.responses import NOT_AUTHORIZED, ApiError, Payload

if TYPE_CHECKING:
    from subsonic.api import ApiRequest


def _status(request: ApiRequest, scanning: bool) -> Payload:
    count = int(request.services.library.meta("song_count") or 0)
    return {"scanStatus": {"scanning": scanning, "count": count}}


def get_scan_status(request: ApiRequest) -> Payload:
    return _status(request, request.services.watcher.scanning)


def start_scan(request: ApiRequest) -> Payload:
    if not request.user.admin:
        raise ApiError(NOT_AUTHORIZED, "Only admins can start a scan")
    request.services.watcher.start(force=True)
    return _status(request, True)
