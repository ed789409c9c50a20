"""``stream`` with transcoding: whether to send the original, the Opus mirror, or an encode.

``media_retrieval.stream`` asks ``stream`` here first; ``None`` means "send the original file".
Otherwise, in order of cost:

1. the mirror's Opus file, when the request wants Opus within its bitrate cap (from an offset,
   its packets are copied into a new stream from there: no encoding either);
2. a finished transcode from the cache;
3. a new (or an already running, shared) encoder, streamed as it encodes.

1 and 2 are plain files, served with an exact Content-Length and HTTP Range; one that cannot
be opened (evicted, its folder deleted) is passed over for the next way. 3 has no length
unless the client asks ``estimateContentLength=true``; it is then encoded at a constant bitrate
and padded or trimmed to the promised length. A failure before the first byte is a Subsonic
error worded by ``subsonic.library_files``; a failure later ends the response early (the
client sees a short body). HEAD never starts an encoder.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Response, send_file
from flask import request as http_request

from beetcrate import media
from beetcrate.settings import Settings
from beetcrate.transcode import (
    Job,
    TooBusy,
    TranscodeConfig,
    Transcoder,
    estimate_length,
    fit_to_length,
)
from beetsplug.opus.state import MirrorState, servable
from subsonic.names import SINGLES_ALBUM
from subsonic.responses import GENERIC, ApiError

if TYPE_CHECKING:
    from subsonic.api import ApiRequest
    from subsonic.library import Row

log = logging.getLogger(__name__)


@dataclass
class Transcoding:
    config: TranscodeConfig
    transcoder: Transcoder
    mirror: MirrorState


def create(settings: Settings) -> Transcoding:
    """The server's transcoder, configured by the ``opus: stream:`` section of the beets config."""
    config = settings.transcode
    return Transcoding(config, Transcoder(config, settings.cache_dir), MirrorState(settings.db))


def _send_file(path: Path, content_type: str) -> Response | None:
    """The file as the response, or None when it went between finding and opening it."""
    try:
        response = send_file(path, mimetype=content_type, conditional=True, etag=True, max_age=0)
    except OSError as exc:
        log.warning("cannot send %s, transcoding instead: %s", path, exc)
        return None
    response.headers["Accept-Ranges"] = "bytes"
    return response


def _tags(row: Row) -> tuple[tuple[str, str], ...]:
    """The song's tags as FFmpeg writes them into Ogg and MP3: a transcode that is saved (a
    client's offline copy) says what it is, as the mirror's files do."""
    values = {
        "title": row["title"],
        "artist": row["artist"],
        # A singleton's album is the catalog's "[Singles]", not a tag of the song.
        "album": row["album"] if row["album"] != SINGLES_ALBUM else None,
        "album_artist": row["albumartist"],
        "track": str(row["track"]) if row["track"] else None,
        "disc": str(row["disc"]) if row["disc"] else None,
        "date": str(row["year"]) if row["year"] else None,
        "genre": row["genre"],
        "musicbrainz_trackid": row["mb_trackid"],
    }
    return tuple((key, value) for key, value in values.items() if value)


def stream(request: ApiRequest, row: Row) -> Response | None:
    """The response for a ``stream`` request, or ``None`` for the original file."""
    services = request.services.transcoding
    files = request.services.files
    song_id = request.require("id")
    source = Path(row["path"])
    user = request.user.name
    user_max = request.user.max_bit_rate
    offset = request.get_int("timeOffset", 0, minimum=0) or 0
    max_bit_rate = request.get_int("maxBitRate", 0, minimum=0) or 0
    choice = services.config.choose(
        source.suffix.lstrip(".").lower(),
        round((row["bitrate"] or 0) / 1000),
        request.get("format"),
        max_bit_rate,
        user,
        user_max,
    )
    profile = choice.profile
    if profile is None:
        return None  # timeOffset only applies to transcodes, as in the Subsonic API
    estimate = request.get_bool("estimateContentLength")
    if profile.name == "opus" and not (offset and estimate):
        mirrored = servable(services.mirror, row["item_id"], source)
        cap = services.config.cap(max_bit_rate, user, user_max)
        if mirrored is not None and (not cap or mirrored.bitrate <= cap):
            if not offset:
                sent = _send_file(mirrored.path, profile.content_type)
                if sent is not None:
                    return sent
            else:
                # From an offset the mirror's packets are copied into a new stream: no encoding.
                remux = media.remux_stream(mirrored.path, float(offset))
                try:
                    first = next(remux, b"")
                except media.MediaError as exc:
                    raise files.transcode_failed(song_id, exc, source, mirrored.path) from exc
                copied = itertools.chain([first], remux)
                return Response(_guarded(copied, remux), mimetype=profile.content_type)
    tags = _tags(row)
    job = Job(row["item_id"], source, profile, choice.bit_rate, float(offset), tags=tags)
    cached = services.transcoder.cached(job)
    if cached is None and estimate:
        job = Job(row["item_id"], source, profile, choice.bit_rate, float(offset), True, tags)
        cached = services.transcoder.cached(job)
    if cached is not None:
        sent = _send_file(cached, profile.content_type)
        if sent is not None:
            return sent
    length = estimate_length(max((row["length"] or 0) - offset, 0), job.bit_rate, profile.suffix)
    if http_request.method == "HEAD":
        response = Response(mimetype=profile.content_type)
        if estimate:
            response.headers["Content-Length"] = str(length)
        return response
    try:
        chunks = services.transcoder.stream(job, user)
        first = next(chunks, b"")
    except TooBusy as exc:
        raise ApiError(GENERIC, str(exc)) from exc
    except (media.MediaError, OSError) as exc:
        # OSError: the cache could not be written (a full disk).
        raise files.transcode_failed(song_id, exc, source) from exc
    body: Iterator[bytes] = itertools.chain([first], chunks)
    if estimate:
        body = fit_to_length(body, length)
    response = Response(_guarded(body, chunks), mimetype=profile.content_type)
    response.headers["Accept-Ranges"] = "none"
    if estimate:
        response.headers["Content-Length"] = str(length)
    return response


def _guarded(body: Iterator[bytes], encoder: Generator[bytes, None, None]) -> Iterator[bytes]:
    """Ends the body early on a mid-stream failure (never pads over it), and always lets go of
    the encoder: when the client hangs up, the server closes this and the encoder stops."""
    try:
        yield from body
    except media.MediaError as exc:
        log.warning("transcode ended early: %s", exc)
    finally:
        encoder.close()
