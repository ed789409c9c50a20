"""Listening sessions cut from play histories, their titles, transitions and the gap setting."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

import pytest

from beetcrate.crates.keys import parse_key
from beetcrate.crates.sessions import Play, Session, sessions, title, transitions
from beetcrate.crates.tracks import Track
from beetcrate.durations import BadDuration, parse_duration
from beetcrate.settings import CRATE_DEFAULTS

HOUR = 3600.0
GAP = 4 * HOUR
# 2026-11-30 21:04 UTC
EVENING = 1_796_072_640.0


def plays(user: str, *offsets: float, item: int = 1) -> list[Play]:
    return [Play(user, item + n, EVENING + offset) for n, offset in enumerate(offsets)]


def track(id: int, bpm: float | None, key: str | None) -> Track:
    return Track(id, f"/music/{id}.flac", f"t{id}", "a", bpm, parse_key(key) if key else None)


def test_a_silence_of_exactly_the_gap_starts_a_new_session() -> None:
    found = sessions(plays("ann", 0, GAP), GAP, now=EVENING + 10 * HOUR)
    assert [s.item_ids for s in found] == [(1,), (2,)]


def test_a_silence_just_under_the_gap_keeps_the_session() -> None:
    found = sessions(plays("ann", 0, GAP - 1), GAP, now=EVENING + 10 * HOUR)
    assert [s.item_ids for s in found] == [(1, 2)]


def test_plays_of_two_users_interleaved_make_sessions_of_their_own() -> None:
    history = [
        Play("bob", 10, EVENING),
        Play("ann", 1, EVENING + 60),
        Play("bob", 11, EVENING + 120),
        Play("ann", 2, EVENING + 180),
    ]
    found = sessions(history, GAP, now=EVENING + 10 * HOUR)
    assert [(s.user, s.item_ids) for s in found] == [("ann", (1, 2)), ("bob", (10, 11))]


def test_unsorted_plays_are_put_in_play_order() -> None:
    history = plays("ann", 0, 60, 120, 5 * HOUR)
    found = sessions(reversed(history), GAP, now=EVENING + 10 * HOUR)
    assert [s.item_ids for s in found] == [(1, 2, 3), (4,)]


def test_plays_at_the_same_moment_keep_the_order_given() -> None:
    history = [Play("ann", 2, EVENING), Play("ann", 1, EVENING)]
    assert sessions(history, GAP, now=EVENING)[0].item_ids == (2, 1)


def test_the_last_session_runs_until_the_gap_has_passed_since_its_last_play() -> None:
    history = plays("ann", 0, 5 * HOUR)
    running = sessions(history, GAP, now=EVENING + 5 * HOUR + GAP - 1)
    finished = sessions(history, GAP, now=EVENING + 5 * HOUR + GAP)
    assert [s.finished for s in running] == [True, False]
    assert [s.finished for s in finished] == [True, True]


def test_no_plays_no_sessions() -> None:
    assert sessions([], GAP, now=EVENING) == []


def test_a_session_ends_when_its_last_song_ended() -> None:
    session = Session("ann", (Play("ann", 1, EVENING), Play("ann", 2, EVENING + 200, 180)), True)
    assert (session.start, session.end, session.duration) == (EVENING, EVENING + 380, 380)


def test_title_gives_local_start_duration_and_track_count() -> None:
    history = [Play("ann", n, EVENING + n * 210, 210) for n in range(38)]
    (session,) = sessions(history, GAP, now=EVENING + 10 * HOUR)
    assert session.duration == 2 * HOUR + 13 * 60
    assert title(session, UTC) == "Session 2026-11-30 21:04, 2 h 13 min, 38 tracks"
    later = timezone(timedelta(hours=2))
    assert title(session, later) == "Session 2026-11-30 23:04, 2 h 13 min, 38 tracks"


@pytest.mark.parametrize(
    ("length", "text"),
    [(180.0, "3 min, 1 track"), (None, "< 1 min, 1 track"), (2 * HOUR, "2 h, 1 track")],
)
def test_title_of_a_single_play_lasts_its_song(length: float | None, text: str) -> None:
    session = Session("ann", (Play("ann", 1, EVENING, length),), finished=True)
    assert title(session, UTC) == f"Session 2026-11-30 21:04, {text}"


def test_transitions_count_harmonic_in_tempo_and_mixable_steps() -> None:
    summary = transitions(
        [
            track(1, 124, "8A"),
            track(2, 126, "9A"),  # harmonic, in tempo: mixes
            track(3, 140, "9B"),  # harmonic, 11 % faster
            track(4, 70, "2A"),  # half time of 140, but a clash
            track(5, 70, None),  # key unknown
        ]
    )
    assert [(s.harmonic, s.in_tempo, s.mixable) for s in summary.steps] == [
        (True, True, True),
        (True, False, False),
        (False, True, False),
        (None, True, False),
    ]
    assert (summary.harmonic, summary.in_tempo, summary.mixable) == (2, 3, 1)
    assert summary.share_harmonic == pytest.approx(2 / 3)
    assert [(s.source.id, s.target.id) for s in summary.steps][:2] == [(1, 2), (2, 3)]


def test_share_harmonic_is_unknown_without_analysed_keys() -> None:
    assert transitions([track(1, 120, None), track(2, 120, None)]).share_harmonic is None
    assert transitions([track(1, 120, "8A")]).steps == ()


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("4h", 4 * HOUR),
        ("90m", 90 * 60),
        ("30 min", 30 * 60),
        ("3600", HOUR),
        (3600, HOUR),
        (" 1h 30m ", 1.5 * HOUR),
        ("2 Hours", 2 * HOUR),
        ("1.5h", 1.5 * HOUR),
        (CRATE_DEFAULTS["session_gap"], 4 * HOUR),
    ],
)
def test_durations_parse_to_seconds(value: str | int, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "h", "4 fortnights", "four hours", "4h-", "1h 30", "-1h"])
def test_bad_durations_name_the_value(value: str) -> None:
    with pytest.raises(BadDuration, match="not a duration"):
        parse_duration(value)


@pytest.mark.parametrize("value", [0, "0h", -5])
def test_durations_must_be_positive(value: str | int) -> None:
    with pytest.raises(BadDuration, match="more than nothing"):
        parse_duration(value)
