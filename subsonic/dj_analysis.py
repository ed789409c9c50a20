"""DJ analysis beside the Subsonic API: ``/beetcrate/dj/analysis`` and ``/beetcrate/dj/waveform``.

The OpenSubsonic schemas allow no extra fields on songs, so what ``beet dj analyze`` found
(beat grid, key in Camelot and Open Key, loudness, cues, waveforms) is served here. The routes
go through the same dispatcher as ``/rest`` (``subsonic.api``): the same credentials (``u``
with ``t``+``s`` or ``p``, or ``apiKey``) and the same ``ApiError`` codes; answers are plain
JSON, and errors JSON ``{"error": …}`` with the HTTP status of their code. See docs/dj.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlite_utils
from flask import Response, jsonify

from beetsplug.dj.store import load_features, load_waveform
from subsonic import ids
from subsonic.responses import GENERIC, NOT_FOUND, ApiError

if TYPE_CHECKING:
    from subsonic.api import ApiRequest

ZOOMS = {"0": 0, "1": 1, "2": 2}


def _analysed(request: ApiRequest) -> tuple[sqlite_utils.Database, str]:
    """The sidecar and the audio hash the song named by ``id`` was analysed under."""
    song_id = request.require("id")
    row = request.services.library.song(ids.parse_song(song_id))
    if row is None or not row["dj_audio_hash"]:
        raise ApiError(NOT_FOUND, f"no analysis for {song_id}: run beet dj analyze")
    return sqlite_utils.Database(request.services.library.conn), row["dj_audio_hash"]


def analysis(request: ApiRequest) -> Response:
    features = load_features(*_analysed(request))
    if features is None:
        raise ApiError(NOT_FOUND, "the analysis of this song is not stored any more")
    return jsonify(features)


def waveform(request: ApiRequest) -> Response:
    zoom = ZOOMS.get(request.get("zoom") or "0")
    if zoom is None:
        raise ApiError(GENERIC, "zoom must be 0, 1 or 2")
    db, audio_hash = _analysed(request)
    data = load_waveform(db, audio_hash, zoom)
    if data is None:
        raise ApiError(NOT_FOUND, "no waveform stored for this song")
    return Response(data, mimetype="application/octet-stream")
