"""ListenBrainz's JSON API (api.listenbrainz.org, a self-hosted ListenBrainz, Maloja's
ListenBrainz API): submit listens, validate a token. Small enough not to need a library.

Requests carry ``Authorization: Token …``. A 401 rejects the link (the token is invalid or was
revoked); 400 and 413 refuse the listens sent (ListenBrainz will never take them). Anything
else that is not a success is retried: 429 and 5xx, timeouts and refused connections pass (429
says how long to wait); a redirect, 403, 404, 405 and other 4xx mean the configured URL is not
a ListenBrainz API, which an admin can fix, so the listens wait and the link's last error says
what to fix. Redirects are not followed: urllib would turn the POST into a GET and send the
token to whatever host the answer names.
The client keeps to the rate limit the headers announce (``X-RateLimit-Remaining``,
``X-RateLimit-Reset-In``) for every user of the process.
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from email.message import Message
from typing import Any

from beetcrate.scrobbling.model import SENT, Answer, Entry, Kind, LinkError, Outcome
from beetcrate.settings import ListenBrainzSettings

# Seconds to wait for an answer; a queue task's lease outlives it (docs/scrobbling.md).
TIMEOUT = 20.0


class RateLimit:
    """The wait ListenBrainz's last answer announced, shared by every request of a process."""

    def __init__(
        self,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._until = 0.0
        self._sleep, self._clock = sleep, clock

    def wait(self) -> None:
        with self._lock:
            pause = self._until - self._clock()
        if pause > 0:
            self._sleep(pause)

    def update(self, headers: Message) -> None:
        """Remember the headers' wait when no request is left in the current window."""
        try:
            remaining = int(headers.get("X-RateLimit-Remaining", "1"))
            reset_in = float(headers.get("X-RateLimit-Reset-In", "0"))
        except ValueError:
            return
        if remaining <= 0:
            with self._lock:
                self._until = max(self._until, self._clock() + reset_in)


RATE_LIMIT = RateLimit()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Answers a redirect with the redirect itself (an ``HTTPError``), not a request elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Client:
    """Calls on one ListenBrainz API for one token."""

    def __init__(self, settings: ListenBrainzSettings, token: str) -> None:
        self.url = settings.url
        self.token = token
        self.context = ssl.create_default_context()
        if settings.ca_file is not None:
            self.context.load_verify_locations(cafile=str(settings.ca_file))
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self.context), _NoRedirect()
        )

    def _call(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Message, Any]:
        """(HTTP status, headers, decoded JSON answer or None) of a GET, or a POST of
        ``body``. Raises OSError when no answer came, ``http.client.HTTPException`` when the
        answer was garbled or cut short."""
        request = urllib.request.Request(
            self.url + path,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Token {self.token}",
                "Content-Type": "application/json",
                "User-Agent": "beetcrate",
            },
        )
        RATE_LIMIT.wait()
        try:
            with self._opener.open(request, timeout=TIMEOUT) as answer:
                status, headers, raw = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as exc:
            status, headers, raw = exc.code, exc.headers, exc.read()
            exc.close()
        RATE_LIMIT.update(headers)
        try:
            document = json.loads(raw) if raw else None
        except ValueError:
            document = None
        return status, headers, document

    def submit(self, kind: Kind, entries: Sequence[Entry]) -> Answer:
        if kind is Kind.PLAYING:
            listen_type, listens = "playing_now", [_listen(entries[0], timed=False)]
        else:
            listen_type = "single" if len(entries) == 1 else "import"
            listens = [_listen(entry, timed=True) for entry in entries]
        try:
            status, headers, document = self._call(
                "submit-listens", {"listen_type": listen_type, "payload": listens}
            )
        except (OSError, http.client.HTTPException) as exc:
            return Answer(Outcome.RETRY, f"{self.url}: {getattr(exc, 'reason', exc)}")
        return _answer(self.url, status, headers, document)

    def validate(self) -> str:
        """The user name the token belongs to; a ``LinkError`` if it is not valid."""
        try:
            status, _, document = self._call("validate-token")
        except (OSError, http.client.HTTPException) as exc:
            raise LinkError(f"{self.url} cannot be reached: {exc}") from exc
        if status == 200 and isinstance(document, dict) and document.get("valid"):
            return str(document.get("user_name", ""))
        raise LinkError(f"{self.url} refused the token: {_message(status, document)}")


def _message(status: int, document: Any) -> str:
    if isinstance(document, dict):
        for name in ("error", "message"):
            if document.get(name):
                return str(document[name])
    return f"HTTP {status}"


def _answer(url: str, status: int, headers: Message, document: Any) -> Answer:
    """What an HTTP answer means for the listens sent (see the module's docstring)."""
    if 200 <= status < 300:
        return SENT
    message = _message(status, document)
    if status == 401:
        return Answer(Outcome.REJECTED, message)
    if status in (400, 413):
        return Answer(Outcome.REFUSED, f"HTTP {status}: {message}")
    if status == 429:
        try:
            after = float(headers.get("X-RateLimit-Reset-In", "0"))
        except ValueError:
            after = 0.0
        return Answer(Outcome.RETRY, f"HTTP {status}: {message}", after)
    if status >= 500:
        # The rate-limit headers of a failing server say nothing of when it is back: backoff.
        return Answer(Outcome.RETRY, f"HTTP {status}: {message}")
    if 300 <= status < 400:
        where = headers.get("Location", "elsewhere")
        return Answer(
            Outcome.RETRY, f"HTTP {status}: {url} redirects to {where}; set listenbrainz: url"
        )
    return Answer(
        Outcome.RETRY,
        f"HTTP {status}: {message}; is listenbrainz: url ({url}) a ListenBrainz API?",
    )


def _listen(entry: Entry, timed: bool) -> dict[str, Any]:
    """A listen in ListenBrainz's format: names at the top, the rest in ``additional_info``,
    empty fields left out (the API refuses empty MusicBrainz ids)."""
    track = entry.track
    info: dict[str, Any] = {
        "submission_client": "beetcrate",
        "media_player": entry.client or None,
        "duration": track.duration or None,
        "tracknumber": track.track_number or None,
        "recording_mbid": track.recording_mbid or None,
        "release_mbid": track.release_mbid or None,
        "artist_mbids": [track.artist_mbid] if track.artist_mbid else None,
    }
    metadata: dict[str, Any] = {
        "artist_name": track.artist,
        "track_name": track.title,
        "additional_info": {name: value for name, value in info.items() if value is not None},
    }
    if track.album:
        metadata["release_name"] = track.album
    listen: dict[str, Any] = {"track_metadata": metadata}
    if timed:
        listen["listened_at"] = int(entry.played_at)
    return listen
