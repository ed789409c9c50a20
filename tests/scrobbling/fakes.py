"""Local servers that speak the services' real protocols over TLS, for the product's real
clients (pylast, ``beetcrate.scrobbling.listenbrainz``) to talk to.

- ``FakeLastfm``: Last.fm's 2.0 API at ``/2.0/``: form-encoded calls, signed calls checked as
  Last.fm checks ``api_sig`` (md5 of the sorted name+value pairs without ``format``, ``callback``
  and ``api_sig``, then the secret), XML answers ``<lfm status="ok">`` or ``<lfm
  status="failed"><error code="N">``; the web authorization page at ``/api/auth/``. Methods are
  a table, ``methods``: a read method is one more entry (see ``method``). The top tags of
  tracks, albums and artists (``track|album|artist.getTopTags``) answer what ``tag`` told it,
  names matched without regard to case as Last.fm matches them, error 6 for anything else.
  ``artist.getInfo`` and ``artist.getSimilar`` answer, by name or by MusicBrainz id (``mbid``
  wins, as on Last.fm), what ``know_artist`` told it, in Last.fm's XML; error 6 otherwise.
- ``FakeListenBrainz``: ListenBrainz's ``/1/submit-listens`` and ``/1/validate-token``, the token
  in ``Authorization: Token …``, every payload validated against the documented listen format,
  rate-limit headers and 429 past the limit.

Each can go down (its port closed: connections refused) and come back on the same port, answer
with an HTTP status or a service error for a while, or be slow.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit
from xml.sax.saxutils import escape, quoteattr

from tests.scrobbling.tls import Certificates


class FakeService:
    """A threaded HTTPS server on 127.0.0.1 that can go down and come back on its port (plain
    HTTP without ``certificates``, for services people mirror over HTTP: MusicBrainz, AcoustID)."""

    def __init__(self, certificates: Certificates | None) -> None:
        self.certificates = certificates
        self.lock = threading.Lock()
        self.port = 0
        self.delay = 0.0  # seconds before each answer
        self.requests = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.up()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def up(self) -> None:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self.command, self.path, dict(self.headers.items()), body)
                if service.delay:
                    time.sleep(service.delay)
                with service.lock:
                    service.requests += 1
                    reply = service.handle(request)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = _serve

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        if self.certificates is not None:
            server.socket = self.certificates.server_context().wrap_socket(
                server.socket, server_side=True
            )
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Close the port: clients get their connections refused until ``up``."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join()
            self._server = None

    def close(self) -> None:
        self.down()


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def route(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.path).query))

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "text/xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


# Last.fm


class LastfmError(Exception):
    """A Last.fm error answer: ``<error code="N">message</error>``."""

    def __init__(self, code: int, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.http_status = code, message, http_status


@dataclass(frozen=True)
class Call:
    """A Last.fm API call as the fake received it; ``account``: whose session key signed it."""

    method: str
    params: dict[str, str]
    account: str | None


Method = Callable[[Call], str]  # a call -> the XML inside <lfm status="ok">


@dataclass(frozen=True)
class FakeArtist:
    """An artist as Last.fm knows it."""

    name: str
    mbid: str = ""
    biography: str = ""
    similar: tuple[str, ...] = ()  # names, the most similar first

    @property
    def url(self) -> str:
        return f"https://www.last.fm/music/{quote_plus(self.name)}"


# Methods that need a signature (auth.*) or a session key too (the user's writes and reads).
SIGNED = {"auth.getToken", "auth.getSession"}
AUTHENTICATED = {"track.scrobble", "track.updateNowPlaying", "user.getInfo"}


def signature(params: dict[str, str], secret: str) -> str:
    """Last.fm's api_sig: md5 of the sorted name+value pairs but format, callback and api_sig,
    then the secret."""
    text = "".join(
        name + params[name]
        for name in sorted(params)
        if name not in ("format", "callback", "api_sig")
    )
    return hashlib.md5((text + secret).encode()).hexdigest()


class FakeLastfm(FakeService):
    """Last.fm's 2.0 API for one application (``api_key``, ``api_secret``)."""

    def __init__(
        self, certificates: Certificates, api_key: str = "k" * 32, api_secret: str = "s" * 32
    ) -> None:
        self.api_key, self.api_secret = api_key, api_secret
        self.sessions: dict[str, str] = {}  # session key -> account
        self.tokens: dict[str, str | None] = {}  # token -> the account that approved it
        self.web_user = "rj"  # who approves tokens on the authorization page
        self.scrobbles: list[dict[str, str]] = []  # one per track, in the order received
        self.now_playing: list[dict[str, str]] = []
        self.calls: list[Call] = []
        self.failing: LastfmError | None = None  # every call answers this while set
        self.http_status = 0  # every call answers this HTTP status while set
        self.error_page = b"<html>the service is unavailable</html>"  # … with this page
        self.shortest_interval = 0.0  # calls closer than this answer error 29 (rate limit)
        self._last_call = 0.0
        self.tags: dict[tuple[str, str, str], list[tuple[str, int]]] = {}  # see ``tag``
        self.artists: dict[str, FakeArtist] = {}  # by name in lower case, see ``know_artist``
        self.methods: dict[str, Method] = {
            "track.getTopTags": self._top_tags("track"),
            "album.getTopTags": self._top_tags("album"),
            "artist.getTopTags": self._top_tags("artist"),
            "artist.getInfo": self._artist_info,
            "artist.getSimilar": self._similar_artists,
            "auth.getToken": self._get_token,
            "auth.getSession": self._get_session,
            "user.getInfo": self._user_info,
            "track.updateNowPlaying": self._update_now_playing,
            "track.scrobble": self._scrobble,
        }
        super().__init__(certificates)

    @property
    def url(self) -> str:
        return f"https://{self.host}/2.0/"

    def method(self, name: str) -> Callable[[Method], Method]:
        """Add (or replace) a method: ``@fake.method("artist.getInfo")`` over a function of a
        ``Call`` that returns the XML inside ``<lfm status="ok">``, or raises ``LastfmError``."""

        def register(handler: Method) -> Method:
            self.methods[name] = handler
            return handler

        return register

    def tag(self, kind: str, artist: str, name: str, tags: list[tuple[str, int]]) -> None:
        """Let Last.fm know the ``tags`` (name, weight 0 to 100) of the track or album ``name``
        by ``artist`` (``kind`` "track", "album"), or of the artist (``kind`` "artist", ``name``
        empty)."""
        self.tags[(kind, artist.lower(), name.lower())] = tags

    def know_artist(
        self, name: str, mbid: str = "", biography: str = "", similar: tuple[str, ...] = ()
    ) -> FakeArtist:
        """Let Last.fm know the artist ``name`` (and, with ``mbid``, its MusicBrainz id)."""
        artist = FakeArtist(name, mbid, biography, similar)
        self.artists[name.lower()] = artist
        return artist

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def top_tag_calls(self) -> list[Call]:
        return [call for call in self.calls if call.method.endswith(".getTopTags")]

    def new_session(self, account: str) -> str:
        key = secrets.token_hex(16)
        self.sessions[key] = account
        return key

    def revoke(self, session_key: str) -> None:
        """The user revoked the application: the key answers error 9 from now on."""
        self.sessions.pop(session_key, None)

    def handle(self, request: Request) -> Reply:
        if request.route == "/api/auth/":
            return self._authorize(request.query)
        if request.route != "/2.0/":
            return Reply(404, b"not found", "text/plain")
        if self.http_status:
            return Reply(self.http_status, self.error_page, "text/html")
        params = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        params.update(request.query)
        try:
            if self.failing is not None:
                raise self.failing
            now = time.monotonic()
            too_soon = now - self._last_call < self.shortest_interval
            self._last_call = now
            if too_soon:
                raise LastfmError(29, "Rate Limit Exceeded", 429)
            call = self._check(params)
            self.calls.append(call)
            inner = self.methods[call.method](call)
        except LastfmError as error:
            body = (
                f'<?xml version="1.0" encoding="utf-8"?>\n<lfm status="failed">'
                f'<error code="{error.code}">{escape(error.message)}</error></lfm>'
            )
            return Reply(error.http_status, body.encode())
        body = f'<?xml version="1.0" encoding="utf-8"?>\n<lfm status="ok">{inner}</lfm>'
        return Reply(200, body.encode())

    def _check(self, params: dict[str, str]) -> Call:
        name = params.get("method", "")
        if name not in self.methods:
            raise LastfmError(3, "Invalid Method - No method with that name in this package")
        if params.get("api_key") != self.api_key:
            raise LastfmError(10, "Invalid API key - You must be granted a valid key by last.fm")
        signed = "api_sig" in params or name in SIGNED or name in AUTHENTICATED
        if signed and params.get("api_sig") != signature(params, self.api_secret):
            raise LastfmError(13, "Invalid method signature supplied")
        account = None
        if name in AUTHENTICATED or "sk" in params:
            account = self.sessions.get(params.get("sk", ""))
            if account is None:
                raise LastfmError(9, "Invalid session key - Please re-authenticate", 403)
        return Call(name, params, account)

    def _authorize(self, query: dict[str, str]) -> Reply:
        token = query.get("token", "")
        if query.get("api_key") != self.api_key or token not in self.tokens:
            return Reply(400, b"<html>Invalid authorization request</html>", "text/html")
        self.tokens[token] = self.web_user
        return Reply(200, b"<html>Application authorized</html>", "text/html")

    def _get_token(self, call: Call) -> str:
        token = secrets.token_hex(16)
        self.tokens[token] = None
        return f"<token>{token}</token>"

    def _get_session(self, call: Call) -> str:
        token = call.params.get("token", "")
        if token not in self.tokens:
            raise LastfmError(4, "Invalid authentication token supplied")
        account = self.tokens[token]
        if account is None:
            raise LastfmError(14, "This token has not been authorized")
        del self.tokens[token]
        key = self.new_session(account)
        return (
            f"<session><name>{account}</name><key>{key}</key><subscriber>0</subscriber></session>"
        )

    def _user_info(self, call: Call) -> str:
        return f"<user><name>{call.account}</name><playcount>0</playcount></user>"

    def _update_now_playing(self, call: Call) -> str:
        self.now_playing.append({**call.params, "account": call.account or ""})
        return (
            f'<nowplaying><track corrected="0">{escape(call.params["track"])}</track>'
            f'<artist corrected="0">{escape(call.params["artist"])}</artist></nowplaying>'
        )

    def _scrobble(self, call: Call) -> str:
        tracks = []
        index = 0
        while f"artist[{index}]" in call.params:
            suffix = f"[{index}]"
            track = {
                name[: -len(suffix)]: value
                for name, value in call.params.items()
                if name.endswith(suffix)
            }
            if not track.get("track") or not track.get("timestamp", "").isdigit():
                raise LastfmError(6, f"Invalid parameters - scrobble {index} lacks track or time")
            tracks.append({**track, "account": call.account or ""})
            index += 1
        if not tracks or index > 50:
            raise LastfmError(6, "Invalid parameters - 1 to 50 scrobbles per call")
        self.scrobbles.extend(tracks)
        return f'<scrobbles accepted="{len(tracks)}" ignored="0"></scrobbles>'

    def _artist(self, call: Call) -> FakeArtist:
        mbid, name = call.params.get("mbid", ""), call.params.get("artist", "")
        if mbid:
            found = next((a for a in self.artists.values() if a.mbid == mbid), None)
        elif name:
            found = self.artists.get(name.lower())
        else:
            raise LastfmError(6, "Invalid parameters - artist or mbid")
        if found is None:
            raise LastfmError(6, "The artist you supplied could not be found")
        return found

    def _artist_info(self, call: Call) -> str:
        artist = self._artist(call)
        image = f"https://lastfm.freetls.fastly.net/i/u/34s/{artist.mbid or 'none'}.png"
        similar = "".join(
            f"<artist><name>{escape(name)}</name><url>{escape(self._url_of(name))}</url>"
            f'<image size="small">{image}</image></artist>'
            for name in artist.similar[:5]
        )
        return (
            f"<artist><name>{escape(artist.name)}</name><mbid>{artist.mbid}</mbid>"
            f"<url>{escape(artist.url)}</url>"
            f'<image size="small">{image}</image><image size="medium">{image}</image>'
            "<streamable>0</streamable><ontour>0</ontour>"
            "<stats><listeners>1234</listeners><playcount>56789</playcount></stats>"
            f"<similar>{similar}</similar><tags></tags>"
            f'<bio><links><link rel="original" href="{escape(artist.url)}/+wiki"/></links>'
            "<published>01 Jan 2020, 00:00</published>"
            f"<summary>{escape(artist.biography)}</summary>"
            f"<content>{escape(artist.biography)}</content></bio></artist>"
        )

    def _similar_artists(self, call: Call) -> str:
        artist = self._artist(call)
        limit = int(call.params.get("limit") or 100)
        return (
            f"<similarartists artist={quoteattr(artist.name)}>"
            + "".join(
                f"<artist><name>{escape(name)}</name><mbid></mbid>"
                f"<match>{1 - n / 100:.2f}</match><url>{escape(self._url_of(name))}</url>"
                "<streamable>0</streamable></artist>"
                for n, name in enumerate(artist.similar[:limit])
            )
            + "</similarartists>"
        )

    def _url_of(self, name: str) -> str:
        return FakeArtist(name).url

    def _top_tags(self, kind: str) -> Method:
        not_found = {
            "track": "Track not found",
            "album": "Album not found",
            "artist": "The artist you supplied could not be found",
        }[kind]

        def top_tags(call: Call) -> str:
            artist = call.params.get("artist", "")
            name = "" if kind == "artist" else call.params.get(kind, "")
            if not artist or (kind != "artist" and not name):
                raise LastfmError(6, f"Invalid parameters - {kind}.getTopTags needs its names")
            tags = self.tags.get((kind, artist.lower(), name.lower()))
            if tags is None:
                raise LastfmError(6, not_found)
            named = f" {kind}={quoteattr(name)}" if name else ""
            return (
                f"<toptags artist={quoteattr(artist)}{named}>"
                + "".join(
                    f"<tag><count>{weight}</count><name>{escape(tag)}</name>"
                    f"<url>https://www.last.fm/tag/{quote(tag)}</url></tag>"
                    for tag, weight in tags
                )
                + "</toptags>"
            )

        return top_tags


