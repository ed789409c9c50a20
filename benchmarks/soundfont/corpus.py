"""A labelled set of rendered tracks: audio files in mixed formats and ``labels.json``.

``labels.json`` (``LABELS_SCHEMA`` = 1)::

    {
      "schema": 1, "generator": "benchmarks.soundfont", "generator_version": 2,
      "seed": 7, "per_family": 2,
      "seconds": 180.0, "sample_rate": 44100, "soundfont": "TimGM6mb.sf2",
      "formats": ["flac16", "wav16", "vorbis_160k", "mp3_192k"],  # drawn from, per track
      "live": false,                         # every song a live take (``variants.live_take``)
      "tracks": [
        {
          "file": "house-00.flac",           # beside labels.json
          "family": "house",                 # model.Family value
          "format": "flac16",                # render.FORMATS key
          "tempo": 124.0,                    # BPM, null for the beatless family (ambient)
          "beats": [0.0, 0.4839, ...],       # seconds; [] when beatless
          "downbeats": [0.0, 1.9355, ...],   # seconds, the first beat of every 4/4 bar
          "key": {"tonic": 9, "mode": "minor", "name": "A minor"},  # nominal (tonic: C = 0)
          "detune_cents": 0.0,               # whole-track tuning offset (key stays nominal)
          "swing": 0.05, "tempo_drift": null,  # drift depth (fraction) when a live take
          "lead_in": 0.42,                   # seconds of silence before the first bar
          "sections": [{"kind": "intro", "start": 0.0, "end": 15.48,
                        "parts": ["bass", "drums", "kick"]}, ...],
          "intro_end": 15.48,                # end of the intro
          "breakdown_start": 61.9, "breakdown_end": 77.4,  # null when none
          "drop": 77.4,                      # start of the drop, null when none
          "duration": 187.3,                 # seconds of audio
          "instruments": {"melody": 81, "chords": 4, "bass": 38, "kit": 24}  # GM programs
        }, ...
      ]
    }

Section parts are ``kick``, ``drums`` (any other drum voice), ``bass``, ``chords``, ``melody``:
the parts with notes starting in that section. A breakdown never has ``kick``; an intro with
only ``chords`` is beatless. Beats and downbeats cover the whole bar grid, beatless intros and
breakdowns included (the sections say where drums play); humanisation (a few ms) and swing
move the notes, not the grid. A live take's (``tempo_drift``) beats follow its drifting tempo,
and its ``tempo`` is the mean over the grid. Every time is of the decoded audio: the project's
decoder (``beetcrate.media``) gives every format sample-aligned with the render.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from benchmarks.soundfont.compose import Composition, Labels, compose
from benchmarks.soundfont.model import Family, Song
from benchmarks.soundfont.render import FORMATS, SOUNDFONT, AudioFormat, render, write
from benchmarks.soundfont.styles import random_song
from benchmarks.soundfont.variants import live_take

LABELS_SCHEMA = 1
# Raised whenever the same seed would give other music (cached sets should be rebuilt).
GENERATOR_VERSION = 2
LABELS_FILE = "labels.json"
BUILD_FILE = ".soundfont-build.json"
DEFAULT_FORMATS: tuple[AudioFormat, ...] = (
    FORMATS["flac16"],
    FORMATS["wav16"],
    FORMATS["vorbis_160k"],
    FORMATS["mp3_192k"],
)
SAMPLE_RATE = 44100


@dataclass(frozen=True)
class LabelledTrack:
    path: Path
    song: Song
    labels: Labels
    format: AudioFormat


def _seconds(value: float) -> float:
    return round(float(value), 4)


def track_record(track: LabelledTrack) -> dict[str, Any]:
    """One entry of ``labels.json``'s ``tracks`` (schema in the module docstring)."""
    labels, song = track.labels, track.song
    breakdown = labels.breakdown
    return {
        "file": track.path.name,
        "family": song.family.value,
        "format": track.format.name,
        "tempo": None if labels.tempo is None else round(labels.tempo, 3),
        "beats": [_seconds(b) for b in labels.beats],
        "downbeats": [_seconds(b) for b in labels.downbeats],
        "key": {"tonic": labels.key.tonic, "mode": labels.key.mode.value, "name": labels.key.name},
        "detune_cents": song.detune_cents,
        "swing": song.swing,
        "tempo_drift": song.drift.depth if song.drift else None,
        "lead_in": song.lead_in,
        "sections": [
            {
                "kind": span.kind.value,
                "start": _seconds(span.start),
                "end": _seconds(span.end),
                "parts": sorted(part.value for part in span.parts),
            }
            for span in labels.sections
        ],
        "intro_end": _seconds(labels.intro_end),
        "breakdown_start": _seconds(breakdown[0]) if breakdown else None,
        "breakdown_end": _seconds(breakdown[1]) if breakdown else None,
        "drop": None if labels.drop is None else _seconds(labels.drop),
        "duration": _seconds(labels.duration),
        "instruments": {
            "melody": song.instruments.melody,
            "chords": song.instruments.chords,
            "bass": song.instruments.bass,
            "kit": int(song.instruments.kit),
        },
    }


