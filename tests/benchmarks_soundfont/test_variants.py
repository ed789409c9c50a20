"""Related songs share what they claim to share, and only that."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from benchmarks.soundfont import Family, Song, compose, render
from benchmarks.soundfont.model import Part, SectionKind
from benchmarks.soundfont.styles import random_song
from benchmarks.soundfont.variants import (
    album_sibling,
    cover,
    extended_mix,
    live_take,
    radio_edit,
    remix,
    shared_intro,
)

RATE = 22050


def song_of(family: Family, seconds: float = 30.0) -> Song:
    return random_song(family, random.Random(f"variants:{family.value}"), seconds=seconds)


def melody_pitches(song: Song) -> list[int]:
    score = compose(song).pretty()
    melody = next(instrument for instrument in score.instruments if instrument.name == "melody")
    return [note.pitch for note in sorted(melody.notes, key=lambda note: note.start)]


def test_a_shared_intro_is_the_same_audio_until_the_bodies_part() -> None:
    first, second = shared_intro(song_of(Family.HOUSE), random.Random(1))
    a, b = compose(first), compose(second)
    intro_end = a.labels.intro_end
    assert a.labels.sections[0].parts == {Part.KICK, Part.DRUMS}
    assert intro_end == b.labels.intro_end > 0
    audio_a, audio_b = render(a, RATE), render(b, RATE)
    # Compared before loudness normalisation could differ: the raw intro samples agree up to a
    # gain, and the bodies do not.
    head = int((intro_end - 0.05) * RATE)
    gain = np.dot(audio_a[:, :head].ravel(), audio_b[:, :head].ravel()) / np.dot(
        audio_b[:, :head].ravel(), audio_b[:, :head].ravel()
    )
    assert np.allclose(audio_a[:, :head], gain * audio_b[:, :head], atol=1e-4)
    body = slice(int((intro_end + 1) * RATE), int((intro_end + 5) * RATE))
    assert not np.allclose(audio_a[:, body], gain * audio_b[:, body], atol=1e-2)
    assert first.progression != second.progression


def test_radio_edit_and_extended_mix_rearrange_the_same_song() -> None:
    song = song_of(Family.DRUM_AND_BASS, seconds=60)
    edit, extended = radio_edit(song), extended_mix(song)
    lengths = [compose(s).labels.duration for s in (edit, song, extended)]
    assert lengths == sorted(lengths) and lengths[0] < lengths[1] < lengths[2]
    assert SectionKind.OUTRO not in {section.kind for section in edit.sections}
    assert extended.sections[0].bars == 2 * song.sections[0].bars
    assert edit.melody == song.melody == extended.melody


def test_a_cover_plays_the_melody_in_another_key_and_tempo() -> None:
    song = song_of(Family.BOOM_BAP)
    covered = cover(song, random.Random(2))
    assert covered.key.tonic != song.key.tonic and covered.tempo != song.tempo
    assert covered.instruments.melody != song.instruments.melody
    shift = (covered.key.tonic - song.key.tonic) % 12
    original, transposed = melody_pitches(song), melody_pitches(covered)
    assert len(original) == len(transposed)
    assert {(b - a) % 12 for a, b in zip(original, transposed, strict=True)} == {shift}


def test_a_remix_keeps_the_melody_over_another_familys_drums_and_tempo() -> None:
    song = song_of(Family.GARAGE)
    remixed = remix(song, random.Random(3), Family.DRUM_AND_BASS)
    assert remixed.family is Family.DRUM_AND_BASS and 160 <= remixed.tempo <= 180
    assert remixed.drums != song.drums and remixed.melody == song.melody
    labels = compose(remixed).labels
    assert labels.tempo is not None and abs(labels.tempo - remixed.tempo) < 0.01
    # About as long as the original.
    assert abs(labels.duration - compose(song).labels.duration) < 6


def test_an_album_sibling_shares_tempo_key_and_instruments_not_the_tune() -> None:
    song = song_of(Family.TRAP)
    sibling = album_sibling(song, random.Random(4))
    assert (sibling.tempo, sibling.key, sibling.instruments) == (
        song.tempo,
        song.key,
        song.instruments,
    )
    assert sibling.progression != song.progression and sibling.melody != song.melody


def test_a_live_take_drifts_and_plays_looser() -> None:
    song = song_of(Family.BREAKBEAT)
    live = live_take(song, random.Random(5))
    assert live.drift is not None and live.humanise.timing_ms >= 10
    intervals = np.diff(compose(live).labels.beats)
    assert intervals.max() / intervals.min() > 1.02


def test_a_song_midi_cannot_carry_is_refused_in_one_line() -> None:
    song = song_of(Family.HOUSE)
    with pytest.raises(ValueError, match=r"^song: tempo 0 BPM is not in 20-400$"):
        replace(song, tempo=0)
    with pytest.raises(ValueError, match=r"^song: a section is empty$"):
        replace(song, sections=())