# ListenBrainz


class InvalidListen(Exception):
    pass


MBID_FIELDS = ("recording_mbid", "release_mbid", "release_group_mbid", "track_mbid")
LISTEN_TYPES = ("single", "playing_now", "import")


def _check_mbid(value: object, name: str) -> None:
    try:
        uuid.UUID(str(value))
    except ValueError as exc:
        raise InvalidListen(f"{name} is not a valid MBID: {value!r}") from exc


# ListenBrainz refuses listens before 2002-10-01 and more than an hour ahead of its clock.
LISTEN_MINIMUM_TS = 1033430400
MAX_LISTEN_AHEAD_S = 3600


def validate_submission(document: object) -> None:
    """Raise ``InvalidListen`` unless ``document`` is a submission in ListenBrainz's documented
    format (listen_type, payload, listened_at, track_metadata, additional_info)."""
    if not isinstance(document, dict) or set(document) != {"listen_type", "payload"}:
        raise InvalidListen("a submission is {listen_type, payload}")
    kind, payload = document["listen_type"], document["payload"]
    if kind not in LISTEN_TYPES:
        raise InvalidListen(f"unknown listen_type {kind!r}")
    if not isinstance(payload, list) or not payload:
        raise InvalidListen("payload must be a non-empty list")
    if kind != "import" and len(payload) != 1:
        raise InvalidListen(f"{kind} takes exactly one listen")
    for listen in payload:
        if not isinstance(listen, dict) or not set(listen) <= {"listened_at", "track_metadata"}:
            raise InvalidListen(f"unexpected listen keys: {listen}")
        if kind == "playing_now" and "listened_at" in listen:
            raise InvalidListen("playing_now listens have no listened_at")
        if kind != "playing_now" and not isinstance(listen.get("listened_at"), int):
            raise InvalidListen("listened_at must be an integer timestamp")
        if (
            not LISTEN_MINIMUM_TS
            <= listen.get("listened_at", LISTEN_MINIMUM_TS)
            <= (time.time() + MAX_LISTEN_AHEAD_S)
        ):
            raise InvalidListen("Value for key listened_at is too low/high")
        metadata = listen.get("track_metadata")
        if not isinstance(metadata, dict):
            raise InvalidListen("track_metadata is required")
        for name in ("artist_name", "track_name"):
            if not isinstance(metadata.get(name), str) or not metadata[name].strip():
                raise InvalidListen(f"{name} is required")
        if "release_name" in metadata and not isinstance(metadata["release_name"], str):
            raise InvalidListen("release_name must be a string")
        info = metadata.get("additional_info", {})
        if not isinstance(info, dict):
            raise InvalidListen("additional_info must be an object")
        for name in MBID_FIELDS:
            if name in info:
                _check_mbid(info[name], name)
        for value in info.get("artist_mbids", []):
            _check_mbid(value, "artist_mbids")
        if "duration" in info and (not isinstance(info["duration"], int) or info["duration"] <= 0):
            raise InvalidListen("duration must be a positive integer (seconds)")


