"""The one list of endpoints, and the dispatcher every request goes through.

Every method answers at ``/rest/<method>`` and ``/rest/<method>.view``, by GET or by form POST
(OpenSubsonic ``formPost``: the form is folded into the query parameters here, once). The
dispatcher checks the required parameters, authenticates (except the spec's public methods),
calls the handler with an ``ApiRequest`` and serializes what it returns in the format asked
for. A handler returns a payload dict or, for binary answers, a Flask ``Response``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, overload

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from werkzeug.exceptions import HTTPException

from subsonic import (
    album_lists,
    bookmarks,
    browsing,
    dj_analysis,
    ids,
    info,
    library_scanning,
    lyrics,
    media_annotation,
    media_retrieval,
    not_offered,
    playlists,
    radio,
    searching,
    sonic,
    system,
    users,
)
from subsonic.auth import authenticate
from subsonic.nodes import Nodes
from subsonic.responses import (
    GENERIC,
    MISSING_PARAMETER,
    NOT_FOUND,
    WRONG_CREDENTIALS,
    ApiError,
    Payload,
    envelope,
    error_node,
    render,
)
from subsonic.userdata import annotations as annotation_store

if TYPE_CHECKING:
    from subsonic.app import Services
    from subsonic.library import Row
    from subsonic.store import User

log = logging.getLogger(__name__)

Handler = Callable[["ApiRequest"], "Payload | Response"]

# Answer without credentials, as OpenSubsonic specifies.
PUBLIC: dict[str, Handler] = {
    "getOpenSubsonicExtensions": system.get_open_subsonic_extensions,
}

PROTECTED: dict[str, Handler] = {
    # System
    "ping": system.ping,
    "getLicense": system.get_license,
    "tokenInfo": system.token_info,
    # Browsing
    "getMusicFolders": browsing.get_music_folders,
    "getIndexes": browsing.get_indexes,
    "getMusicDirectory": browsing.get_music_directory,
    "getGenres": browsing.get_genres,
    "getArtists": browsing.get_artists,
    "getArtist": browsing.get_artist,
    "getAlbum": browsing.get_album,
    "getSong": browsing.get_song,
    # Browsing: info, top and similar songs, from the library itself
    "getArtistInfo": info.get_artist_info,
    "getArtistInfo2": info.get_artist_info2,
    "getAlbumInfo": info.get_album_info,
    "getAlbumInfo2": info.get_album_info2,
    "getTopSongs": info.get_top_songs,
    "getSimilarSongs": info.get_similar_songs,
    "getSimilarSongs2": info.get_similar_songs2,
    # OpenSubsonic sonicSimilarity, from the DJ analysis
    "getSonicSimilarTracks": sonic.get_sonic_similar_tracks,
    "findSonicPath": sonic.find_sonic_path,
    # Album and song lists
    "getAlbumList": album_lists.get_album_list,
    "getAlbumList2": album_lists.get_album_list2,
    "getRandomSongs": album_lists.get_random_songs,
    "getSongsByGenre": album_lists.get_songs_by_genre,
    "getNowPlaying": album_lists.get_now_playing,
    "getStarred": album_lists.get_starred,
    "getStarred2": album_lists.get_starred2,
    # Searching
    "search2": searching.search2,
    "search3": searching.search3,
    "search": searching.search,
    # Media retrieval
    "stream": media_retrieval.stream,
    "download": media_retrieval.download,
    "getCoverArt": media_retrieval.get_cover_art,
    # Lyrics (media retrieval in the spec; OpenSubsonic songLyrics)
    "getLyrics": lyrics.get_lyrics,
    "getLyricsBySongId": lyrics.get_lyrics_by_song_id,
    # Bookmarks and the play queue (OpenSubsonic indexBasedQueue)
    "createBookmark": bookmarks.create_bookmark,
    "deleteBookmark": bookmarks.delete_bookmark,
    "getBookmarks": bookmarks.get_bookmarks,
    "savePlayQueue": bookmarks.save_play_queue,
    "getPlayQueue": bookmarks.get_play_queue,
    "savePlayQueueByIndex": bookmarks.save_play_queue_by_index,
    "getPlayQueueByIndex": bookmarks.get_play_queue_by_index,
    # Media annotation
    "star": media_annotation.star,
    "unstar": media_annotation.unstar,
    "setRating": media_annotation.set_rating,
    "scrobble": media_annotation.scrobble,
    "reportPlayback": media_annotation.report_playback,
    # User management
    "getUser": users.get_user,
    "getUsers": users.get_users,
    "createUser": users.create_user,
    "updateUser": users.update_user,
    "deleteUser": users.delete_user,
    "changePassword": users.change_password,
    # Library scanning
    "getScanStatus": library_scanning.get_scan_status,
    "startScan": library_scanning.start_scan,
    # Playlists
    "getPlaylists": playlists.get_playlists,
    "getPlaylist": playlists.get_playlist,
    "createPlaylist": playlists.create_playlist,
    "updatePlaylist": playlists.update_playlist,
    "deletePlaylist": playlists.delete_playlist,
    # Internet radio
    "getInternetRadioStations": radio.get_internet_radio_stations,
    "createInternetRadioStation": radio.create_internet_radio_station,
    "updateInternetRadioStation": radio.update_internet_radio_station,
    "deleteInternetRadioStation": radio.delete_internet_radio_station,
    # Features not offered: empty lists, error 50 for the rest
    **not_offered.HANDLERS,
}

# beetcrate's own answers beside the API, at /beetcrate/<name>, as plain JSON or bytes
# (OpenSubsonic's schemas leave no room for them on songs). Same credentials, same errors.
BEETCRATE: dict[str, Handler] = {
    "dj/analysis": dj_analysis.analysis,
    "dj/waveform": dj_analysis.waveform,
}


def _nothing_else(request: ApiRequest) -> Hashable:
    return ()


# Answers rendered once and reused while what they show stands (``_cached_answer``): keyed by
# the catalog's version, a version of everyone's stars and ratings, one of the asking user's
# annotations, and what the function here returns for anything else the answer shows. The
# artist index, a user's starred lists and long playlists are the costliest answers at 100k
# tracks; clients ask for them at every start, while what they show changes seldom.
RENDER_CACHED: dict[str, Callable[[ApiRequest], Hashable]] = {
    "getArtists": _nothing_else,
    "getIndexes": _nothing_else,
    "getGenres": _nothing_else,
    "getMusicFolders": _nothing_else,
    "getStarred": _nothing_else,
    "getStarred2": _nothing_else,
    "getPlaylist": playlists.playlist_version,
}
CREDENTIALS = {"u", "p", "t", "s", "apiKey", "c", "v"}
INT64_MAX = 2**63 - 1

blueprint = Blueprint("subsonic", __name__)

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Range, Authorization",
    "Access-Control-Expose-Headers": "Content-Length, Content-Range, Accept-Ranges",
    "Access-Control-Max-Age": "86400",
}


@dataclass
class ApiRequest:
    """A request's parameters with typed accessors that fail with the spec's error codes."""

    params: MultiDict
    services: Services
    # Set by the dispatcher for every method but the public ones.
    authenticated: User | None = None

    @property
    def user(self) -> User:
        """The user the credentials named; every protected method has one."""
        if self.authenticated is None:
            raise ApiError(WRONG_CREDENTIALS, "This method needs credentials")
        return self.authenticated

    @cached_property
    def nodes(self) -> Nodes:
        return Nodes(
            transcoded=self.services.transcoding.config.default_profile,
            conn=self.services.library.conn,
            user=self.user.name,
            cache=self.services.song_nodes,
            catalog_version=self.services.library.meta("beets_signature") or "",
        )

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def require(self, name: str) -> str:
        value = self.params.get(name)
        if value is None or value == "":
            raise ApiError(MISSING_PARAMETER, f"Required parameter is missing: {name}")
        return value

    def song(self, song_id: str) -> Row:
        """The catalog row of the song ``song_id`` names, or error 70."""
        row = self.services.library.song(ids.parse_song(song_id))
        if row is None:
            raise ApiError(NOT_FOUND, f"Song not found: {song_id}")
        return row

    def get_list(self, name: str) -> list[str]:
        return self.params.getlist(name)

    @overload
    def get_int(
        self, name: str, default: int, minimum: int | None = None, maximum: int | None = None
    ) -> int: ...

    @overload
    def get_int(
        self,
        name: str,
        default: None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None: ...

    def get_int(
        self,
        name: str,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        raw = self.params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise ApiError(GENERIC, f"Parameter {name} must be an integer, not {raw!r}") from exc
        if not -INT64_MAX <= value <= INT64_MAX:
            # SQLite's integers are 64 bits: a larger one would fail in a query.
            raise ApiError(GENERIC, f"Parameter {name} is out of range: {raw}")
        if minimum is not None and value < minimum:
            raise ApiError(GENERIC, f"Parameter {name} must be at least {minimum}")
        if maximum is not None and value > maximum:
            value = maximum
        return value

    def get_bool(self, name: str, default: bool = False) -> bool:
        raw = self.params.get(name)
        return default if raw is None else raw.lower() in {"true", "1", "yes"}


def _answer(result: Any, fmt: str, callback: str | None) -> Response:
    if isinstance(result, Response):
        return result
    return render(envelope(result), fmt, callback)


def _cached_answer(name: str, request: ApiRequest, fmt: str, callback: str | None) -> Response:
    services = request.services
    query = tuple(
        sorted((k, v) for k, v in request.params.items(multi=True) if k not in CREDENTIALS)
    )
    library = services.library
    user = request.user.name
    versions = annotation_store.versions(library.conn, user)
    # The whole user, roles included: an admin demoted since must not be served what only an
    # admin could see.
    key = (
        library.meta("beets_signature"),
        versions,
        RENDER_CACHED[name](request),
        request.user,
        name,
        query,
    )
    response = services.rendered.get(key)
    if response is None:
        response = _answer(PROTECTED[name](request), fmt, callback)
        services.rendered.put(key, response)
    return response


def _request(params: MultiDict, public: bool) -> ApiRequest:
    """The request's parameters and, unless the method is public, its authenticated user."""
    services: Services = current_app.extensions["beetcrate"]
    services.watcher.poll()
    api_request = ApiRequest(params=params, services=services)
    if not public:
        api_request.authenticated = authenticate(params, services.users)
    return api_request


