"""DJ analysis over HTTP, beside the Subsonic API: ``/beetcrate/dj/analysis`` and ``/waveform``.

The OpenSubsonic schemas allow no extra fields on songs, so what ``beet dj analyze`` found
(beat grid, key in Camelot and Open Key, loudness, cues, waveforms) is served here, to the
same users with the same credentials as ``/rest`` (``u`` with ``t``+``s`` or ``p``, or
``apiKey``). Answers are plain JSON with HTTP status codes; see docs/dj.md.
"""

from __future__ import annotations

import sqlite_utils
from flask import Blueprint, Response, current_app, jsonify, request

from beetsplug.dj.store import load_features, load_waveform
from subsonic import ids
from subsonic.auth import authenticate
from subsonic.responses import MISSING_PARAMETER, ApiError

blueprint = Blueprint("dj_analysis", __name__, url_prefix="/beetcrate/dj")

ZOOMS = {"0": 0, "1": 1, "2": 2}


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _audio_hash() -> str:
    """The analysed audio of the song named by ``id``, after checking the credentials."""
    services = current_app.extensions["beetcrate"]
    authenticate(request.values, services.users)
    song_id = request.values.get("id")
    if not song_id:
        raise ApiError(MISSING_PARAMETER, "Required parameter is missing: id")
    row = services.library.song(ids.parse_song(song_id))
    if row is None or not row["dj_audio_hash"]:
        raise LookupError(f"no analysis for {song_id}: run beet dj analyze")
    return row["dj_audio_hash"]


def _answer(build) -> Response:
    try:
        return build(_audio_hash())
    except ApiError as error:
        status = 400 if error.code == MISSING_PARAMETER else 404 if error.code == 70 else 401
        return _error(status, error.message)
    except LookupError as error:
        return _error(404, str(error))


def _store() -> sqlite_utils.Database:
    return sqlite_utils.Database(current_app.extensions["beetcrate"].library.conn)


@blueprint.get("/analysis")
def analysis() -> Response:
    def build(audio_hash: str) -> Response:
        features = load_features(_store(), audio_hash)
        if features is None:
            raise LookupError("the analysis of this song is not stored any more")
        return jsonify(features)

    return _answer(build)


@blueprint.get("/waveform")
def waveform() -> Response:
    zoom = ZOOMS.get(request.values.get("zoom", "0"))
    if zoom is None:
        return _error(400, "zoom must be 0, 1 or 2")

    def build(audio_hash: str) -> Response:
        data = load_waveform(_store(), audio_hash, zoom)
        if data is None:
            raise LookupError("no waveform stored for this song")
        return Response(data, mimetype="application/octet-stream")

    return _answer(build)
