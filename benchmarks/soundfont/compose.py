"""A ``Song`` to a Standard MIDI File, and its labels read back from that file.

The score is written with mido (tempo map, 4/4 time signature, key signature, one text event
per section, one track per part); the labels are then read from the file's bytes through
pretty_midi: beats and downbeats from its tempo map and time signature, the key from its key
signature, each section's span from its text event and the parts that really sound in it from
the notes. Humanisation moves notes, never the labelled grid.
"""

from __future__ import annotations

import io
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import mido
import pretty_midi

from benchmarks.soundfont.model import (
    BEATS_PER_BAR,
    DrumKit,
    DrumVoice,
    Key,
    Mode,
    Note,
    Part,
    Section,
    SectionKind,
    Song,
)

TICKS_PER_BEAT = 960
TAIL_SECONDS = 1.5  # rendered after the last bar, for the instruments' release
DRUM_CHANNEL = 9
SECTION_PREFIX = "section:"

# Track name -> (channel, volume CC7, pan CC10).
MIX: dict[str, tuple[int, int, int]] = {
    "melody": (0, 96, 74),
    "chords": (1, 84, 54),
    "bass": (2, 108, 64),
    "drums": (DRUM_CHANNEL, 112, 64),
}
# TimGM6mb's long electronic kicks are pitched (the TR-808 kick is an A, the Electronic kit's
# a D#, the Power kit's a G): the drum channel is transposed to put them on the tonic, within
# a bend range of an octave. The acoustic kits' short kicks stay as they are.
KICK_PITCH_CLASS: dict[DrumKit, int] = {DrumKit.TR808: 9, DrumKit.ELECTRONIC: 3, DrumKit.POWER: 7}
DRUM_BEND_RANGE = 12
MAJOR_KEY_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MINOR_KEY_NAMES = ("Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm")


@dataclass(frozen=True)
class SectionSpan:
    """A section in seconds, with the parts that have notes starting in it."""

    kind: SectionKind
    start: float
    end: float
    parts: frozenset[Part]


@dataclass(frozen=True)
class Labels:
    """What a track is, read from its MIDI. Times in seconds from the start of the audio."""

    tempo: float | None  # BPM over the whole grid; None for beatless families
    beats: tuple[float, ...]  # empty for beatless families
    downbeats: tuple[float, ...]
    key: Key
    sections: tuple[SectionSpan, ...]
    duration: float

    def _first(self, kind: SectionKind) -> SectionSpan | None:
        return next((span for span in self.sections if span.kind is kind), None)

    @property
    def intro_end(self) -> float:
        intro = self._first(SectionKind.INTRO)
        return intro.end if intro else 0.0

    @property
    def breakdown(self) -> tuple[float, float] | None:
        span = self._first(SectionKind.BREAKDOWN)
        return (span.start, span.end) if span else None

    @property
    def drop(self) -> float | None:
        span = self._first(SectionKind.DROP)
        return span.start if span else None


@dataclass(frozen=True)
class Composition:
    song: Song
    midi: bytes  # a Standard MIDI File
    labels: Labels

    def pretty(self) -> pretty_midi.PrettyMIDI:
        return pretty_midi.PrettyMIDI(io.BytesIO(self.midi))


@dataclass(frozen=True)
class _Event:
    beat: float
    pitch: int
    length: float
    velocity: int


def _tempo_map(song: Song) -> list[float]:
    """The tempo of every beat: the nominal tempo, wandering slowly if the song drifts."""
    beats = song.bars * BEATS_PER_BAR
    if song.drift is None:
        return [song.tempo] * beats
    phase = random.Random(song.seed).uniform(0, 2 * math.pi)
    period = song.drift.period_bars * BEATS_PER_BAR
    return [
        song.tempo * (1 + song.drift.depth * math.sin(2 * math.pi * beat / period + phase))
        for beat in range(beats)
    ]


def _swung(beat: float, swing: float) -> float:
    """Delay the off-beat sixteenths (x.25, x.75) by ``swing`` of a sixteenth."""
    if swing and math.isclose((beat * 4) % 2, 1.0, abs_tol=1e-6):
        return beat + swing * 0.25
    return beat


def _section_starts(sections: Sequence[Section]) -> Iterator[tuple[Section, int]]:
    bar = 0
    for section in sections:
        yield section, bar
        bar += section.bars


def _loop(notes: Sequence[Note], loop_bars: int, song: Song, part: Part) -> list[_Event]:
    """The loop's notes wherever ``part`` plays, aligned to the song's bar count (so a part
    entering at bar 12 of a 4-bar loop starts on the loop's bar 0)."""
    events = []
    loop_beats = loop_bars * BEATS_PER_BAR
    for section, first_bar in _section_starts(song.sections):
        if part not in section.parts:
            continue
        begin, end = first_bar * BEATS_PER_BAR, (first_bar + section.bars) * BEATS_PER_BAR
        for loop_start in range(begin - begin % loop_beats, end, loop_beats):
            for note in notes:
                at = loop_start + note.start
                if begin <= at < end:
                    length = min(note.length, end - at)
                    events.append(_Event(at, note.pitch, length, note.velocity))
    return events


