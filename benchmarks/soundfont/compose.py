"""A ``Song`` to a Standard MIDI File, and its labels read back from that file.

The score is written with mido (tempo map, 4/4 time signature, key signature, one text event
per section, one track per part); the labels are then read from the file's bytes through
pretty_midi: beats and downbeats from its tempo map and time signature, the key from its key
signature, each section's span from its text event and the parts that really sound in it from
the notes. Humanisation moves notes, never the labelled grid; a lead-in of silence moves the
whole grid.
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


@dataclass(frozen=True)
class Strip:
    """A part's MIDI channel and mixer settings, written as CC 7 (volume), 10 (pan) and 91
    (reverb send, applied by ``render``: TinySoundFont has no reverb of its own)."""

    channel: int
    volume: int
    pan: int
    reverb_send: int


# Track name -> its strip.
MIX: dict[str, Strip] = {
    "melody": Strip(0, 104, 74, 64),
    "chords": Strip(1, 97, 54, 84),
    "bass": Strip(2, 91, 64, 8),
    "drums": Strip(DRUM_CHANNEL, 89, 64, 28),
}
# TimGM6mb's long electronic kicks are pitched: most of the TR-808 kick's energy is on A1, the
# Electronic kit's (a falling sweep) on F2, the Power kit's on D#2 (constant-Q energy of one
# hit). Producers tune such kicks to the key: the drum channel is transposed to put them on the
# tonic, within a bend range of an octave. The acoustic kits' short kicks stay as they are.
KICK_PITCH_CLASS: dict[DrumKit, int] = {DrumKit.TR808: 9, DrumKit.ELECTRONIC: 5, DrumKit.POWER: 3}
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
    events = _loop(others, song.drums.bars, song, Part.DRUMS)
    if song.drums.fill:
        fill_from = min(hit.beat for hit in song.drums.fill)
        for section, first_bar in list(_section_starts(song.sections))[:-1]:
            if Part.DRUMS not in section.parts:
                continue
            bar = (first_bar + section.bars - 1) * BEATS_PER_BAR
            events = [e for e in events if not bar + fill_from <= e.beat < bar + BEATS_PER_BAR]
            events += [
                _Event(bar + hit.beat, int(hit.voice), 0.25, hit.velocity)
                for hit in song.drums.fill
            ]
    events += _loop(kicks, song.drums.bars, song, Part.KICK)
    for section, first_bar in _section_starts(song.sections):
        if section.kind is SectionKind.DROP and Part.DRUMS in section.parts:
            events.append(_Event(first_bar * BEATS_PER_BAR, DrumVoice.CRASH, 1.0, 100))
    return events


@dataclass(frozen=True)
class _Played:
    """A note as played: MIDI ticks, pitch and velocity."""

    on: int
    off: int
    pitch: int
    velocity: int


def _humanised(
    events: Sequence[_Event], song: Song, tempi: Sequence[float], lead_in: int, rng: random.Random
) -> list[_Played]:
    """The events after swing and the humanisation's jitter (``tempi``: one per beat), in
    ticks from the file's start (the grid starts ``lead_in`` ticks in)."""
    played = []
    jitter_ms, spread = song.humanise.timing_ms, song.humanise.velocity
    for event in events:
        beat = _swung(event.beat, song.swing)
        if jitter_ms:
            tempo = tempi[min(len(tempi) - 1, max(0, int(beat)))]
            beat += rng.uniform(-jitter_ms, jitter_ms) / 1000 * tempo / 60
        on = max(0, lead_in + round(beat * TICKS_PER_BEAT))
        off = max(on + 1, lead_in + round((beat + event.length) * TICKS_PER_BEAT))
        velocity = event.velocity + (rng.randint(-spread, spread) if spread else 0)
        played.append(_Played(on, off, event.pitch, min(127, max(1, velocity))))
    return played


