"""A song's lyrics, from the first of its sources that has any.

1. beets' ``lyrics`` field (what the ``lyrics`` plugin fetched: plain text or LRC), with its
   ``lyrics_language``, read on demand through ``beetcrate.beetsdb``: lyrics are kilobytes per
   song, asked for one song at a time, so they stay out of the catalog that every browse reads;
2. a ``.lrc``, then a ``.txt`` file beside the audio file, with the same stem;
3. the lyrics in the file's tags: ID3 ``USLT`` and ``SYLT`` frames, Vorbis/FLAC ``LYRICS`` or
   ``UNSYNCEDLYRICS``, MP4 ``©lyr``. A file may hold several (languages, synced and not).

Only files that belong to a library song are read: its audio file (the path comes from the
catalog, never from a client) and the two files beside it named after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import mutagen
from mutagen.id3 import ID3
from mutagen.mp4 import MP4Tags

from beetcrate.beetsdb import item_fields
from subsonic import lrc
from subsonic.library import Row

# A lyrics file is a few kilobytes; anything much bigger beside a song is not one.
MAX_SIDECAR_BYTES = 1 << 20
# Vorbis comments and APEv2 keys are case-insensitive.
TAG_KEYS = ("lyrics", "unsyncedlyrics")
MP4_LYRICS = "\xa9lyr"
SYLT_MILLISECONDS = 2  # SYLT's other time format counts MPEG frames


def find(song: Row, beets_db: Path) -> list[lrc.Lyrics]:
    """The lyrics of a catalog song (several when its source holds several); [] if none."""
    audio = Path(song["path"])
    sources: list[Callable[[], list[lrc.Lyrics]]] = [
        lambda: from_beets(beets_db, song["item_id"]),
        lambda: from_sidecar(audio.with_suffix(".lrc")),
        lambda: from_sidecar(audio.with_suffix(".txt")),
        lambda: from_tags(audio),
    ]
    for source in sources:
        # Once each: beets writes synced lyrics to both a SYLT and (as LRC) a USLT frame.
        found = list(dict.fromkeys(lyrics for lyrics in source() if lyrics.has_words))
        if found:
            return found
    return []


def _in_language(lyrics: lrc.Lyrics, language: object) -> lrc.Lyrics:
    """The source's language where the text names none ("XXX" is a tagger's "unknown")."""
    if lyrics.language or not isinstance(language, str) or language.upper() == "XXX":
        return lyrics
    return replace(lyrics, language=language.strip().lower() or None)


def from_beets(beets_db: Path, item_id: int) -> list[lrc.Lyrics]:
    fields = item_fields(beets_db, item_id, ("lyrics", "lyrics_language"))
    text = fields.get("lyrics")
    if not isinstance(text, str):
        return []
    return [_in_language(lrc.parse(text), fields.get("lyrics_language"))]


def from_sidecar(path: Path) -> list[lrc.Lyrics]:
    try:
        if not path.is_file() or path.stat().st_size > MAX_SIDECAR_BYTES:
            return []
        data = path.read_bytes()
    except OSError:
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older LRC files are often in a Windows code page; Latin-1 never fails to decode.
        text = data.decode("latin-1")
    return [lrc.parse(text)]


def from_tags(audio: Path) -> list[lrc.Lyrics]:
    if not audio.is_file():  # gone, or a named pipe whose reading would block the request
        return []
    try:
        tags = getattr(mutagen.File(audio), "tags", None)
    except (mutagen.MutagenError, OSError):
        return []
    if tags is None:
        return []
    if isinstance(tags, ID3):
        return _from_id3(tags)
    if isinstance(tags, MP4Tags):
        return [lrc.parse(text) for text in tags.get(MP4_LYRICS, [])]
    return [lrc.parse(str(text)) for key in TAG_KEYS for text in tags.get(key) or []]


def _from_id3(tags: ID3) -> list[lrc.Lyrics]:
    found = []
    for frame in tags.getall("SYLT"):
        if frame.format != SYLT_MILLISECONDS:
            continue
        lines = sorted(
            (lrc.Line(text.strip(), start) for text, start in frame.text),
            key=lambda line: line.start_ms or 0,
        )
        found.append(_in_language(lrc.Lyrics(lines=tuple(lines), synced=True), frame.lang))
    for frame in tags.getall("USLT"):
        found.append(_in_language(lrc.parse(frame.text), frame.lang))
    return found
