"""The LRC parser on the forms lyrics come in, and on odd input (seeded random text)."""

from __future__ import annotations

import random

import pytest

from subsonic.lrc import Line, parse


def _timed(text: str) -> list[tuple[int | None, str]]:
    return [(line.start_ms, line.text) for line in parse(text).lines]


@pytest.mark.parametrize(
    ("stamp", "start_ms"),
    [
        ("[01:02]", 62_000),
        ("[01:02.5]", 62_500),
        ("[01:02.34]", 62_340),
        ("[01:02.345]", 62_345),
        ("[1:02.34]", 62_340),
        ("[125:00.00]", 7_500_000),
        ("[01:02:03.45]", 3_723_450),
    ],
)
def test_time_tags_of_every_precision_give_milliseconds(stamp: str, start_ms: int) -> None:
    assert _timed(f"{stamp}Words") == [(start_ms, "Words")]


def test_metadata_tags_are_read_and_not_shown_as_lines() -> None:
    lyrics = parse(
        "[ar: Muse]\n[ti:Hysteria]\n[al:Absolution]\n[by:someone]\n[length: 03:47]\n"
        "[offset:+250]\n[la:en]\n[re:tool 1.0]\n[#:a comment]\n[00:01.00]It's bugging me\n"
    )
    assert (lyrics.artist, lyrics.title, lyrics.offset_ms, lyrics.language) == (
        "Muse",
        "Hysteria",
        250,
        "en",
    )
    assert lyrics.lines == (Line("It's bugging me", 1000),)


@pytest.mark.parametrize(("tag", "offset"), [("-100", -100), ("+0", 0), ("soon", 0), ("", 0)])
def test_offset_is_signed_milliseconds_and_zero_when_unreadable(tag: str, offset: int) -> None:
    assert parse(f"[offset:{tag}]\n[00:01.00]a").offset_ms == offset


def test_lang_is_an_alias_of_la() -> None:
    assert parse("[lang:ja]\n[00:01.00]a").language == "ja"


def test_a_line_with_several_times_repeats_and_lines_come_in_time_order() -> None:
    text = "[00:10.00][00:30.00]Chorus\n[00:20.00]Verse\n[00:40.00] [00:50.00] Outro"
    assert _timed(text) == [
        (10_000, "Chorus"),
        (20_000, "Verse"),
        (30_000, "Chorus"),
        (40_000, "Outro"),
        (50_000, "Outro"),
    ]


def test_enhanced_word_stamps_are_removed_and_the_line_keeps_its_start() -> None:
    text = "[00:12.00]<00:12.00>Hello <00:12.50>big <00:12.80> world<00:13.40>\n"
    assert _timed(text) == [(12_000, "Hello big world")]


def test_an_empty_timed_line_stays_as_a_pause() -> None:
    assert _timed("[00:01.00]Sing\n[00:05.00]\n[00:09.00]Again") == [
        (1000, "Sing"),
        (5000, ""),
        (9000, "Again"),
    ]


def test_in_synced_lyrics_untimed_lines_continue_the_line_above_and_headers_go() -> None:
    text = "Lyrics by Someone\n\n[00:01.00]First line\nwraps here\n\n[00:04.00]Second"
    assert _timed(text) == [(1000, "First line\nwraps here"), (4000, "Second")]


def test_text_without_times_is_unsynced_with_stanzas_kept() -> None:
    lyrics = parse("\n\nVerse one\r\nline two\n\n\n\nVerse two\n\n")
    assert lyrics.synced is False
    assert [line.text for line in lyrics.lines] == ["Verse one", "line two", "", "Verse two"]
    assert all(line.start_ms is None for line in lyrics.lines)
    assert lyrics.plain_text == "Verse one\nline two\n\nVerse two"


def test_section_headers_in_plain_lyrics_are_text_not_metadata() -> None:
    lyrics = parse("[Chorus: Someone]\nLa la\n[Verse 1]\nDa da")
    assert lyrics.synced is False
    assert lyrics.plain_text == "[Chorus: Someone]\nLa la\n[Verse 1]\nDa da"


def test_a_byte_order_mark_and_a_time_inside_a_line_do_not_confuse_it() -> None:
    assert _timed("\ufeff[00:02.00]at 2 [00:09.00] inside") == [(2000, "at 2 [00:09.00] inside")]


def test_metadata_only_has_no_words() -> None:
    lyrics = parse("[ar:Someone]\n[ti:Nothing]\n")
    assert lyrics.lines == () and not lyrics.has_words


ALPHABET = "[]<>:.0123456789 abcxyz\n\r\t\ufeffé#+-"


def test_any_text_parses_into_well_formed_lyrics() -> None:
    for seed in range(500):
        rng = random.Random(seed)
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 120)))
        lyrics = parse(text)
        starts = [line.start_ms for line in lyrics.lines]
        if lyrics.synced:
            assert all(start is not None and start >= 0 for start in starts), text
            assert starts == sorted(start or 0 for start in starts), text
        else:
            assert set(starts) <= {None}, text
            assert all("\n" not in line.text for line in lyrics.lines), text
        assert all(line.text == line.text.strip() for line in lyrics.lines), text


def _lrc(lines: list[Line]) -> str:
    return "\n".join(
        f"[{(line.start_ms or 0) // 60000:02d}:{(line.start_ms or 0) % 60000 / 1000:06.3f}]"
        + line.text
        for line in lines
    )


def test_lrc_written_from_lines_parses_back_to_the_same_lines() -> None:
    words = ["love", "night", "é", "42", "la-la", "don't", "(oh)", "a [b] c"]
    for seed in range(200):
        rng = random.Random(seed)
        lines = sorted(
            (
                Line(" ".join(rng.choices(words, k=rng.randrange(0, 5))), rng.randrange(600_000))
                for _ in range(rng.randrange(1, 20))
            ),
            key=lambda line: line.start_ms or 0,
        )
        assert parse(_lrc(lines)).lines == tuple(lines), _lrc(lines)