class FakeListenBrainz(FakeService):
    """ListenBrainz's API at ``/1/``: users by token, their listens in the order received."""

    def __init__(self, certificates: Certificates, rate_limit: int = 1000, window: float = 1.0):
        self.tokens: dict[str, str] = {}  # token -> user name
        self.listens: list[tuple[str, str, dict[str, Any]]] = []  # (user, listen_type, listen)
        self.invalid: list[str] = []  # why submissions were refused (none in a good run)
        self.http_status = 0  # every call answers this HTTP status while set
        self.rate_limit, self.window = rate_limit, window
        self._window_start, self._used = 0.0, 0
        super().__init__(certificates)

    @property
    def url(self) -> str:
        return f"https://{self.host}/1/"

    def new_token(self, user: str) -> str:
        token = str(uuid.uuid4())
        self.tokens[token] = user
        return token

    def scrobbled(self, user: str) -> list[dict[str, Any]]:
        """``user``'s listens with a time (single and import), in the order received."""
        return [
            listen for who, kind, listen in self.listens if who == user and kind != "playing_now"
        ]

    def _rate_headers(self) -> tuple[bool, dict[str, str]]:
        now = time.monotonic()
        if now - self._window_start >= self.window:
            self._window_start, self._used = now, 0
        self._used += 1
        remaining = max(self.rate_limit - self._used, 0)
        reset_in = max(self.window - (now - self._window_start), 0.0)
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset-In": f"{reset_in:.3f}",
        }
        return self._used > self.rate_limit, headers

    def handle(self, request: Request) -> Reply:
        over, headers = self._rate_headers()

        def reply(status: int, document: dict[str, Any]) -> Reply:
            body = json.dumps(document).encode()
            return Reply(status, body, "application/json", headers)

        if self.http_status:
            return reply(self.http_status, {"code": self.http_status, "error": "Unavailable"})
        if over:
            return reply(429, {"code": 429, "error": "Too many requests"})
        auth = request.header("Authorization")
        user = (
            self.tokens.get(auth.removeprefix("Token ").strip())
            if auth.startswith("Token ")
            else None
        )
        if request.route == "/1/validate-token" and request.method == "GET":
            if user is None:
                return reply(200, {"code": 200, "message": "Token invalid.", "valid": False})
            return reply(
                200, {"code": 200, "message": "Token valid.", "valid": True, "user_name": user}
            )
        if request.route != "/1/submit-listens" or request.method != "POST":
            return reply(404, {"code": 404, "error": "Not found"})
        if user is None:
            return reply(401, {"code": 401, "error": "Invalid authorization token."})
        try:
            document = json.loads(request.body)
            validate_submission(document)
        except (ValueError, InvalidListen) as exc:
            self.invalid.append(str(exc))
            return reply(400, {"code": 400, "error": str(exc)})
        for listen in document["payload"]:
            self.listens.append((user, document["listen_type"], listen))
        return reply(200, {"status": "ok"})
