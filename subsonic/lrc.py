"""Lyrics text to lines: LRC (synced, with its metadata tags) or plain text (unsynced).

One parser for every source (beets' ``lyrics`` field, ``.lrc``/``.txt`` files, tags), because
each may hold either form. What it understands of LRC:

- time tags at the start of a line, ``[mm:ss]``, ``[mm:ss.x]``, ``[mm:ss.xx]``,
  ``[mm:ss.xxx]`` and ``[hh:mm:ss.xx]``, several on one line for a repeated line (a chorus);
- metadata lines: ``[ar:]``, ``[ti:]``, ``[offset:±ms]``, ``[la:]``/``[lang:]`` are kept,
  ``[al:]``, ``[length:]``, ``[by:]``… are dropped; unknown ``[word: …]`` lines stay text
  (Genius-style ``[Chorus: Artist]`` headers are lyrics, not metadata);
- enhanced LRC's word stamps ``<mm:ss.xx>`` are removed from the text (the line keeps its start);
- in synced lyrics, a line without a time continues the line above it; lines before the first
  time (credits, headers) are dropped. Synced lines come back ordered by their start.

Text without any time tag is unsynced: its lines as written, blank lines between stanzas kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TIME = r"\[(?:(\d{1,2}):)?(\d{1,3}):(\d{1,2})(?:\.(\d{1,3}))?\]"
_LEADING_TIME = re.compile(r"\s*" + _TIME)
_WORD_STAMP = re.compile(r"<(?:\d{1,2}:)?\d{1,3}:\d{1,2}(?:\.\d{1,3})?>")
_METADATA = re.compile(r"^\[(ar|al|ti|au|by|re|ve|tool|version|length|offset|la|lang|#):(.*)\]$")
_SPACES = re.compile(r"[ \t]{2,}")


@dataclass(frozen=True)
class Line:
    text: str
    # Milliseconds from the start of the track; None in unsynced lyrics.
    start_ms: int | None = None


@dataclass(frozen=True)
class Lyrics:
    lines: tuple[Line, ...]
    synced: bool
    # LRC's [offset:]: positive means the lyrics should appear sooner (as OpenSubsonic's offset).
    offset_ms: int = 0
    language: str | None = None
    artist: str | None = None
    title: str | None = None

    @property
    def plain_text(self) -> str:
        """The words alone, one line each, as ``getLyrics`` answers them."""
        return "\n".join(line.text for line in self.lines)

    @property
    def has_words(self) -> bool:
        return any(line.text.strip() for line in self.lines)


def _milliseconds(match: re.Match[str]) -> int:
    hours, minutes, seconds, fraction = match.groups()
    # A fraction of one, two or three digits is tenths, hundredths or thousandths.
    millis = int(fraction.ljust(3, "0")) if fraction else 0
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis


def _leading_times(line: str) -> tuple[list[int], str]:
    """The time tags a line starts with, and the rest of the line."""
    times = []
    while match := _LEADING_TIME.match(line):
        times.append(_milliseconds(match))
        line = line[match.end() :]
    return times, line


def _words(text: str) -> str:
    """A synced line's text without enhanced LRC's word stamps."""
    if "<" in text:
        stripped = _WORD_STAMP.sub("", text)
        if stripped != text:
            text = _SPACES.sub(" ", stripped)
    return text.strip()


def _offset(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        return 0


def parse(text: str) -> Lyrics:
    """Lyrics from LRC or plain text; never fails (what it does not understand stays text)."""
    metadata: dict[str, str] = {}
    body: list[str] = []
    for raw in text.lstrip("\ufeff").splitlines():
        tag = _METADATA.match(raw.strip())
        if tag:
            metadata[tag.group(1)] = tag.group(2).strip()
        else:
            body.append(raw)
    synced = any(_leading_times(line)[0] for line in body)
    lines = _synced_lines(body) if synced else _unsynced_lines(body)
    return Lyrics(
        lines=tuple(lines),
        synced=synced,
        offset_ms=_offset(metadata.get("offset", "0")),
        language=metadata.get("la") or metadata.get("lang") or None,
        artist=metadata.get("ar") or None,
        title=metadata.get("ti") or None,
    )


def _synced_lines(body: list[str]) -> list[Line]:
    timed: list[tuple[list[int], list[str]]] = []
    for raw in body:
        times, rest = _leading_times(raw)
        if times:
            timed.append((times, [_words(rest)]))
        elif timed and raw.strip():
            timed[-1][1].append(_words(raw))
    lines = [Line("\n".join(texts), start) for times, texts in timed for start in times]
    return sorted(lines, key=lambda line: line.start_ms or 0)


def _unsynced_lines(body: list[str]) -> list[Line]:
    lines: list[Line] = []
    for raw in body:
        text = raw.strip()
        # One blank line between stanzas; none at either end.
        if text or (lines and lines[-1].text):
            lines.append(Line(text))
    while lines and not lines[-1].text:
        lines.pop()
    return lines
