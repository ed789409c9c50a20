"""Genres from Last.fm's tags, for the plugin that identifies music (``identify: genres: lastfm``).

- ``rules``: pure functions from tags and their weights to genres (aliases, the canonical tree,
  then the whitelist; weight, count, title case);
- ``settings``: ``GenreSettings.from_config`` and the ``DEFAULTS`` of the flat ``genre*`` keys;
- ``lastfm``: ``LastfmTags``, the tags of tracks, albums and artists through pylast, asked once
  per run;
- ``fill``: ``fill_genres(obj, settings, tags) -> GenreChange | None``, the one call a plugin
  makes for an item or album.

See docs/genres.md.
"""

from beetcrate.genres.fill import GenreChange, Lookup, fill_genres, find_genres
from beetcrate.genres.lastfm import GenreLookupError, LastfmTags
from beetcrate.genres.rules import GenreRules, Tag, Vocabulary, resolve
from beetcrate.genres.settings import DEFAULTS, GenreSettings, GenreSource, Level

__all__ = [
    "DEFAULTS",
    "GenreChange",
    "GenreLookupError",
    "GenreRules",
    "GenreSettings",
    "GenreSource",
    "LastfmTags",
    "Level",
    "Lookup",
    "Tag",
    "Vocabulary",
    "fill_genres",
    "find_genres",
    "resolve",
]
