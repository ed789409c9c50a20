"""Last.fm's top tags of tracks, albums and artists, each asked once per run.

The calls go through ``beetcrate.scrobbling.lastfm.network`` (the configured API: ``beetcrate:
lastfm: {api_key, api_secret, url, ca_file}``) at Last.fm's rate (``THROTTLE``). Error 6 (not
found) is an answer: no tags. Anything else (a refused connection, a timeout, HTTP 5xx, a page
that is not Last.fm's XML, error 29 for the rate, error 10 for a wrong key) is a
``GenreLookupError`` whose message is one line (pylast's own ``IndexError`` on an XML page
that is not Last.fm's among them); Last.fm is then left alone for ``retry_after``
seconds, each lookup failing at once with the same message, so an import whose Last.fm is down
waits for one timeout, not one for every track.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pylast

from beetcrate.genres.rules import Tag, normalise
from beetcrate.genres.settings import Level
from beetcrate.scrobbling.lastfm import THROTTLE, Throttle, network
from beetcrate.settings import LastfmSettings


class GenreLookupError(Exception):
    """Last.fm could not be asked; the message (one line) says why."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _weight(raw: object) -> int:
    try:
        return int(str(raw))
    except ValueError:
        return 0


class LastfmTags:
    """Top tags by (level, artist, name), asked of Last.fm once per object and kept for the
    life of this object (one run: an import, a command). Safe to share between threads: one
    call at a time, so concurrent lookups of one object make one request."""

    def __init__(
        self,
        settings: LastfmSettings,
        *,
        retry_after: float = 60.0,
        throttle: Throttle = THROTTLE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Raises ``GenreLookupError`` if no API account is configured."""
        if not settings.configured:
            raise GenreLookupError(
                "Last.fm genres need an API account: set beetcrate: lastfm: api_key and api_secret"
            )
        self.settings = settings
        self.retry_after = retry_after
        self.requests = 0  # calls made to Last.fm
        self._throttle, self._clock = throttle, clock
        self._network = network(settings)
        self._known: dict[tuple[Level, str, str], tuple[Tag, ...]] = {}
        self._down_until = 0.0
        self._down_reason = ""
        self._lock = threading.Lock()

    def top_tags(self, level: Level, artist: str, name: str = "") -> tuple[Tag, ...]:
        """The tags of the track ``name`` (``Level.ITEM``), the album ``name`` or the artist,
        by ``artist``; none for an object Last.fm does not know."""
        key = (level, normalise(artist), normalise(name))
        with self._lock:
            if key in self._known:
                return self._known[key]
            if self._clock() < self._down_until:
                raise GenreLookupError(self._down_reason)
            try:
                tags = self._ask(level, artist, name)
            except GenreLookupError as exc:
                self._down_until = self._clock() + self.retry_after
                self._down_reason = str(exc)
                raise
            self._known[key] = tags
            return tags

    def _ask(self, level: Level, artist: str, name: str) -> tuple[Tag, ...]:
        subject: pylast._Taggable
        if level is Level.ITEM:
            subject = self._network.get_track(artist, name)
        elif level is Level.ALBUM:
            subject = self._network.get_album(artist, name)
        else:
            subject = self._network.get_artist(artist)
        self._throttle.wait()
        self.requests += 1
        try:
            top = subject.get_top_tags()
        except pylast.WSError as exc:
            if str(exc.get_id()) == str(pylast.STATUS_INVALID_PARAMS):  # not found
                return ()
            raise GenreLookupError(
                f"Last.fm ({self.settings.url}) answered error {exc.get_id()}: "
                f"{_one_line(str(exc))}"
            ) from exc
        except (pylast.PyLastError, OSError) as exc:
            raise GenreLookupError(
                f"Last.fm ({self.settings.url}) cannot be asked: {_one_line(str(exc))}"
            ) from exc
        except (IndexError, AttributeError, ValueError) as exc:
            # pylast reads an XML answer without <lfm> (a proxy's XHTML page) by indexing.
            raise GenreLookupError(
                f"Last.fm ({self.settings.url}) answered something that is not its API's XML"
            ) from exc
        return tuple(Tag(str(item.item.get_name()), _weight(item.weight)) for item in top)
