"""Lyrics: by artist and title (getLyrics) and, structured, by song id (OpenSubsonic
``songLyrics``: getLyricsBySongId). Where lyrics come from: ``lyrics_sources``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from subsonic import lrc, lyrics_sources
from subsonic.names import sort_key
from subsonic.nodes import compact
from subsonic.responses import Payload

if TYPE_CHECKING:
    from subsonic.api import ApiRequest
    from subsonic.library import Row

# ISO 639's "undetermined", for lyrics that do not say their language.
UNKNOWN_LANGUAGE = "und"
# getLyrics reads each song's sources in turn: a common title ("Intro") is not read everywhere.
MAX_CANDIDATES = 20


def _by_artist(songs: list[Row], artist: str) -> list[Row]:
    wanted = sort_key(artist)
    return [s for s in songs if wanted in (sort_key(s["artist"]), sort_key(s["albumartist"]))]


def get_lyrics(request: ApiRequest) -> Payload:
    """The plain text of the first song so titled (and by that artist) that has lyrics; an
    empty ``lyrics`` when none has, as Subsonic answers."""
    artist, title = request.get("artist"), request.get("title")
    songs = request.services.library.songs_titled(title) if title else []
    if artist:
        songs = _by_artist(songs, artist)
    for song in songs[:MAX_CANDIDATES]:
        found = lyrics_sources.find(song, request.services.settings.beets_library)
        if found:
            text = found[0].plain_text
            return {"lyrics": {"artist": song["artist"], "title": song["title"], "value": text}}
    return {"lyrics": compact({"artist": artist, "title": title, "value": ""})}


def _structured(lyrics: lrc.Lyrics, song: Row) -> Payload:
    return {
        "displayArtist": lyrics.artist or song["artist"],
        "displayTitle": lyrics.title or song["title"],
        "lang": lyrics.language or UNKNOWN_LANGUAGE,
        "offset": lyrics.offset_ms,
        "synced": lyrics.synced,
        "line": [compact({"start": line.start_ms, "value": line.text}) for line in lyrics.lines],
    }


def get_lyrics_by_song_id(request: ApiRequest) -> Payload:
    song_id = request.require("id")
    song = request.song(song_id)
    found = lyrics_sources.find(song, request.services.settings.beets_library)
    return {"lyricsList": {"structuredLyrics": [_structured(lyrics, song) for lyrics in found]}}
