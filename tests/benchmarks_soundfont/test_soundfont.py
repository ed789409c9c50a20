"""The MIDI/SoundFont generator makes real music whose labels hold, checked without listening:
kicks sound on the labelled downbeats, the onsets repeat at the labelled beat period, the
chroma follows the labelled key, breakdowns have no kick; and a seed gives the same set."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from functools import cache
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile

from beetcrate import media
from benchmarks.soundfont import (
    FORMATS,
    Codec,
    Family,
    Mode,
    Song,
    build_set,
    compose,
    render,
    write,
)
from benchmarks.soundfont.compose import Composition
from benchmarks.soundfont.model import (
    DrumHit,
    DrumVoice,
    Humanise,
    Part,
    Reverb,
    SectionKind,
    TempoDrift,
)
from benchmarks.soundfont.render import impulse_response
from benchmarks.soundfont.styles import random_song

RATE = 22050
BEAT_FAMILIES = [family for family in Family if family is not Family.AMBIENT]
# Krumhansl-Kessler key profiles, tonic first.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def song_of(family: Family, seed: int = 1, seconds: float = 12.0) -> Song:
    """A short song of ``family``, in tune (the detune test sets its own)."""
    song = random_song(family, random.Random(f"test:{family.value}:{seed}"), seconds=seconds)
    return replace(song, detune_cents=0.0)


@cache
def rendered(song: Song) -> tuple[Composition, np.ndarray]:
    composition = compose(song)
    return composition, render(composition, RATE).mean(axis=0)


def energy_rises(mono: np.ndarray, hop: int = 55) -> tuple[np.ndarray, np.ndarray]:
    """Rises of the log energy in 20 ms frames every 2.5 ms, and the frames' end times (an
    onset shows when the frame ending at it rises, so no analysis lag shifts it)."""
    frame = hop * 8
    frames = librosa.util.frame(np.pad(mono, (frame, 0)), frame_length=frame, hop_length=hop)
    energy = np.log(np.mean(frames**2, axis=0) + 1e-9)
    return np.maximum(0.0, np.diff(energy, prepend=energy[0])), np.arange(len(energy)) * hop / RATE


@pytest.mark.parametrize("family", BEAT_FAMILIES, ids=str)
def test_onsets_line_up_with_the_labelled_beats(family: Family) -> None:
    composition, mono = rendered(song_of(family))
    rises, times = energy_rises(mono)
    beats = np.asarray(composition.labels.beats)

    def at_beats(shift: float) -> float:
        index = np.searchsorted(times, beats + shift)
        return float(rises[index[index < len(rises)]].mean())

    shifts = np.arange(-0.04, 0.0401, 0.0025)
    best = shifts[int(np.argmax([at_beats(shift) for shift in shifts]))]
    # The audio's onsets are where the labels say, within a few ms (humanisation is <= 8 ms).
    assert abs(best) <= 0.0125, best


# Families whose harmony changes on the bar more than within it; in electro (arpeggiated bass)
# and trap (the half-time clap) the chroma moves as much mid-bar, so this cue cannot tell.
HARMONIC_DOWNBEATS = [Family.HOUSE, Family.GARAGE, Family.BOOM_BAP, Family.DRUM_AND_BASS]


@pytest.mark.parametrize("family", HARMONIC_DOWNBEATS, ids=str)
def test_the_harmony_changes_on_the_labelled_downbeats(family: Family) -> None:
    composition, mono = rendered(song_of(family))
    labels = composition.labels
    hop = 512
    chroma = librosa.feature.chroma_cqt(y=mono, sr=RATE, hop_length=hop)
    beat_frames = librosa.time_to_frames(np.asarray(labels.beats), sr=RATE, hop_length=hop)
    # Column k: the chroma from beat k to beat k + 1 (the first beat is at 0).
    per_beat = librosa.util.normalize(librosa.util.sync(chroma, beat_frames[1:]), axis=0)
    change = 1 - np.sum(per_beat[:, 1:] * per_beat[:, :-1], axis=0)  # at beat k + 1
    is_downbeat = np.isin(
        np.round(labels.beats[1 : per_beat.shape[1]], 6), np.round(labels.downbeats, 6)
    )
    assert change[is_downbeat].mean() > 1.5 * change[~is_downbeat].mean()


@pytest.mark.parametrize("family", BEAT_FAMILIES, ids=str)
def test_onsets_repeat_at_the_labelled_beat_period(family: Family) -> None:
    composition, mono = rendered(song_of(family))
    hop = 256
    envelope = librosa.onset.onset_strength(y=mono, sr=RATE, hop_length=hop)
    envelope = envelope - envelope.mean()
    correlation = np.correlate(envelope, envelope, mode="full")[len(envelope) - 1 :]
    assert composition.labels.tempo is not None
    period = 60 / composition.labels.tempo * RATE / hop

    def at(lag: float) -> float:
        return float(correlation[round(lag)])

    # The labelled period, not 8 % off it either way.
    assert at(period) > at(period * 0.92) and at(period) > at(period * 1.08)


def key_correlations(mono: np.ndarray) -> dict[tuple[int, Mode], float]:
    chroma = librosa.feature.chroma_cqt(y=mono, sr=RATE).mean(axis=1)
    return {
        (tonic, mode): float(np.corrcoef(chroma, np.roll(profile, tonic))[0, 1])
        for tonic in range(12)
        for mode, profile in ((Mode.MAJOR, MAJOR_PROFILE), (Mode.MINOR, MINOR_PROFILE))
    }


def test_the_chroma_follows_the_labelled_key() -> None:
    ranks, correlations = [], []
    for family in Family:
        song = song_of(family, seconds=30)
        composition, mono = rendered(song)
        scores = key_correlations(mono)
        label = (composition.labels.key.tonic, composition.labels.key.mode)
        assert label == (song.key.tonic, song.key.mode)
        correlations.append(scores[label])
        ranks.append(sorted(scores, key=scores.__getitem__, reverse=True).index(label))
    # Chroma against key profiles is a rough key finder (and a distorted guitar or a long pad
    # blurs it), so: the labelled key correlates with every song's chroma, is the best of the
    # 24 for most songs and among the best three for all but one.
    assert min(correlations) > 0.3, correlations
    assert sum(rank == 0 for rank in ranks) >= 6 and sum(rank <= 2 for rank in ranks) >= 8, ranks


def test_a_detuned_render_is_detuned_and_keeps_the_key_label() -> None:
    song = song_of(Family.AMBIENT)
    detuned = replace(song, detune_cents=30.0)
    in_tune = librosa.estimate_tuning(y=rendered(song)[1], sr=RATE)
    shifted = librosa.estimate_tuning(y=rendered(detuned)[1], sr=RATE)
    assert shifted - in_tune == pytest.approx(0.30, abs=0.08)
    assert compose(detuned).labels.key == compose(song).labels.key == song.key


def test_breakdowns_have_no_kick() -> None:
    song = song_of(Family.HOUSE, seed=4, seconds=40)
    composition, mono = rendered(song)
    spans = {span.kind: span for span in composition.labels.sections}
    breakdown, drop = spans[SectionKind.BREAKDOWN], spans[SectionKind.DROP]
    assert Part.KICK not in breakdown.parts and Part.KICK in drop.parts
    # The kick's sound is what the mix loses when the kick is left out everywhere.
    kickless = replace(
        song, sections=tuple(replace(s, parts=s.parts - {Part.KICK}) for s in song.sections)
    )
    _, without = rendered(kickless)
    # The breakdown's second half, past the reverb tail of the body's last kick, and before
    # the drop's first kick (which humanisation may play up to 8 ms early).
    calm = slice(
        int((breakdown.start + breakdown.end) / 2 * RATE), int((breakdown.end - 0.03) * RATE)
    )
    gain = np.dot(mono[calm], without[calm]) / np.dot(without[calm], without[calm])
    kick = mono - gain * without

    def power(samples: np.ndarray) -> float:
        return float(np.mean(samples**2))

    drop_span = slice(int(drop.start * RATE), int(drop.end * RATE))
    assert power(kick[calm]) < 1e-4 * power(kick[drop_span])
    assert power(kick[drop_span]) > 0.05 * power(mono[drop_span])


def test_the_beatless_family_has_no_beats_and_no_drums() -> None:
    composition = compose(song_of(Family.AMBIENT))
    assert composition.labels.tempo is None
    assert composition.labels.beats == composition.labels.downbeats == ()
    assert not any(
        instrument.notes for instrument in composition.pretty().instruments if instrument.is_drum
    )


def test_a_live_take_drifts_its_beats_and_keeps_the_tempo_label() -> None:
    song = replace(song_of(Family.BOOM_BAP, seconds=60), drift=None)
    live = replace(song, drift=TempoDrift(depth=0.03, period_bars=8))
    steady, drifting = compose(song).labels, compose(live).labels
    intervals = np.diff(drifting.beats)
    assert np.ptp(np.diff(steady.beats)) < 1e-4
    assert intervals.max() / intervals.min() > 1.04
    assert drifting.tempo == pytest.approx(song.tempo, rel=0.01)
    assert len(drifting.beats) == len(steady.beats)


def test_a_seed_gives_the_same_midi_labels_and_audio() -> None:
    first = compose(song_of(Family.GARAGE, seed=5, seconds=6))
    again = compose(song_of(Family.GARAGE, seed=5, seconds=6))
    other = compose(song_of(Family.GARAGE, seed=6, seconds=6))
    assert first.midi == again.midi and first.labels == again.labels
    assert np.array_equal(render(first, RATE), render(again, RATE))
    assert other.midi != first.midi


def test_a_live_set_plays_the_same_songs_as_live_takes(tmp_path: Path) -> None:
    families = (Family.HOUSE,)
    build_set(tmp_path / "studio", seed=9, per_family=1, seconds=8, families=families)
    build_set(tmp_path / "live", seed=9, per_family=1, seconds=8, families=families, live=True)
    studio, live = (
        json.loads((tmp_path / kind / "labels.json").read_text()) for kind in ("studio", "live")
    )
    assert (studio["live"], live["live"]) == (False, True)
    steady, drifting = studio["tracks"][0], live["tracks"][0]
    assert drifting["key"] == steady["key"] and drifting["family"] == steady["family"]
    assert steady["tempo_drift"] is None and drifting["tempo_drift"] > 0
    assert np.ptp(np.diff(drifting["beats"])) > 10 * np.ptp(np.diff(steady["beats"]))


def test_build_set_writes_decodable_files_and_the_same_labels_for_a_seed(tmp_path: Path) -> None:
    formats = (FORMATS["flac24"], FORMATS["mp3_192k"], FORMATS["wav16"], FORMATS["opus_128k"])
    families = (Family.DRUM_AND_BASS, Family.TRAP, Family.BOOM_BAP, Family.ELECTRO)
    tracks = build_set(
        tmp_path / "a", seed=9, per_family=1, seconds=3, formats=formats, families=families
    )
    labels = json.loads((tmp_path / "a" / "labels.json").read_text())
    # The same seed draws the same songs, whatever else the set holds.
    build_set(tmp_path / "b", seed=9, per_family=1, seconds=3, families=families[:1])
    again = json.loads((tmp_path / "b" / "labels.json").read_text())["tracks"][0]
    assert {**again, "file": "", "format": ""} == {**labels["tracks"][0], "file": "", "format": ""}
    visible = [p.name for p in (tmp_path / "a").iterdir() if not p.name.startswith(".")]
    assert sorted(visible) == sorted(
        [record["file"] for record in labels["tracks"]] + ["labels.json"]
    )
    for track, record in zip(tracks, labels["tracks"], strict=True):
        assert track.format in formats and record["format"] == track.format.name
        assert record["file"] == f"{track.song.family.value}-00.{track.format.suffix}"
        samples, rate = media.decode(track.path)
        assert samples.shape[1] / rate == pytest.approx(record["duration"], abs=0.1)
        assert record["key"]["name"] == track.song.key.name
        assert record["tempo"] == pytest.approx(track.song.tempo, abs=0.001)


def test_write_stores_every_format(tmp_path: Path) -> None:
    noise = np.random.default_rng(1).uniform(-0.5, 0.5, (2, RATE // 2)).astype(np.float32)
    for fmt in FORMATS.values():
        path = tmp_path / f"{fmt.name}.{fmt.suffix}"
        write(noise, RATE, path, fmt)
        samples, rate = media.decode(path)
        assert samples.shape == (2, samples.shape[1]) and abs(samples.shape[1] / rate - 0.5) < 0.03
        if fmt.codec in (Codec.FLAC, Codec.WAV):
            assert soundfile.info(str(path)).subtype == f"PCM_{fmt.bit_depth}"
    for name in ("flac24", "mp3_128k"):  # a mono downmix
        fmt = FORMATS[name]
        path = tmp_path / f"mono-{name}.{fmt.suffix}"
        write(noise.mean(axis=0, keepdims=True), RATE, path, fmt)
        assert media.probe(path).channels == 1


def test_write_refuses_a_path_whose_suffix_is_not_the_formats(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"must end in \.flac"):
        write(np.zeros((2, 100), np.float32), RATE, tmp_path / "a.wav", FORMATS["flac16"])
    assert not (tmp_path / "a.wav").exists()


def test_the_room_falls_sixty_db_over_its_decay_time() -> None:
    room = impulse_response(Reverb(decay=1.0, level=0.3), RATE, seed=1)
    start = int(0.012 * RATE)  # after the pre-delay
    first, last = room[0, start : start + 2205], room[0, -2205:]  # 100 ms each, 0.9 s apart
    fall_db = 10 * np.log10(np.mean(first**2) / np.mean(last**2))
    assert fall_db == pytest.approx(0.9 * 60, abs=4)
    assert abs(np.corrcoef(room[0], room[1])[0, 1]) < 0.1  # the two sides decorrelated


def test_the_drums_fill_the_last_beat_before_each_section_change() -> None:
    roll = tuple(DrumHit(DrumVoice.SNARE, 3 + step / 4, 90) for step in range(4))
    song = song_of(Family.HOUSE, seconds=60)
    assert song.drums is not None
    song = replace(song, drums=replace(song.drums, fill=roll), humanise=Humanise())
    composition = compose(song)
    drums = next(i for i in composition.pretty().instruments if i.is_drum)
    beats = composition.labels.beats

    def snares_in_beat(index: int) -> int:
        start, end = beats[index] - 0.001, beats[index + 1] - 0.001
        return sum(n.pitch == DrumVoice.SNARE and start <= n.start < end for n in drums.notes)

    body = next(s for s in composition.labels.sections if s.kind is SectionKind.BODY)
    last_beat = int(np.argmin(np.abs(np.asarray(beats) - body.end))) - 1
    assert snares_in_beat(last_beat) == 4
    assert snares_in_beat(last_beat - 4) < 4  # the same beat a bar earlier: the loop's


def test_an_interrupted_build_resumes_with_the_files_it_finished(tmp_path: Path) -> None:
    families = (Family.DRUM_AND_BASS, Family.TRAP)
    first = build_set(tmp_path, seed=3, per_family=1, seconds=3, families=families, midi=True)
    finished, lost = first[0].path, first[1].path
    lost.unlink()
    (tmp_path / "labels.json").unlink()
    finished_at = finished.stat().st_mtime_ns
    again = build_set(tmp_path, seed=3, per_family=1, seconds=3, families=families, midi=True)
    assert finished.stat().st_mtime_ns == finished_at  # kept, not rendered again
    assert lost.exists() and (tmp_path / "labels.json").exists()
    assert [track.labels for track in again] == [track.labels for track in first]
    assert finished.with_suffix(".mid").read_bytes() == compose(first[0].song).midi
    # Other parameters: everything is rendered again.
    build_set(tmp_path, seed=3, per_family=1, seconds=3, families=families, sample_rate=22050)
    assert finished.stat().st_mtime_ns != finished_at


def test_a_lead_in_is_silence_before_the_labelled_grid() -> None:
    song = replace(song_of(Family.GARAGE), lead_in=0.5, humanise=Humanise())
    composition, mono = rendered(song)
    plain = compose(replace(song, lead_in=0.0)).labels
    labels = composition.labels
    assert labels.beats[0] == pytest.approx(0.5, abs=0.001)
    assert np.allclose(np.asarray(labels.beats) - 0.5, plain.beats, atol=0.001)
    assert labels.sections[0].start == pytest.approx(0.5, abs=0.001)
    assert np.max(np.abs(mono[: int(0.49 * RATE)])) < 1e-6  # (the reverb's FFT leaves 1e-8)
    assert np.max(np.abs(mono[int(0.5 * RATE) : int(0.6 * RATE)])) > 0.01
