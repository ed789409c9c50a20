"""The fields a crate's rules can name, and the SQL each one reads.

Rules run against ``crate_items`` (``beetcrate.crates.index``): a copy of beets' items with the
DJ analysis' flexible attributes as typed columns. A field is named by its beets name (fixed or
flexible) or by Navidrome's name for it (``tracknumber`` is ``track``, ``dateadded`` is
``added``), so a ``.nsp`` file works unchanged. The user fields read the asking listener's
annotations (alias ``u``); flexible attributes beyond the DJ ones are read from beets' own
``item_attributes`` (ATTACHed as ``beets``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Kind(enum.Enum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"  # unix seconds
    BOOL = "bool"
    LIST = "list"  # several values, stored between U+001F separators ("\x1fa\x1fb\x1f")


@dataclass(frozen=True)
class Field:
    name: str  # the beets name
    kind: Kind
    sql: str  # the expression over ``c`` (a crate_items row) and ``u`` (its annotation)
    user: bool = False  # read from the listener's annotations
    # A flexible attribute beets keeps as text: compared as a number when the rule gives one.
    text_stored: bool = False
    # When the field counts as missing, where that is not "empty" (a user field's default).
    missing: str | None = None

    @property
    def sortable(self) -> str:
        """The expression ORDER BY uses: text sorts without case, as people expect."""
        return f"{self.sql} COLLATE NOCASE" if self.kind is Kind.TEXT else self.sql


# The separator ``index`` stores multi-valued fields between.
LIST_SEPARATOR = "\x1f"

# The DJ analysis' flexible attributes (``beet dj``), stored in typed columns of crate_items.
DJ_NUMBERS = (
    "bpm_precise",
    "bpm_confidence",
    "beat_consistency",
    "key_strength",
    "tuning_cents",
    "lufs",
    "loudness_range",
    "true_peak",
    "energy",
    "danceability",
)
DJ_TEXTS = ("camelot", "openkey", "timbre")

# The listener's own data, from ``user_annotations`` (``subsonic.userdata``).
USER_FIELDS = {
    "loved": Field(
        "loved", Kind.BOOL, "(u.starred IS NOT NULL)", True, missing="u.starred IS NULL"
    ),
    "dateloved": Field("dateloved", Kind.DATE, "u.starred", user=True),
    "rating": Field(
        "rating", Kind.NUMBER, "coalesce(u.rating, 0)", True, missing="u.rating IS NULL"
    ),
    "playcount": Field(
        "playcount", Kind.NUMBER, "coalesce(u.play_count, 0)", True, missing="u.play_count IS NULL"
    ),
    "lastplayed": Field("lastplayed", Kind.DATE, "u.last_played", user=True),
    "daterated": Field("daterated", Kind.DATE, "u.rated", user=True),
}

# Fields computed from others, or in another unit than beets keeps them.
DERIVED = {
    # The precise tempo where the analysis measured it, else the tag.
    "tempo": Field("tempo", Kind.NUMBER, "c.tempo"),
    "date": Field(
        "date",
        Kind.TEXT,
        "printf('%04d-%02d-%02d', c.year, max(c.month, 1), max(c.day, 1))",
        missing="coalesce(c.year, 0) = 0",
    ),
    "originaldate": Field(
        "originaldate",
        Kind.TEXT,
        "printf('%04d-%02d-%02d', c.original_year, max(c.original_month, 1),"
        " max(c.original_day, 1))",
        missing="coalesce(c.original_year, 0) = 0",
    ),
    # Navidrome counts bit rates in kbps, beets in bps.
    "bitrate_kbps": Field("bitrate_kbps", Kind.NUMBER, "(c.bitrate / 1000)"),
    "hascoverart": Field("hascoverart", Kind.BOOL, "c.has_art"),
    "filepath": Field("filepath", Kind.TEXT, "c.path"),
    # beetcrate serves one library: Navidrome numbers its first 1.
    "library_id": Field("library_id", Kind.NUMBER, "1"),
    # Navidrome's ``filetype``: the file's suffix in lower case ("mp3", "flac").
    "filetype": Field("filetype", Kind.TEXT, "c.suffix"),
}

# Navidrome's names (``model/criteria/fields.go``) for beets' fields.
ALIASES = {
    "tracknumber": "track",
    "discnumber": "disc",
    "originalyear": "original_year",
    "releaseyear": "year",
    "releasedate": "date",
    "compilation": "comp",
    "dateadded": "added",
    "albumdateadded": "album_added",
    "datemodified": "mtime",
    "discsubtitle": "disctitle",
    "comment": "comments",
    "sortartist": "artist_sort",
    "sortalbumartist": "albumartist_sort",
    "sortcomposer": "composer_sort",
    "catalognumber": "catalognum",
    "recordlabel": "label",
    "duration": "length",
    "bitrate": "bitrate_kbps",
    "genre": "genres",
    "composer": "composers",
    "albumartists": "albumartists",
    "mbz_album_id": "mb_albumid",
    "mbz_album_artist_id": "mb_albumartistid",
    "mbz_artist_id": "mb_artistid",
    "mbz_recording_id": "mb_trackid",
    "mbz_release_track_id": "mb_releasetrackid",
    "mbz_release_group_id": "mb_releasegroupid",
    "key": "camelot",
    "path": "filepath",
}

# beets' fixed fields (and the album's ``added``) whose values are dates (unix seconds) or
# yes/no.
_DATES = {"added", "mtime", "album_added"}
_BOOLS = {"comp"}
_LISTS = {
    "genres",
    "artists",
    "albumartists",
    "composers",
    "albumtypes",
    "remixers",
    "lyricists",
    "arrangers",
}


class UnknownField(ValueError):
    """A rule names a field that is neither a beets field nor one of Navidrome's names."""


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class FieldCatalog:
    """The fields of one library: its ``crate_items`` columns, typed, and the names of the
    other flexible attributes its items have."""

    columns: dict[str, Kind]
    flexible: frozenset[str] = frozenset()

    def resolve(self, name: str) -> Field:
        """The field ``name`` (case-insensitive but for flexible attributes) names.
        Raises ``UnknownField``."""
        key = name.strip().lower()
        key = ALIASES.get(key, key)
        if key in USER_FIELDS:
            return USER_FIELDS[key]
        if key in DERIVED:
            return DERIVED[key]
        if key in self.columns:
            return Field(key, self.columns[key], f"c.{key}")
        if name in self.flexible and _IDENTIFIER.match(name):
            # Stored as text by beets; compared as numbers when the rule gives a number.
            return Field(
                name,
                Kind.TEXT,
                "(SELECT value FROM beets.item_attributes"
                f" WHERE entity_id = c.id AND key = '{name}')",
                text_stored=True,
            )
        raise UnknownField(f"unknown field {name!r}")


def column_kind(name: str, declared: str) -> Kind:
    """How a crate_items column compares, from its beets name and SQLite type."""
    if name in _DATES:
        return Kind.DATE
    if name in _BOOLS:
        return Kind.BOOL
    if name in _LISTS:
        return Kind.LIST
    if declared.upper() in ("INT", "INTEGER", "REAL", "FLOAT", "NUM", "NUMERIC"):
        return Kind.NUMBER
    return Kind.TEXT
