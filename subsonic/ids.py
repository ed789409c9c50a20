"""The one id scheme: every id a client sees is a string with a type prefix.

``tr-<beets item id>`` songs, ``al-<beets album id>`` albums, ``al-s<hash>`` an artist's
singletons gathered as one album, ``ar-<hash>`` artists (a hash of the casefolded name, so ids
survive restarts and rescans), ``pl-<n>`` playlists (their row in the sidecar), ``ir-<n>``
internet radio stations. Music folders are the one exception: the XSD types their id as
``xs:int``. An id never names a path, so no id can make the server read outside the library.
"""

from __future__ import annotations

import re

from subsonic.names import short_hash
from subsonic.responses import NOT_FOUND, ApiError

MUSIC_FOLDER_ID = 1
_ID = re.compile(r"^(tr|al|ar|pl)-(s?[0-9a-f]{16}|\d{1,18})$")


def song_id(item_id: int) -> str:
    return f"tr-{item_id}"


def playlist_id(number: int) -> str:
    return f"pl-{number}"


def artist_id(name: str) -> str:
    """The id of the artist called ``name`` (in any case), as the catalog derives it."""
    return f"ar-{short_hash(name)}"


def parse(value: str, *kinds: str) -> tuple[str, str]:
    """Split an id into (kind, key), or fail with error 70 if it is malformed or of another kind."""
    match = _ID.match(value or "")
    if not match or (kinds and match.group(1) not in kinds):
        raise ApiError(NOT_FOUND, f"no such item: {value!r}")
    return match.group(1), match.group(2)


def parse_song(value: str) -> int:
    _, key = parse(value, "tr")
    if not key.isdigit():
        raise ApiError(NOT_FOUND, f"no such song: {value!r}")
    return int(key)


def parse_playlist(value: str) -> int:
    _, key = parse(value, "pl")
    if not key.isdigit():
        raise ApiError(NOT_FOUND, f"no such playlist: {value!r}")
    return int(key)


def station_id(station: int) -> str:
    return f"ir-{station}"


def parse_station(value: str) -> int:
    """An internet radio station's number, or error 70 if ``value`` names none."""
    number = (value or "").removeprefix("ir-")
    if not value.startswith("ir-") or not number.isdigit() or len(number) > 18:
        raise ApiError(NOT_FOUND, f"no such internet radio station: {value!r}")
    return int(number)