def _register(tonic: int, low: int) -> int:
    """The MIDI note of ``tonic`` in the octave starting at ``low``."""
    return low + (tonic - low) % 12


def _melody(song: Song) -> list[_Event]:
    base = _register(song.key.tonic, 60)
    return [
        _Event(e.beat, base + e.pitch, e.length, e.velocity)
        for e in _loop(song.melody, song.loop_bars, song, Part.MELODY)
    ]


def _bass(song: Song) -> list[_Event]:
    base = _register(song.key.tonic, 28)
    return [
        _Event(e.beat, base + e.pitch, e.length, e.velocity)
        for e in _loop(song.bass, song.loop_bars, song, Part.BASS)
    ]


def _chords(song: Song) -> list[_Event]:
    """Each bar's chord in close position between E3 and D#4, on the comping rhythm."""
    strokes = []
    bar = 0
    for chord in song.progression:
        for _ in range(chord.bars):
            for stroke in song.comping:
                for tone in chord.tones:
                    pitch = _register(song.key.tonic + tone, 52)
                    start = bar * BEATS_PER_BAR + stroke.start
                    strokes.append(Note(start, stroke.length, pitch, stroke.velocity))
            bar += 1
    return [
        _Event(e.beat, e.pitch, e.length, e.velocity)
        for e in _loop(strokes, song.loop_bars, song, Part.CHORDS)
    ]


def _drums(song: Song) -> list[_Event]:
    if song.drums is None:
        return []
    as_notes = [Note(hit.beat, 0.25, int(hit.voice), hit.velocity) for hit in song.drums.hits]
    kicks = [n for n in as_notes if n.pitch == DrumVoice.KICK]
    others = [n for n in as_notes if n.pitch != DrumVoice.KICK]
    events = _loop(kicks, song.drums.bars, song, Part.KICK)
    events += _loop(others, song.drums.bars, song, Part.DRUMS)
    for section, first_bar in _section_starts(song.sections):
        if section.kind is SectionKind.DROP and Part.DRUMS in section.parts:
            events.append(_Event(first_bar * BEATS_PER_BAR, DrumVoice.CRASH, 1.0, 100))
    return events


class _Clock:
    """Beats to ticks and seconds through the tempo map (one tempo per beat)."""

    def __init__(self, tempi: Sequence[float]) -> None:
        self.tempi = tempi

    def tempo_at(self, beat: float) -> float:
        return self.tempi[min(len(self.tempi) - 1, max(0, int(beat)))]


def _humanised(
    events: Sequence[_Event], song: Song, clock: _Clock, rng: random.Random
) -> list[tuple[int, int, int, int]]:
    """(on tick, off tick, pitch, velocity) after swing and the humanisation's jitter."""
    out = []
    jitter_ms = song.humanise.timing_ms
    for event in events:
        beat = _swung(event.beat, song.swing)
        if jitter_ms:
            beat += rng.uniform(-jitter_ms, jitter_ms) / 1000 * clock.tempo_at(beat) / 60
        on = max(0, round(beat * TICKS_PER_BEAT))
        off = max(on + 1, round((beat + event.length) * TICKS_PER_BEAT))
        velocity = event.velocity + (
            rng.randint(-song.humanise.velocity, song.humanise.velocity)
            if song.humanise.velocity
            else 0
        )
        out.append((on, off, event.pitch, min(127, max(1, velocity))))
    return out


def _track(
    name: str,
    program: int,
    notes: Sequence[tuple[int, int, int, int]],
    semitones: float,
    bend_range: int = 2,
) -> mido.MidiTrack:
    """One part's track; ``semitones`` (fractional) is a pitch bend held for the whole track."""
    channel, volume, pan = MIX[name]
    timed: list[tuple[int, int, mido.Message]] = [
        (0, 0, mido.Message("program_change", channel=channel, program=program)),
        (0, 0, mido.Message("control_change", channel=channel, control=7, value=volume)),
        (0, 0, mido.Message("control_change", channel=channel, control=10, value=pan)),
    ]
    if bend_range != 2:  # RPN 0, pitch bend sensitivity (2 semitones unless set)
        for control, value in ((101, 0), (100, 0), (6, bend_range), (38, 0)):
            message = mido.Message("control_change", channel=channel, control=control, value=value)
            timed.append((0, 0, message))
    if semitones:
        bend = max(-8192, min(8191, round(semitones / bend_range * 8192)))
        timed.append((0, 0, mido.Message("pitchwheel", channel=channel, pitch=bend)))
    for on, off, pitch, velocity in notes:
        timed.append(
            (on, 2, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity))
        )
        timed.append((off, 1, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))
    return _delta_track(name, timed)