@blueprint.route("/rest/<string:method>", methods=["GET", "POST", "HEAD"])
def dispatch(method: str) -> Response:
    name = method.removesuffix(".view")
    params = CombinedMultiDict([request.args, request.form])
    fmt = params.get("f", "xml")
    callback = params.get("callback")
    handler = PUBLIC.get(name) or PROTECTED.get(name)
    if handler is None:
        error = ApiError(GENERIC, f"Unknown API method: {name}")
        response = render(error_node(error), fmt, callback)
        response.status_code = 404
        return response
    try:
        if name not in PUBLIC:
            for required in ("v", "c"):
                if not params.get(required):
                    raise ApiError(MISSING_PARAMETER, f"Required parameter is missing: {required}")
        api_request = _request(params, public=name in PUBLIC)
        if name in RENDER_CACHED:
            return _cached_answer(name, api_request, fmt, callback)
        return _answer(handler(api_request), fmt, callback)
    except ApiError as error:
        return render(error_node(error), fmt, callback)


@blueprint.route("/beetcrate/image/<token>", methods=["GET", "HEAD"])
def dispatch_image_link(token: str) -> Response:
    """A signed image link (getArtistInfo2's image URLs): public, as a plain URL must be."""
    try:
        return media_retrieval.linked_image(current_app.extensions["beetcrate"], token)
    except ApiError as error:
        return error.as_http()


@blueprint.route("/beetcrate/<path:name>", methods=["GET", "POST", "HEAD"])
def dispatch_beetcrate(name: str) -> Response:
    handler = BEETCRATE.get(name)
    try:
        if handler is None:
            raise ApiError(NOT_FOUND, f"Unknown beetcrate method: {name}")
        result = handler(_request(CombinedMultiDict([request.args, request.form]), public=False))
    except ApiError as error:
        return error.as_http()
    if not isinstance(result, Response):
        raise TypeError(f"{name} must answer with a Response")
    return result


@blueprint.after_app_request
def add_cors_headers(response: Response) -> Response:
    response.headers.update(CORS_HEADERS)
    return response


@blueprint.app_errorhandler(Exception)
def unexpected_error(exc: Exception) -> Response:
    """Any bug becomes a Subsonic error for the client and a traceback in the server's log."""
    if isinstance(exc, HTTPException):
        return exc.get_response()  # type: ignore[return-value]
    log.exception("unexpected error serving %s", request.path)
    error = ApiError(GENERIC, "Internal server error; see the server log")
    if request.path.startswith("/beetcrate/"):
        response = error.as_http()
        response.status_code = 500
        return response
    return render(error_node(error), request.values.get("f", "xml"), request.values.get("callback"))