def write_track(
    composition: Composition, path: Path, fmt: AudioFormat, sample_rate: int = SAMPLE_RATE
) -> LabelledTrack:
    """Render ``composition`` to ``path``; a file is written whole or not at all."""
    with _whole(path) as partial:
        write(render(composition, sample_rate), sample_rate, partial, fmt)
    return LabelledTrack(path, composition.song, composition.labels, fmt)


@contextmanager
def _whole(path: Path) -> Iterator[Path]:
    """A hidden partial file to write, renamed to ``path`` once the block completes."""
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        yield partial
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _resuming(dest: Path, parameters: dict[str, Any]) -> bool:
    """Whether ``dest`` holds files of an interrupted build with the same parameters; if not,
    records the parameters for the next run to compare."""
    manifest = dest / BUILD_FILE
    try:
        if json.loads(manifest.read_text()) == parameters:
            return True
    except (OSError, ValueError):
        pass
    with _whole(manifest) as partial:
        partial.write_text(json.dumps(parameters) + "\n")
    return False


def build_set(
    dest: Path,
    seed: int,
    per_family: int,
    seconds: float = 180.0,
    formats: Sequence[AudioFormat] = DEFAULT_FORMATS,
    families: Sequence[Family] = tuple(Family),
    sample_rate: int = SAMPLE_RATE,
    midi: bool = False,
    live: bool = False,
    progress: bool = False,
) -> list[LabelledTrack]:
    """Render ``per_family`` songs of each family to ``dest`` and write ``labels.json``
    (and each song's MIDI file beside its audio, ``NAME.mid``, if ``midi``); with ``live``,
    each song as a live take (``variants.live_take``: its tempo drifting 1.5-3 %, looser).

    Deterministic for a seed: the same seed gives the same songs, labels and PCM audio,
    whatever ``formats`` and ``families`` are; each track's format is drawn from ``formats``.
    Resumable: files are written whole or not at all, and a run with the parameters of an
    interrupted one (recorded in ``.soundfont-build.json``) keeps the files it finished.
    """
    dest.mkdir(parents=True, exist_ok=True)
    parameters = {
        "schema": LABELS_SCHEMA,
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "seconds": seconds,
        "sample_rate": sample_rate,
        "formats": [fmt.name for fmt in formats],
        "live": live,
    }
    resuming = _resuming(dest, parameters)
    jobs = [(family, index) for family in families for index in range(per_family)]
    tracks = []
    for family, index in tqdm(jobs, disable=not progress, unit="track"):
        name = f"{seed}:{family.value}:{index}"
        song = random_song(family, random.Random(name), seconds=seconds)
        if live:
            song = live_take(song, random.Random(f"{name}:live"))
        composition = compose(song)
        # Drawn apart from the song, so that a format list does not change the music, and at
        # random, so that no family is always in one format.
        fmt = random.Random(f"{name}:format").choice(formats)
        path = dest / f"{family.value}-{index:02d}.{fmt.suffix}"
        if midi:
            with _whole(path.with_suffix(".mid")) as partial:
                partial.write_bytes(composition.midi)
        if resuming and path.exists():
            tracks.append(LabelledTrack(path, composition.song, composition.labels, fmt))
        else:
            tracks.append(write_track(composition, path, fmt, sample_rate))
    document = {
        **parameters,
        "generator": "benchmarks.soundfont",
        "per_family": per_family,
        "soundfont": SOUNDFONT.name,
        "tracks": [track_record(track) for track in tracks],
    }
    with _whole(dest / LABELS_FILE) as partial:
        partial.write_text(json.dumps(document, indent=1) + "\n")
    return tracks
