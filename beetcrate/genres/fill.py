"""Genres from Last.fm onto a beets item or album, attributed to ``lastfm`` for provenance.

``find_genres`` says what would change; ``fill_genres`` also stores it. Both keep genres an
object already has unless ``force``, and fall back from the configured level to the next
(track → album → artist) while a level gives no genre: Last.fm knows no such object, or none of
its tags passes the rules.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol

from beets.library import Album, Item

from beetcrate.attribution import attributed
from beetcrate.genres.lastfm import LastfmTags
from beetcrate.genres.rules import Tag, resolve
from beetcrate.genres.settings import GenreSettings, GenreSource, Level

SOURCE = "lastfm"  # the attribution provenance records for the genres stored here


@dataclass(frozen=True)
class Lookup:
    """One question to Last.fm: the tags of the track ``name`` (``ITEM``), of the album
    ``name`` (``ALBUM``) or of the artist (``ARTIST``, no name), by ``artist``."""

    level: Level
    artist: str
    name: str = ""


@dataclass(frozen=True)
class GenreChange:
    """What the genres were (``old``) and became (``new``), and the Last.fm tags they came from:
    those of ``lookup``, the first object, along the fallbacks, whose tags gave a genre."""

    old: tuple[str, ...]
    new: tuple[str, ...]
    lookup: Lookup
    tags: tuple[Tag, ...]

    @property
    def level(self) -> Level:
        return self.lookup.level


def lookups_for(obj: Item | Album, level: Level) -> list[Lookup]:
    """The questions to ask for ``obj``, from ``level`` down to the artist. An album asks from
    the album level at most, a compilation not at the artist level (there is no one artist),
    and a track with no album skips the album level."""
    if isinstance(obj, Album):
        artist = obj.albumartist
        wanted = [Lookup(Level.ALBUM, artist, obj.album)]
        if not obj.comp:
            wanted.append(Lookup(Level.ARTIST, artist))
    else:
        artist = obj.artist or obj.albumartist
        wanted = [
            Lookup(Level.ITEM, artist, obj.title),
            Lookup(Level.ALBUM, obj.albumartist or artist, obj.album),
            Lookup(Level.ARTIST, artist),
        ]
    order = list(Level)
    return [
        lookup
        for lookup in wanted
        if order.index(lookup.level) >= order.index(level)
        and lookup.artist.strip()
        and (lookup.level is Level.ARTIST or lookup.name.strip())
    ]


def genre_fields(obj: Item | Album) -> frozenset[str]:
    """The genre fields of the beets in use: ``genres`` (a list, beets 2.14), ``genre`` (a
    string, older beets), or both."""
    return frozenset({"genres", "genre"} & set(obj._fields))


class Fields(Protocol):
    """A beets object's fields, or a mapping standing for them."""

    def get(self, key: str, default: Any = None) -> Any: ...


def current_genres(values: Fields, fields: Collection[str], separator: str) -> tuple[str, ...]:
    """The genres stored in ``values`` (an object's fields): the list, or the string split."""
    if "genres" in fields:
        return tuple(str(genre) for genre in values.get("genres") or ())
    text = str(values.get("genre") or "")
    return tuple(part.strip() for part in text.split(separator) if part.strip())


def stored_values(
    genres: tuple[str, ...], fields: Collection[str], separator: str
) -> dict[str, object]:
    """The field values that store ``genres``: the list in ``genres``, the genres joined by
    ``separator`` in ``genre``; a field beets lacks is not created."""
    values: dict[str, object] = {}
    if "genres" in fields:
        values["genres"] = list(genres)
    if "genre" in fields:
        values["genre"] = separator.join(genres)
    return values


def find_genres(obj: Item | Album, settings: GenreSettings, tags: LastfmTags) -> GenreChange | None:
    """The genres Last.fm's tags give ``obj``, or None when nothing would change: genres are
    off, ``obj`` has genres and ``force`` is off, no level gives a genre, or the same genres.
    Raises ``GenreLookupError`` (one line) when Last.fm cannot be asked."""
    if settings.source is GenreSource.NONE:
        return None
    fields = genre_fields(obj)
    old = current_genres(obj, fields, settings.separator)
    if old and not settings.force:
        return None
    for lookup in lookups_for(obj, settings.level):
        seen = tags.top_tags(lookup.level, lookup.artist, lookup.name)
        new = resolve(seen, settings.rules)
        if new:
            return GenreChange(old, new, lookup, seen) if new != old else None
    return None


def fill_genres(obj: Item | Album, settings: GenreSettings, tags: LastfmTags) -> GenreChange | None:
    """Store the genres Last.fm's tags give ``obj`` (an album's go to its items too), attributed
    to ``lastfm``; returns what changed, or None (see ``find_genres``). Files are not written:
    the importer writes them after its stages, ``obj.try_sync`` elsewhere. Store the object's
    other changes first: beets stores every pending change of an object (an album's go to its
    items), and provenance would record them as Last.fm's.

    The identify plugin calls this for each imported album or item, with one ``LastfmTags`` for
    the whole run (each Last.fm object is asked once) and ``GenreSettings.from_config`` of its
    configuration. Raises ``GenreLookupError`` (one line, nothing stored) when Last.fm cannot be
    asked: the caller reports it and goes on with the next step."""
    change = find_genres(obj, settings, tags)
    if change is None:
        return None
    obj.update(stored_values(change.new, genre_fields(obj), settings.separator))
    with attributed(SOURCE):
        obj.store()
    return change
