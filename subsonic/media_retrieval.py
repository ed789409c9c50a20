"""Media retrieval: stream and download the original files, and cover art.

Streaming needs the user's ``streamRole``, downloading their ``downloadRole``.

Files are sent with Flask's ``send_file``: HTTP Range (206), HEAD, conditional requests and
``sendfile`` where the server supports it. A song id is the only way to name a file, so nothing
outside the library can be served. A file that vanished or cannot be read since the catalog
listed it is a Subsonic error (``subsonic.library_files``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Response, send_file

from subsonic import nodes, transcoding
from subsonic.covers import CoverError
from subsonic.image_links import InvalidLink
from subsonic.responses import NOT_AUTHORIZED, NOT_FOUND, ApiError

if TYPE_CHECKING:
    from subsonic.api import ApiRequest
    from subsonic.app import Services
    from subsonic.library import Row


def _song_row(request: ApiRequest) -> Row:
    """The song the id names, whose file is a regular file (else error 70 or 0)."""
    song_id = request.require("id")
    row = request.song(song_id)
    request.services.files.check(song_id, row["path"])
    return row


def _send_original(request: ApiRequest, row: Row, as_attachment: bool) -> Response:
    # send_file opens the file at once: one that went since the check is still an ApiError.
    with request.services.files.opening(request.require("id"), row["path"]):
        response = send_file(
            row["path"],
            mimetype=nodes.content_type(row["suffix"]),
            as_attachment=as_attachment,
            conditional=True,
            etag=True,
            max_age=0,
        )
    response.headers["Accept-Ranges"] = "bytes"
    return response


def stream(request: ApiRequest) -> Response:
    if not request.user.roles.stream:
        raise ApiError(NOT_AUTHORIZED, f"User {request.user.name} may not stream (streamRole)")
    row = _song_row(request)
    transcoded = transcoding.stream(request, row)  # None: the client gets the original
    if transcoded is not None:
        return transcoded
    return _send_original(request, row, as_attachment=False)


def download(request: ApiRequest) -> Response:
    if not request.user.roles.download:
        raise ApiError(NOT_AUTHORIZED, f"User {request.user.name} may not download (downloadRole)")
    return _send_original(request, _song_row(request), as_attachment=True)


def linked_image(services: Services, token: str) -> Response:
    """The cover a signed image link names (``subsonic.image_links``): no credentials needed,
    nothing but that cover at that size served."""
    try:
        link = services.image_links.check(token)
        cover = services.covers.get(link.cover_id, link.size)
    except (InvalidLink, CoverError) as exc:
        raise ApiError(NOT_FOUND, str(exc)) from exc
    response = Response(cover.data, mimetype=cover.mimetype)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def get_cover_art(request: ApiRequest) -> Response:
    cover_id = request.require("id")
    size = request.get_int("size", None, minimum=1)
    try:
        cover = request.services.covers.get(cover_id, size)
    except CoverError as exc:
        raise ApiError(NOT_FOUND, f"Cover art not found for {cover_id}: {exc}") from exc
    response = Response(cover.data, mimetype=cover.mimetype)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
