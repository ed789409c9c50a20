"""Last.fm's 2.0 API through pylast, at the configured URL (Last.fm, Libre.fm, GNU FM).

``network(settings, session_key)`` is the one way beetcrate builds a pylast network: pylast
posts to ``https://`` + its ``ws_server`` (host, path), so the configured URL becomes that pair
and the authorization page's host (``homepage``). Anything that calls Last.fm (scrobbling
here, artist info elsewhere) builds its network with it.

Which errors pass: Last.fm's 8 (operation failed), 11 (service offline), 16 (temporarily
unavailable), 29 (rate limit), HTTP 5xx (pylast raises them as ``WSError``), and anything
between us and the service (``NetworkError``, an answer that is not Last.fm's XML, such as a
proxy's error page or a bare HTTP 429). Error 9 (invalid session key: the user revoked the
application) rejects the link; error 6 (invalid parameters) refuses the scrobbles sent.
Everything else (a wrong API key, a bad signature) is the server's configuration, which an
admin can fix: retried.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pylast

from beetcrate.scrobbling.model import SENT, Answer, Entry, Kind, LinkError, Outcome
from beetcrate.settings import LastfmSettings

# pylast's debug log prints whole answers, the session key of auth.getSession among them.
logging.getLogger("pylast").setLevel(logging.INFO)

# Last.fm's answer to auth.getSession while the user has not approved the token yet.
TOKEN_NOT_AUTHORIZED = pylast.STATUS_TOKEN_UNAUTHORIZED

_trusted: set[Path] = set()
_trusting = threading.Lock()


def _trust(ca_file: Path | None) -> None:
    """Trust ``ca_file``'s certificates besides the system's, for every pylast call of this
    process: pylast verifies with one module-wide SSL context."""
    if ca_file is None:
        return
    with _trusting:
        if ca_file not in _trusted:
            pylast.SSL_CONTEXT.load_verify_locations(cafile=str(ca_file))
            _trusted.add(ca_file)


def network(settings: LastfmSettings, session_key: str = "") -> pylast.LastFMNetwork:
    """A pylast network on the configured API: ``session_key`` for the calls of one user,
    none for the application's own (authorization, public data). Callers that make many
    calls keep to Last.fm's rate with ``THROTTLE``."""
    _trust(settings.ca_file)
    net = pylast.LastFMNetwork(
        api_key=settings.api_key, api_secret=settings.api_secret, session_key=session_key
    )
    net.ws_server = settings.ws_server
    net.homepage = settings.homepage
    return net


class Throttle:
    """Starts calls at least ``interval`` seconds apart across a process's threads and users
    (Last.fm's terms: five calls a second). pylast's own limit is per network and can let two
    calls go back to back."""

    def __init__(
        self,
        interval: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self._next = 0.0
        self._lock = threading.Lock()
        self._sleep, self._clock = sleep, clock

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


THROTTLE = Throttle(pylast.DELAY_TIME)


def _status(exc: pylast.WSError) -> int:
    try:
        return int(exc.get_id())
    except (TypeError, ValueError):
        return 0


def classify(exc: pylast.PyLastError) -> Answer:
    """What a pylast error means for the rows sent (see the module's docstring)."""
    message = str(exc)
    if not isinstance(exc, pylast.WSError):
        return Answer(Outcome.RETRY, message)
    status = _status(exc)
    if status == pylast.STATUS_INVALID_SK:
        return Answer(Outcome.REJECTED, message)
    if status == pylast.STATUS_INVALID_PARAMS:
        return Answer(Outcome.REFUSED, message)
    return Answer(Outcome.RETRY, f"error {status}: {message}")


def _optional(value: str | int) -> str | int | None:
    return value or None


class Scrobbler:
    """One user's now playing and scrobbles, through pylast."""

    def __init__(self, settings: LastfmSettings, session_key: str) -> None:
        self.network = network(settings, session_key)

    def submit(self, kind: Kind, entries: Sequence[Entry]) -> Answer:
        THROTTLE.wait()
        try:
            if kind is Kind.PLAYING:
                track = entries[0].track
                self.network.update_now_playing(
                    artist=track.artist,
                    title=track.title,
                    album=_optional(track.album),
                    album_artist=_optional(track.album_artist),
                    duration=_optional(track.duration),
                    track_number=_optional(track.track_number),
                    mbid=_optional(track.recording_mbid),
                )
            else:
                self.network.scrobble_many([_scrobble(entry) for entry in entries])
        except pylast.PyLastError as exc:
            return classify(exc)
        except (IndexError, AttributeError, ValueError) as exc:
            # pylast reads an XML page that is not Last.fm's (a proxy's, a captive portal's)
            # without checking it: the plays wait, with a line that says what answered.
            return Answer(Outcome.RETRY, f"the answer is not a Last.fm API page ({exc!r})")
        return SENT


def _scrobble(entry: Entry) -> dict[str, object]:
    track = entry.track
    return {
        "artist": track.artist,
        "title": track.title,
        "timestamp": int(entry.played_at),
        "album": _optional(track.album),
        "album_artist": _optional(track.album_artist),
        "track_number": _optional(track.track_number),
        "duration": _optional(track.duration),
        "mbid": _optional(track.recording_mbid),
    }


# Linking an account


def account(settings: LastfmSettings, session_key: str) -> str:
    """The name of the account ``session_key`` belongs to (user.getInfo, signed): checks the
    key before it is stored."""
    try:
        return str(network(settings, session_key).get_authenticated_user().get_name())
    except pylast.PyLastError as exc:
        raise LinkError(f"{settings.url} refused the session key: {exc}") from exc


class WebAuthorization:
    """Last.fm's web authorization: a token, a page where the user approves it, and the
    session key auth.getSession gives once they have."""

    def __init__(self, settings: LastfmSettings) -> None:
        self.settings = settings
        self._keys = pylast.SessionKeyGenerator(network(settings))
        try:
            self.url = self._keys.get_web_auth_url()
        except pylast.PyLastError as exc:
            raise LinkError(f"{settings.url} gave no authorization token: {exc}") from exc

    def wait(
        self,
        timeout: float,
        interval: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> tuple[str, str]:
        """Poll auth.getSession every ``interval`` seconds until the user approved the token:
        (session key, account name). Gives up after ``timeout`` seconds; Ctrl-C stops it."""
        deadline = clock() + timeout
        while True:
            try:
                key, name = self._keys.get_web_auth_session_key_username(self.url)
                return str(key), str(name)
            except pylast.WSError as exc:
                if _status(exc) != TOKEN_NOT_AUTHORIZED:
                    raise LinkError(
                        f"{self.settings.url} refused the authorization: {exc}"
                    ) from exc
            except pylast.PyLastError as exc:
                raise LinkError(f"{self.settings.url} cannot be reached: {exc}") from exc
            if clock() + interval > deadline:
                raise LinkError(f"not approved within {timeout:g} seconds; nothing was linked")
            sleep(interval)
