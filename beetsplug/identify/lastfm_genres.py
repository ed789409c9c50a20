"""``identify: genres: lastfm``: an imported or identified album's (or track's) genres from
Last.fm, through beetcrate's genre engine (``beetcrate.genres``, see docs/genres.md).

One ``LastfmTags`` serves a whole command, so each Last.fm object is asked once. Last.fm failing
(no account, the network, a refused key) is one line, after which the command asks it no more:
the import goes on and nothing is stored for the objects left.
"""

from __future__ import annotations

import logging
from typing import Any

from beets.library import Album, Item

from beetcrate.genres import GenreLookupError, GenreSettings, GenreSource, LastfmTags, fill_genres
from beetcrate.settings import LastfmSettings


class LastfmGenres:
    def __init__(
        self, settings: GenreSettings, lastfm: LastfmSettings, log: logging.Logger | Any
    ) -> None:
        self.settings = settings
        self.lastfm = lastfm
        self.log = log
        self._tags: LastfmTags | None = None
        self._off = settings.source is GenreSource.NONE

    def fill(self, obj: Album | Item) -> None:
        """Store the genres Last.fm gives ``obj`` (attributed ``lastfm``), if genres are on."""
        if self._off:
            return
        try:
            if self._tags is None:
                self._tags = LastfmTags(self.lastfm)
            fill_genres(obj, self.settings, self._tags)
        except GenreLookupError as exc:
            self._off = True
            self.log.warning("genres: {}; no more genres in this command", exc)