def _delta_track(
    name: str, timed: list[tuple[int, int, mido.Message | mido.MetaMessage]]
) -> mido.MidiTrack:
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=name, time=0))
    now = 0
    for tick, _, message in sorted(timed, key=lambda item: (item[0], item[1])):
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def _conductor(song: Song, tempi: Sequence[float]) -> mido.MidiTrack:
    names = MINOR_KEY_NAMES if song.key.mode is Mode.MINOR else MAJOR_KEY_NAMES
    timed: list[tuple[int, int, mido.Message | mido.MetaMessage]] = [
        (0, 0, mido.MetaMessage("time_signature", numerator=BEATS_PER_BAR, denominator=4)),
        (0, 0, mido.MetaMessage("key_signature", key=names[song.key.tonic % 12])),
    ]
    previous = None
    for beat, tempo in enumerate(tempi):
        micros = round(60_000_000 / tempo)
        if micros != previous:
            timed.append((beat * TICKS_PER_BEAT, 0, mido.MetaMessage("set_tempo", tempo=micros)))
            previous = micros
    for section, first_bar in _section_starts(song.sections):
        tick = first_bar * BEATS_PER_BAR * TICKS_PER_BEAT
        timed.append((tick, 1, mido.MetaMessage("text", text=SECTION_PREFIX + section.kind.value)))
    end = song.bars * BEATS_PER_BAR * TICKS_PER_BEAT
    timed.append((end, 1, mido.MetaMessage("text", text=SECTION_PREFIX + "end")))
    return _delta_track("conductor", timed)


def _kick_to_tonic(song: Song) -> int:
    """Semitones (-6..5) that put a pitched kick on the key's tonic, as producers tune 808s."""
    kick = KICK_PITCH_CLASS.get(song.instruments.kit)
    return 0 if kick is None else (song.key.tonic - kick + 6) % 12 - 6


def _midi_file(song: Song) -> bytes:
    tempi = _tempo_map(song)
    clock = _Clock(tempi)
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(_conductor(song, tempi))
    parts = [
        ("melody", song.instruments.melody, _melody(song)),
        ("chords", song.instruments.chords, _chords(song)),
        ("bass", song.instruments.bass, _bass(song)),
        ("drums", int(song.instruments.kit), _drums(song)),
    ]
    detune = song.detune_cents / 100
    for name, program, events in parts:
        # One random stream per part: songs that share a part's notes and seed (album
        # siblings, a shared intro) share its humanised performance too.
        notes = _humanised(events, song, clock, random.Random(f"{song.seed}:{name}"))
        if name == "drums":
            track = _track(name, program, notes, detune + _kick_to_tonic(song), DRUM_BEND_RANGE)
        else:
            track = _track(name, program, notes, detune)
        midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def _part_of(instrument: pretty_midi.Instrument, pitch: int) -> Part:
    if instrument.is_drum:
        return Part.KICK if pitch == DrumVoice.KICK else Part.DRUMS
    return Part(instrument.name)


def labels_of(midi: bytes, beatless: bool) -> Labels:
    """The labels a MIDI file written by ``compose`` carries (see the module docstring)."""
    score = pretty_midi.PrettyMIDI(io.BytesIO(midi))
    marks = [(text.time, text.text.removeprefix(SECTION_PREFIX)) for text in score.text_events]
    marks = [(time, name) for time, name in marks if name]
    grid_end = next(time for time, name in marks if name == "end")
    onsets = [
        (note.start, _part_of(instrument, note.pitch))
        for instrument in score.instruments
        for note in instrument.notes
    ]
    sections = []
    for (start, name), (end, _) in itertools.pairwise(marks):
        # Humanised notes may start a few ms early: a note belongs to the section whose grid
        # span (widened by 30 ms) holds its start.
        parts = frozenset(part for time, part in onsets if start - 0.03 <= time < end - 0.03)
        sections.append(SectionSpan(SectionKind(name), start, end, parts))
    beats: tuple[float, ...] = ()
    downbeats: tuple[float, ...] = ()
    tempo = None
    if not beatless:
        beats = tuple(float(b) for b in score.get_beats() if b < grid_end - 1e-6)
        downbeats = tuple(float(b) for b in score.get_downbeats() if b < grid_end - 1e-6)
        tempo = 60 * (len(beats) - 1) / (beats[-1] - beats[0]) if len(beats) > 1 else None
    key_number = score.key_signature_changes[0].key_number
    key = Key(key_number % 12, Mode.MINOR if key_number >= 12 else Mode.MAJOR)
    last_note = max((note.end for i in score.instruments for note in i.notes), default=0.0)
    duration = max(grid_end, last_note) + TAIL_SECONDS
    return Labels(
        tempo=tempo,
        beats=beats,
        downbeats=downbeats,
        key=key,
        sections=tuple(sections),
        duration=float(duration),
    )


def compose(song: Song) -> Composition:
    """The song's MIDI file and the labels read back from it."""
    midi = _midi_file(song)
    return Composition(song, midi, labels_of(midi, song.beatless))
