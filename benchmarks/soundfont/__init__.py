"""Held-out labelled audio: songs written as MIDI and rendered through a General MIDI SoundFont.

The DJ engine's held-out evaluation (#14) and the duplicate finder's held-out corpus (#15) need
music that shares no code path for rhythm, harmony or timbre with the generators the engines
were tuned on (``beetcrate/synth/``, the synthesizer in ``benchmarks/dj_bench.py``,
``benchmarks/dupes/synthetic.py``). Those compute oscillators, envelopes and noise drums in
numpy. This package writes a score instead (``model.Song``: nine families' drum patterns with
fills, seventh-chord progressions, melodies with harmonic minor under a minor key's V7, bass
lines, DJ arrangements with kickless breakdowns, swing, humanisation, detune, tempo drift, a
lead-in) as a Standard MIDI File (``compose``), and plays it through TinySoundFont with the
sampled instruments and drum kits of a General MIDI SoundFont, TimGM6mb, plus a room reverb on
each part's CC 91 send (``render``). The labels (tempo, beats, downbeats, key, sections and the
parts playing in each) are read back from the MIDI file itself.

    song = random_song(Family.HOUSE, random.Random(1), seconds=60)
    composition = compose(song)                   # MIDI bytes + labels
    audio = render(composition)                   # float32 (2, samples) at 44.1 kHz
    write(audio, 44100, Path("a.flac"), FORMATS["flac24"])
    build_set(Path("out"), seed=7, per_family=2)  # files + labels.json (schema: ``corpus``)

or ``python -m benchmarks.soundfont DEST --seed N --per-family K [--seconds S] [--formats ...]
[--families ...] [--sample-rate R] [--midi] [--live]``; ``python -m benchmarks.soundfont.speed``
times composing and rendering (about 80 times real time on one core at 44.1 kHz).

Related tracks are ``dataclasses.replace(song, ...)`` (see ``model``); ``variants`` makes the
usual ones (radio edit, extended mix, album sibling, shared intro, cover, remix, live take).

Needs pretty_midi (the ``test`` extra) and tinysoundfont, installed with ``pip install
--no-deps tinysoundfont`` (it declares pyaudio for live playback, which is never used here).
Nothing is downloaded at run time.

Licences: TinySoundFont and its Python binding (tinysoundfont) are MIT; pretty_midi is MIT;
TimGM6mb.sf2 by Tim Brechbill is GPL-2 and is read from the installed pretty_midi wheel at
benchmark time only: it is not copied into this repository, and the rendered sets (generated
data, never committed) are not redistributed.
"""

from benchmarks.soundfont.compose import Composition, Labels, SectionSpan, compose
from benchmarks.soundfont.corpus import LabelledTrack, build_set
from benchmarks.soundfont.model import (
    DrumKit,
    Family,
    Humanise,
    Instruments,
    Key,
    Mode,
    Part,
    Reverb,
    Section,
    SectionKind,
    Song,
    TempoDrift,
)
from benchmarks.soundfont.render import FORMATS, AudioFormat, Codec, render, write
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

__all__ = [
    "FORMATS",
    "AudioFormat",
    "Codec",
    "Composition",
    "DrumKit",
    "Family",
    "Humanise",
    "Instruments",
    "Key",
    "LabelledTrack",
    "Labels",
    "Mode",
    "Part",
    "Reverb",
    "Section",
    "SectionKind",
    "SectionSpan",
    "Song",
    "TempoDrift",
    "album_sibling",
    "build_set",
    "compose",
    "cover",
    "extended_mix",
    "live_take",
    "radio_edit",
    "random_song",
    "remix",
    "render",
    "shared_intro",
    "write",
]
