"""Who is changing the library right now: the source provenance records for each field change.

Provenance (``beetsplug/provenance``) watches every change beets stores and must say where it
came from. Code that knows better than the command line (the identify stage applying a
fingerprint match, the Last.fm genre lookup, a revert) says so by wrapping its writes in
``attributed(...)``; candidates offered to the importer carry their source with ``label``.
Plugins never import each other, so this small module is the one seam between them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

# The key, on a beets ``AlbumInfo``/``TrackInfo``, naming where the candidate came from.
CANDIDATE_SOURCE = "beetcrate_source"


@dataclass(frozen=True)
class Attribution:
    """The source of the changes being made, and the evidence behind them where there is one."""

    source: str  # "import:musicbrainz", "import:fingerprint", "identify", "lastfm", "revert"…
    candidate_id: str | None = None  # the release or recording id the values came from
    distance: float | None = None  # beets' match distance (0 is a perfect match)
    score: float | None = None  # a service's own score (AcoustID: 0 to 1, higher is better)
    candidate_kind: str | None = None  # what ``candidate_id`` names: "release", "recording"


_current: ContextVar[Attribution | None] = ContextVar("beetcrate_attribution", default=None)


@contextmanager
def attributed(
    source: str,
    *,
    candidate_id: str | None = None,
    distance: float | None = None,
    score: float | None = None,
    candidate_kind: str | None = None,
) -> Iterator[Attribution]:
    """Attribute the changes stored inside the ``with`` block (in this thread) to ``source``."""
    attribution = Attribution(source, candidate_id, distance, score, candidate_kind)
    token = _current.set(attribution)
    try:
        yield attribution
    finally:
        _current.reset(token)


def current() -> Attribution | None:
    """The attribution of the enclosing ``attributed`` block, if any."""
    return _current.get()


def label(info: Any, source: str) -> None:
    """Mark a candidate (``AlbumInfo``/``TrackInfo``) with the step that found it."""
    info[CANDIDATE_SOURCE] = source


def candidate_source(info: Any) -> str | None:
    """The step that found a candidate (``fingerprint``, …), or None for beets' own matches."""
    value = info.get(CANDIDATE_SOURCE) if hasattr(info, "get") else None
    return str(value) if value else None
