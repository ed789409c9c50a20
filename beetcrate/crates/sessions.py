"""Listening sessions: a user's play history cut where they stopped listening for a while.

A session starts with a play that follows at least ``gap`` seconds without one (or the user's
first play) and ends when the next play is that far away. Gaps are measured between the
``played_at`` of consecutive plays, the one moment the history records of each: the history
does not know when a song was paused or skipped, and a song's length is small beside a gap of
hours. A session is *finished* once ``gap`` has passed since its last play; until then more
plays may join it, so it is reported but not yet made a playlist.

The end of a session is when its last song ended: the last play plus that song's length when
the catalog knows it (a session of one three-minute song lasts "3 min", not nothing), else the
last play itself. Everything here is pure: the callers read ``user_plays`` and the tracks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from itertools import groupby
from operator import attrgetter

from beetcrate.crates.tracks import MIX_TEMPO_RANGE, Track, mixable, tempo_ratio


@dataclass(frozen=True)
class Play:
    """One row of ``user_plays``; ``length`` is the song's length in seconds, None if unknown."""

    user: str
    item_id: int
    played_at: float  # unix seconds
    length: float | None = None


@dataclass(frozen=True)
class Session:
    """A user's plays, in play order, with no gap of ``gap`` seconds between two of them."""

    user: str
    plays: tuple[Play, ...]
    finished: bool

    @property
    def start(self) -> float:
        return self.plays[0].played_at

    @property
    def end(self) -> float:
        """When the last song ended, as far as the history knows (see the module's doc)."""
        last = self.plays[-1]
        return last.played_at + (last.length or 0.0)

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def item_ids(self) -> tuple[int, ...]:
        return tuple(play.item_id for play in self.plays)


def sessions(plays: Iterable[Play], gap_seconds: float, now: float) -> list[Session]:
    """The sessions in ``plays`` (any order, any users), by user and then start.

    A play at least ``gap_seconds`` after the previous one starts a new session: exactly the
    gap counts as a break, so the boundary is the same one that finishes a session. Plays at
    the same moment keep the order they were given in (the table's id order)."""
    ordered = sorted(plays, key=attrgetter("user", "played_at"))
    found: list[Session] = []
    for user, own in groupby(ordered, key=attrgetter("user")):
        run: list[Play] = []
        for play in own:
            if run and play.played_at - run[-1].played_at >= gap_seconds:
                found.append(Session(user, tuple(run), finished=True))
                run = []
            run.append(play)
        found.append(Session(user, tuple(run), finished=now - run[-1].played_at >= gap_seconds))
    return found


def title(session: Session, tz: tzinfo) -> str:
    """The session's playlist name: "Session 2026-11-30 21:04, 2 h 13 min, 38 tracks", with
    the start in the user's local time ``tz``."""
    started = datetime.fromtimestamp(session.start, tz).strftime("%Y-%m-%d %H:%M")
    count = len(session.plays)
    tracks = f"{count} track" if count == 1 else f"{count} tracks"
    return f"Session {started}, {duration_text(session.duration)}, {tracks}"


def duration_text(seconds: float) -> str:
    """A duration to the nearest minute, as "2 h 13 min", "2 h" or "3 min"; "< 1 min" for less
    than half a minute (a single play whose length is unknown)."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "< 1 min"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@dataclass(frozen=True)
class Transition:
    """One step of a session, from one track to the next, as a DJ would judge the mix.

    ``harmonic`` and ``in_tempo`` are None when a key or tempo is unknown: an unanalysed track
    says nothing about the mix, so it neither counts for nor against it."""

    source: Track
    target: Track
    harmonic: bool | None
    in_tempo: bool | None
    mixable: bool


@dataclass(frozen=True)
class TransitionSummary:
    """The steps of a session and how many of them mixed."""

    steps: tuple[Transition, ...]

    @property
    def harmonic(self) -> int:
        return sum(step.harmonic is True for step in self.steps)

    @property
    def in_tempo(self) -> int:
        return sum(step.in_tempo is True for step in self.steps)

    @property
    def mixable(self) -> int:
        return sum(step.mixable for step in self.steps)

    @property
    def share_harmonic(self) -> float | None:
        """The share of the steps whose keys are both known that were harmonic; None when no
        step's keys are known (a session of unanalysed tracks is not 0 % harmonic)."""
        known = [step.harmonic for step in self.steps if step.harmonic is not None]
        return sum(known) / len(known) if known else None


def transition(source: Track, target: Track) -> Transition:
    """How ``target`` followed ``source``: keys compatible on the Camelot wheel, tempos within
    the pitch fader's range (``tracks.MIX_TEMPO_RANGE``, half and double time allowed)."""
    harmonic = (
        None if source.key is None or target.key is None else target.key in source.key.mixes_into()
    )
    ratio = tempo_ratio(source.bpm, target.bpm)
    in_tempo = None if ratio is None else ratio <= MIX_TEMPO_RANGE
    return Transition(source, target, harmonic, in_tempo, mixable(source, target))


def transitions(tracks: Sequence[Track]) -> TransitionSummary:
    """Every step of ``tracks`` in play order (one fewer than the tracks)."""
    return TransitionSummary(tuple(map(transition, tracks, tracks[1:])))
