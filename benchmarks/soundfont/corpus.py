"""A labelled set of rendered tracks: audio files in mixed formats and ``labels.json``.

``labels.json`` (``LABELS_SCHEMA`` = 1)::

    {
      "schema": 1, "generator": "benchmarks.soundfont", "seed": 7, "per_family": 2,
      "seconds": 30.0, "sample_rate": 44100, "soundfont": "TimGM6mb.sf2",
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
the parts with notes starting in that section. A breakdown never has ``kick``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from benchmarks.soundfont.compose import Composition, Labels, compose
from benchmarks.soundfont.model import Family, Song
from benchmarks.soundfont.render import FORMATS, SOUNDFONT, AudioFormat, render, write
from benchmarks.soundfont.styles import random_song

LABELS_SCHEMA = 1
LABELS_FILE = "labels.json"
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
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        write(render(composition, sample_rate), sample_rate, partial, fmt)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return LabelledTrack(path, composition.song, composition.labels, fmt)


def build_set(
    dest: Path,
    seed: int,
    per_family: int,
    seconds: float = 180.0,
    formats: Sequence[AudioFormat] = DEFAULT_FORMATS,
    families: Sequence[Family] = tuple(Family),
    progress: bool = False,
) -> list[LabelledTrack]:
    """Render ``per_family`` songs of each family to ``dest`` and write ``labels.json``.

    Deterministic for a seed: the same seed gives the same songs, labels and PCM audio. The
    formats rotate over the tracks. Files already in ``dest`` with the expected name are
    rendered again (rendering is faster than checking them).
    """
    dest.mkdir(parents=True, exist_ok=True)
    jobs = [(family, index) for family in families for index in range(per_family)]
    tracks = []
    for number, (family, index) in enumerate(tqdm(jobs, disable=not progress, unit="track")):
        rng = random.Random(f"{seed}:{family.value}:{index}")
        song = random_song(family, rng, seconds=seconds)
        fmt = formats[number % len(formats)]
        path = dest / f"{family.value}-{index:02d}.{fmt.suffix}"
        tracks.append(write_track(compose(song), path, fmt))
    document = {
        "schema": LABELS_SCHEMA,
        "generator": "benchmarks.soundfont",
        "seed": seed,
        "per_family": per_family,
        "seconds": seconds,
        "sample_rate": SAMPLE_RATE,
        "soundfont": SOUNDFONT.name,
        "tracks": [track_record(track) for track in tracks],
    }
    labels = dest / LABELS_FILE
    partial = labels.with_name(f".{LABELS_FILE}.partial")
    partial.write_text(json.dumps(document, indent=1) + "\n")
    partial.replace(labels)
    return tracks