def _track(
    name: str,
    program: int,
    notes: Sequence[_Played],
    semitones: float,
    bend_range: int = 2,
) -> mido.MidiTrack:
    """One part's track; ``semitones`` (fractional) is a pitch bend held for the whole track."""
    strip = MIX[name]
    channel = strip.channel
    timed: list[tuple[int, int, mido.Message]] = [
        (0, 0, mido.Message("program_change", channel=channel, program=program)),
    ]
    for control, value in ((7, strip.volume), (10, strip.pan), (91, strip.reverb_send)):
        message = mido.Message("control_change", channel=channel, control=control, value=value)
        timed.append((0, 0, message))
    if bend_range != 2:  # RPN 0, pitch bend sensitivity (2 semitones unless set)
        for control, value in ((101, 0), (100, 0), (6, bend_range), (38, 0)):
            message = mido.Message("control_change", channel=channel, control=control, value=value)
            timed.append((0, 0, message))
    if semitones:
        bend = max(-8192, min(8191, round(semitones / bend_range * 8192)))
        timed.append((0, 0, mido.Message("pitchwheel", channel=channel, pitch=bend)))
    for note in notes:
        on = mido.Message("note_on", channel=channel, note=note.pitch, velocity=note.velocity)
        off = mido.Message("note_off", channel=channel, note=note.pitch, velocity=0)
        timed += [(note.on, 2, on), (note.off, 1, off)]
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


def _conductor(song: Song, tempi: Sequence[float], lead_in: int) -> mido.MidiTrack:
    names = MINOR_KEY_NAMES if song.key.mode is Mode.MINOR else MAJOR_KEY_NAMES
    timed: list[tuple[int, int, mido.Message | mido.MetaMessage]] = [
        (0, 0, mido.MetaMessage("time_signature", numerator=BEATS_PER_BAR, denominator=4)),
        (0, 0, mido.MetaMessage("key_signature", key=names[song.key.tonic % 12])),
    ]
    previous = None
    for beat, tempo in enumerate(tempi):
        micros = round(60_000_000 / tempo)
        if micros != previous:
            tick = 0 if beat == 0 else lead_in + beat * TICKS_PER_BEAT  # the lead-in at beat 0's
            timed.append((tick, 0, mido.MetaMessage("set_tempo", tempo=micros)))
            previous = micros
    for section, first_bar in _section_starts(song.sections):
        tick = lead_in + first_bar * BEATS_PER_BAR * TICKS_PER_BEAT
        timed.append((tick, 1, mido.MetaMessage("text", text=SECTION_PREFIX + section.kind.value)))
    end = lead_in + song.bars * BEATS_PER_BAR * TICKS_PER_BEAT
    timed.append((end, 1, mido.MetaMessage("text", text=SECTION_PREFIX + "end")))
    return _delta_track("conductor", timed)


def _kick_to_tonic(song: Song) -> int:
    """Semitones (-6..5) that put a pitched kick on the key's tonic, as producers tune 808s."""
    kick = KICK_PITCH_CLASS.get(song.instruments.kit)
    return 0 if kick is None else (song.key.tonic - kick + 6) % 12 - 6


def _midi_file(song: Song) -> bytes:
    tempi = _tempo_map(song)
    lead_in = round(song.lead_in * tempi[0] / 60 * TICKS_PER_BEAT)
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(_conductor(song, tempi, lead_in))
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
        notes = _humanised(events, song, tempi, lead_in, random.Random(f"{song.seed}:{name}"))
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
    marks = [
        (float(text.time), text.text.removeprefix(SECTION_PREFIX)) for text in score.text_events
    ]
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
        sections.append(SectionSpan(SectionKind(name), float(start), float(end), parts))
    beats: tuple[float, ...] = ()
    downbeats: tuple[float, ...] = ()
    tempo = None
    if not beatless:
        # The grid from the first section's mark to the end mark, a beat every denominator
        # note of the time signature, through the file's tempo map.
        signature = score.time_signature_changes[0]
        step = score.resolution * 4 // signature.denominator
        first, last = score.time_to_tick(marks[0][0]), score.time_to_tick(grid_end)
        beats = tuple(float(score.tick_to_time(tick)) for tick in range(first, last, step))
        downbeats = beats[:: signature.numerator]
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
