"""What ``beet identify`` found for each item, in words or as JSON."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class MatchSource(enum.Enum):
    TAGS = "tags"  # beets' own matching of the item's tags
    FINGERPRINT = "fingerprint"  # AcoustID's recordings of the item's fingerprint


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Match:
    """The best candidate found for an item."""

    source: MatchSource
    candidate_id: str  # the MusicBrainz release (albums) or recording (singletons) id
    description: str  # "Artist - Album" or "Artist - Title"
    distance: float
    strong: bool  # beets' strong recommendation: what --apply applies


@dataclass(frozen=True)
class ItemReport:
    item_id: int
    path: str
    current: str  # "Artist - Title" as the item was before any change
    match: Match | None
    changes: tuple[FieldChange, ...] = ()
    applied: bool = False
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        match = self.match
        return {
            "id": self.item_id,
            "path": self.path,
            "current": self.current,
            "match": None
            if match is None
            else {
                "source": match.source.value,
                "id": match.candidate_id,
                "description": match.description,
                "distance": round(match.distance, 4),
                "strong": match.strong,
            },
            "changes": {c.field: {"old": c.old, "new": c.new} for c in self.changes},
            "applied": self.applied,
            "note": self.note or None,
        }


def render_json(reports: Sequence[ItemReport]) -> str:
    return json.dumps([report.as_json() for report in reports], indent=2, default=str)


def render_text(reports: Sequence[ItemReport]) -> str:
    lines = []
    for report in reports:
        lines.append(f"{report.current}  ({report.path})")
        match = report.match
        if report.note:
            lines.append(f"  {report.note}")
        if match is None:
            lines.append("  no match: left for `beet import -L` or the prompt")
            continue
        strength = "strong" if match.strong else "weak: left for `beet import -L` or the prompt"
        lines.append(
            f"  match: {match.description} [{match.candidate_id}] from {match.source.value},"
            f" distance {match.distance:.3f} ({strength})"
        )
        if not report.changes:
            lines.append("  no field would change")
        for change in report.changes:
            verb = "changed" if report.applied else "would change"
            lines.append(f"  {change.field} {verb}: {change.old!r} -> {change.new!r}")
    applied = sum(report.applied for report in reports)
    strong = sum(bool(report.match and report.match.strong) for report in reports)
    lines.append(
        f"{len(reports)} item(s): {strong} with a strong match"
        + (f", {applied} applied" if applied else "")
    )
    return "\n".join(lines)


@dataclass(frozen=True)
class ArtistIdReport:
    """What ``beet identify --artist-info`` found for an item: the artist ids Last.fm gives
    that it lacks (``new`` of each change), filled or not."""

    item_id: int
    path: str
    current: str
    changes: tuple[FieldChange, ...]
    applied: bool
    asked: bool = True  # False: Last.fm could not be asked (no account, down), so nothing is known

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.item_id,
            "path": self.path,
            "current": self.current,
            "changes": {c.field: {"old": c.old, "new": c.new} for c in self.changes},
            "applied": self.applied,
            "asked": self.asked,
        }


def render_artist_ids_json(reports: Sequence[ArtistIdReport]) -> str:
    return json.dumps([report.as_json() for report in reports], indent=2)


def render_artist_ids_text(reports: Sequence[ArtistIdReport]) -> str:
    lines = []
    for report in reports:
        lines.append(f"{report.current}  ({report.path})")
        if not report.asked:
            lines.append("  not asked: Last.fm could not be reached (above)")
        elif not report.changes:
            lines.append("  no artist id to fill")
        for change in report.changes:
            verb = "changed" if report.applied else "would change"
            lines.append(f"  {change.field} {verb}: {change.old!r} -> {change.new!r}")
    with_ids = sum(bool(report.changes) for report in reports)
    applied = sum(report.applied for report in reports)
    unasked = sum(not report.asked for report in reports)
    lines.append(
        f"{len(reports)} item(s): {with_ids} with artist ids from Last.fm"
        + (f", {applied} filled" if applied else "")
        + (f", {unasked} not asked" if unasked else "")
    )
    return "\n".join(lines)
