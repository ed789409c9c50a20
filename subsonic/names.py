"""How the catalog names, sorts, keys and dates what beets leaves blank or spells freely.

Clients show these names, sort by these keys and cache by these ids, so each rule is made in
one place: the catalog's SQL calls these functions (registered on its connection) and the
node builders use the same constants.
"""

from __future__ import annotations

import time
import unicodedata

import xxhash

IGNORED_ARTICLES = ("The", "El", "La", "Los", "Las", "Le", "Les", "A", "An")
UNKNOWN_ARTIST = "[Unknown Artist]"
UNKNOWN_ALBUM = "[Unknown Album]"
SINGLES_ALBUM = "[Singles]"
VARIOUS_ARTISTS = "Various Artists"


def short_hash(text: str) -> str:
    """A stable 16-hex-digit key for names that have no id of their own (artists)."""
    return xxhash.xxh3_64_hexdigest(text.casefold().encode())


# Typographic quotes and dashes as their ASCII forms: MusicBrainz writes "Don\u2019t", most
# services and keyboards "Don't"; both sort and match alike.
_TYPOGRAPHIC = str.maketrans(
    {
        "\u2019": "'",  # right single quotation mark
        "\u2018": "'",  # left single quotation mark
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
    }
)


def sort_key(name: str) -> str:
    """Case-, accent- and quote-insensitive sort key with leading articles dropped."""
    name = name.translate(_TYPOGRAPHIC)
    for article in IGNORED_ARTICLES:
        if name[: len(article) + 1].casefold() == article.casefold() + " ":
            name = name[len(article) + 1 :]
            break
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def index_letter(name: str) -> str:
    key = sort_key(name)
    first = key[:1].upper()
    return first if first.isalpha() else "#"


def iso_time(epoch: float | None) -> str:
    """xs:dateTime in UTC with milliseconds, as every client parses it (rounded to the
    millisecond, as SQLite's ``strftime('%f')`` does where the user-data queries format times)."""
    seconds, millis = divmod(round((epoch or 0) * 1000), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"
