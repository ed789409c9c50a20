"""Media annotation: star, unstar, setRating, scrobble, and OpenSubsonic's reportPlayback.

Every id a request names is checked against the catalog before anything is written, so an
unknown id fails the whole request (error 70) and writes nothing; the writes of one request
are one transaction (``Writer.transaction()``). Streaming never counts a play: only
``scrobble`` (``submission=true``) and a ``stopped`` playback report do.

Plays and starts of a user who scrobbles are queued, in the same transaction, for each service
they linked (``beetcrate.scrobbling``): the worker sends them; no request waits for a service.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from beetcrate.scrobbling import store as scrobbling
from beetcrate.scrobbling.model import Kind, Track
from subsonic import ids
from subsonic.names import SINGLES_ALBUM, UNKNOWN_ALBUM, UNKNOWN_ARTIST
from subsonic.responses import (
    GENERIC,
    MISSING_PARAMETER,
    NOT_AUTHORIZED,
    NOT_FOUND,
    ApiError,
    Payload,
)
from subsonic.userdata import annotations as annotation_store
from subsonic.userdata import now_playing
from subsonic.userdata.annotations import Play, Target

if TYPE_CHECKING:
    from subsonic.api import ApiRequest
    from subsonic.library import Row

# Which kinds of id each parameter of star/unstar takes: ``id`` is a song, or a folder (an
# album or an artist) for clients that browse by folders.
STAR_PARAMETERS = {"id": ("tr", "al", "ar"), "albumId": ("al",), "artistId": ("ar",)}


def _target(request: ApiRequest, value: str, kinds: tuple[str, ...]) -> Target:
    """The song, album or artist ``value`` names, if the catalog has it; error 70 otherwise."""
    kind, _ = ids.parse(value, *kinds)
    library = request.services.library
    if kind == "tr":
        request.song(value)
    elif (library.album(value) if kind == "al" else library.artist(value)) is None:
        raise ApiError(NOT_FOUND, f"No such {annotation_store.KINDS[kind]}: {value}")
    return Target(value)


def _star_targets(request: ApiRequest) -> list[Target]:
    targets = [
        _target(request, value, kinds)
        for name, kinds in STAR_PARAMETERS.items()
        for value in request.get_list(name)
    ]
    if not targets:
        raise ApiError(MISSING_PARAMETER, "Required parameter is missing: id, albumId or artistId")
    return list(dict.fromkeys(targets))


def star(request: ApiRequest) -> Payload:
    targets = _star_targets(request)
    with request.services.userdata.transaction() as tx:
        annotation_store.star(tx, request.user.name, targets, time.time())
    return {}


def unstar(request: ApiRequest) -> Payload:
    targets = _star_targets(request)
    with request.services.userdata.transaction() as tx:
        annotation_store.unstar(tx, request.user.name, targets)
    return {}


def set_rating(request: ApiRequest) -> Payload:
    # Subsonic's commentRole: "allowed to create and edit comments and ratings".
    if not (request.user.admin or request.user.roles.comment):
        raise ApiError(NOT_AUTHORIZED, "This user may not rate (commentRole)")
    target = _target(request, request.require("id"), ("tr", "al", "ar"))
    request.require("rating")
    rating = request.get_int("rating", 0)
    if not 0 <= rating <= 5:
        raise ApiError(GENERIC, f"Rating must be from 0 (no rating) to 5, not {rating}")
    with request.services.userdata.transaction() as tx:
        annotation_store.rate(tx, request.user.name, target, rating or None)
    return {}


def _play(request: ApiRequest, row: Row, played_at: float) -> Play:
    return Play(
        item_id=row["item_id"],
        album_id=row["album_id"],
        artist_ids=(row["artist_id"], row["albumartist_id"]),
        played_at=played_at,
        client=request.require("c"),
    )


def _track(request: ApiRequest, row: Row) -> Track | None:
    """What the services are told about the song of catalog ``row``; None for a song of no
    known artist, which no service can file. The catalog's stand-ins ("[Singles]",
    "[Unknown Album]") are the server's display names, not the song's: they are left out."""
    if not row["artist"] or row["artist"] == UNKNOWN_ARTIST:
        return None
    library = request.services.library
    album = library.album(row["album_id"])
    artist = library.artist(row["artist_id"])
    shown_only = (SINGLES_ALBUM, UNKNOWN_ALBUM)
    return Track(
        artist=row["artist"],
        title=row["title"] or "",
        album="" if row["album"] in shown_only else row["album"] or "",
        album_artist="" if row["albumartist"] == UNKNOWN_ARTIST else row["albumartist"] or "",
        track_number=row["track"] or 0,
        duration=round(row["length"] or 0),
        recording_mbid=row["mb_trackid"] or "",
        release_mbid=(album["mb_albumid"] if album else None) or "",
        artist_mbid=(artist["mbid"] if artist else None) or "",
    )


def _forward(
    request: ApiRequest, tx: sqlite3.Connection, kind: Kind, plays: Sequence[tuple[Row, float]]
) -> None:
    """Queue ``plays`` (song, epoch seconds) for the services the user linked, if they want
    their plays forwarded."""
    user = request.user
    services = scrobbling.linked_services(tx, user.name) if user.scrobbling else []
    if services:
        tracks = [
            (track, when) for row, when in plays if (track := _track(request, row)) is not None
        ]
        if tracks:
            scrobbling.queue(tx, user.name, services, kind, tracks, request.require("c"))


# How far ahead of the server's clock a client's ``time`` may be.
MAX_CLOCK_SKEW = 24 * 3600.0


def scrobble(request: ApiRequest) -> Payload:
    """``submission=false``: the song is now playing; ``true`` (the default): songs were played,
    at ``time`` (milliseconds since the epoch, one per ``id``) or now."""
    song_ids = request.get_list("id")
    if not song_ids:
        raise ApiError(MISSING_PARAMETER, "Required parameter is missing: id")
    rows = [request.song(value) for value in song_ids]
    now = time.time()
    user, client = request.user.name, request.require("c")
    if not request.get_bool("submission", default=True):
        with request.services.userdata.transaction() as tx:
            now_playing.start(tx, user, client, rows[0]["item_id"], now, rows[0]["length"] or 0)
            _forward(request, tx, Kind.PLAYING, [(rows[0], now)])
        return {}
    times = request.get_list("time")
    if times and len(times) != len(rows):
        raise ApiError(GENERIC, f"{len(times)} times for {len(rows)} ids: give one per id")
    try:
        moments = [int(value) / 1000 for value in times] or [now] * len(rows)
    except ValueError as exc:
        raise ApiError(GENERIC, f"time must be milliseconds since the epoch: {exc}") from exc
    # A client's clock may run a little ahead; a time days ahead was sent in another unit
    # (microseconds, or seconds read as milliseconds the other way round for the past).
    wrong = [m for m in moments if not 0 <= m <= now + MAX_CLOCK_SKEW]
    if wrong:
        raise ApiError(
            GENERIC,
            f"time {round(wrong[0] * 1000)} is not a moment up to now in milliseconds since"
            " the epoch",
        )
    plays = [_play(request, row, moment) for row, moment in zip(rows, moments, strict=True)]
    with request.services.userdata.transaction() as tx:
        annotation_store.record_plays(tx, user, plays)
        _forward(request, tx, Kind.LISTEN, list(zip(rows, moments, strict=True)))
    return {}


def report_playback(request: ApiRequest) -> Payload:
    """OpenSubsonic ``playbackReport``: a player's timeline; ``stopped`` after enough of the
    song was heard counts a play, unless ``ignoreScrobble``."""
    media_id = request.require("mediaId")
    media_type = request.require("mediaType")
    if media_type != "song":
        raise ApiError(GENERIC, f"Only songs can be reported: this server has no {media_type}s")
    request.require("positionMs")
    position_ms = request.get_int("positionMs", 0, minimum=0)
    state = request.require("state")
    if state not in now_playing.STATES:
        raise ApiError(GENERIC, f"Unknown playback state {state!r}: one of {now_playing.STATES}")
    try:
        rate = float(request.get("playbackRate") or 1.0)
    except ValueError as exc:
        raise ApiError(GENERIC, f"playbackRate must be a number: {exc}") from exc
    if not 0 < rate <= 16:
        raise ApiError(GENERIC, f"playbackRate must be above 0 and at most 16, not {rate}")
    row = request.song(media_id)
    length = row["length"] or 0.0
    user, client, now = request.user.name, request.require("c"), time.time()
    with request.services.userdata.transaction() as tx:
        ended = now_playing.report(
            tx, user, client, row["item_id"], state, position_ms, rate, now, length
        )
        counts = not request.get_bool("ignoreScrobble")
        if state == "starting" and counts:
            _forward(request, tx, Kind.PLAYING, [(row, now)])
        if ended is not None and counts and ended.heard_enough(position_ms, length):
            annotation_store.record_plays(tx, user, [_play(request, row, ended.started)])
            _forward(request, tx, Kind.LISTEN, [(row, ended.started)])
    return {}
