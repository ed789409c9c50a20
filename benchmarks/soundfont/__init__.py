"""Held-out labelled audio: songs written as MIDI and rendered through a General MIDI SoundFont.

The DJ engine's held-out evaluation (#14) and the duplicate finder's held-out corpus (#15) need
music that shares no code path for rhythm, harmony or timbre with the generators the engine was
tuned on (``beetcrate/synth/``, the synthesizer in ``benchmarks/dj_bench.py``,
``benchmarks/dupes/synthetic.py``). Those compute oscillators, envelopes and noise drums in
numpy; this package instead writes a score (``model.Song``: family patterns, seventh-chord
progressions, melodies with harmonic minor, arrangements) as a Standard MIDI File and plays it
through TinySoundFont with sampled General MIDI instruments and drum kits (TimGM6mb). Labels
(tempo, beats, downbeats, key, sections) are read back from the MIDI file itself.

    song = random_song(Family.HOUSE, random.Random(1), seconds=60)
    composition = compose(song)                   # MIDI bytes + labels
    audio = render(composition)                   # float32 (2, samples) at 44.1 kHz
    write(audio, 44100, Path("a.flac"), FORMATS["flac24"])
    build_set(Path("out"), seed=7, per_family=2)  # files + labels.json

Related tracks are ``dataclasses.replace(song, ...)`` (see ``model``); ``variants`` makes the
usual ones (radio edit, extended mix, album sibling, shared intro, cover, remix, live take).

Licences: TinySoundFont and its Python binding (tinysoundfont) are MIT; pretty_midi is MIT;
TimGM6mb.sf2 by Tim Brechbill is GPL-2 and is read from the installed pretty_midi wheel at
benchmark time only: it is not copied into this repository, and the rendered sets (generated
data, never committed) are not redistributed. Both packages are test-only dependencies.
"""

from benchmarks.soundfont.compose import Composition, Labels, SectionSpan, compose
from benchmarks.soundfont.corpus import LabelledTrack, build_set
from benchmarks.soundfont.model import Family, Key, Mode, Song
from benchmarks.soundfont.render import FORMATS, AudioFormat, Codec, render, write
from benchmarks.soundfont.styles import random_song

__all__ = [
    "FORMATS",
    "AudioFormat",
    "Codec",
    "Composition",
    "Family",
    "Key",
    "LabelledTrack",
    "Labels",
    "Mode",
    "SectionSpan",
    "Song",
    "build_set",
    "compose",
    "random_song",
    "render",
    "write",
]
