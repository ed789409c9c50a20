"""Label-free checks that hold on any recording (issue 14, item 6): the same track in another
format reads the same tempo and key, and the track played a semitone faster reads a key one
semitone up and a tempo 5.9 % higher."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.engine import analyze
from beetcrate import media
from beetcrate.crates.keys import parse_key
from beetcrate.synth import grooves

SEMITONE = 2 ** (1 / 12)
SPECS = [
    grooves.Spec("house", "four_on_floor", 127.43, 9, True, 16.0, 4, "flac", seed=1),
    grooves.Spec("dnb", "drum_and_bass", 171.7, 6, False, 16.0, 0, "flac", seed=2),
]


@pytest.mark.parametrize("spec", SPECS, ids=[spec.name for spec in SPECS])
def test_the_same_track_in_lossy_formats_and_a_semitone_up_reads_consistently(
    spec: grooves.Spec, tmp_path: Path
) -> None:
    samples, _ = grooves.render(spec)
    readings = {}
    for suffix, bit_rate in (("flac", None), ("opus", 96_000), ("mp3", 128_000)):
        path = tmp_path / f"{spec.name}.{suffix}"
        media.write_audio(path, samples, grooves.RATE, bit_rate=bit_rate)
        analysis = analyze(path)
        assert analysis.key is not None
        readings[suffix] = (analysis.rhythm.bpm, analysis.key.camelot)
    tempo, camelot = readings["flac"]
    for other_tempo, other_camelot in readings.values():
        assert other_tempo == pytest.approx(tempo, rel=0.005)
        assert other_camelot == camelot
    # The same samples declared at a rate a semitone higher: played 5.9 % faster and higher.
    faster = tmp_path / f"{spec.name}-up.flac"
    media.write_audio(faster, samples, round(grooves.RATE * SEMITONE))
    up = analyze(faster)
    assert up.key is not None
    assert up.rhythm.bpm == pytest.approx(tempo * SEMITONE, rel=0.005)
    assert parse_key(up.key.camelot).pitch_class == (parse_key(camelot).pitch_class + 1) % 12
    assert parse_key(up.key.camelot).minor == parse_key(camelot).minor
