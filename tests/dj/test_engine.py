"""The analysis engine on synthesized clips whose tempo, beats, bars and key are known."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from analysis import cues, evaluation, key, loudness, waveform
from analysis.engine import analyze
from analysis.signal import essentia_standard
from analysis.spectral import Frames
from analysis.tempo import Rhythm
from beetcrate import media
from beetcrate.synth import grooves, harmony, songs, tones
from tests.dj.conftest import CLIPS, Clip


def _assert_reads_its_tempo_and_beats(
    spec: grooves.Spec, tmp_path: Path
) -> tuple[Rhythm, grooves.Labels]:
    """The spec, rendered and analysed, reads within 0.1 BPM and beat F >= 0.95; returns the
    reading and the labels for further checks."""
    path, labels = grooves.write(spec, tmp_path)
    rhythm = analyze(path).rhythm
    assert rhythm.bpm == pytest.approx(spec.bpm, abs=0.1)
    assert evaluation.f_measure(rhythm.beats, labels.beats) >= 0.95
    return rhythm, labels


@pytest.mark.parametrize("name", ["house", "dnb", "breaks", "trap"])
def test_tempo_is_within_a_tenth_of_a_bpm(clips: dict[str, Clip], name: str) -> None:
    # 16 s clips with a beatless intro hold about 25 drum hits; a full track does better.
    clip = clips[name]
    assert clip.analysis.rhythm.bpm == pytest.approx(clip.spec.bpm, abs=0.1)


def test_drum_and_bass_is_not_read_at_half_tempo(clips: dict[str, Clip]) -> None:
    assert clips["dnb"].analysis.rhythm.bpm > 160


def test_a_track_without_a_beat_reports_no_tempo_rather_than_a_wrong_one(tmp_path: Path) -> None:
    pads = tmp_path / "pads.flac"
    samples = songs.normalize(songs.chord_pads(120.0, "A", "minor", bars=16, seed=0))
    media.write_audio(pads, samples, songs.SAMPLE_RATE)
    analysis = analyze(pads)
    assert analysis.rhythm.bpm == 0
    assert analysis.rhythm.beats.size == 0
    assert analysis.key is not None and analysis.key.name == "A minor"


def test_a_groove_whose_double_tempo_fits_nearly_as_well_still_reports_its_tempo(
    tmp_path: Path,
) -> None:
    # Dembow played by hand under a soft boomy kick: its double tempo fits the same hits almost
    # as well, which says which octave is in doubt, not whether there is a beat.
    kit = grooves.Kit(
        kick=grooves.KickSound.BOOMY,
        hat=grooves.HatSound.OPEN,
        kick_level=0.52,
        backbeat_level=0.44,
        hat_level=1.3,
        ghosts=0.01,
        kickless=(3, 5),
    )
    spec = grooves.Spec(
        "dembow-soft-kick",
        "dembow",
        87.26,
        6,
        False,
        24.0,
        0,
        "mp3",
        seed=603050997,
        stressed=True,
        kit=kit,
    )
    _assert_reads_its_tempo_and_beats(spec, tmp_path)


@pytest.mark.parametrize("name", ["house", "dnb", "breaks", "trap"])
def test_beats_land_on_the_labelled_beats_not_between_them(
    clips: dict[str, Clip], name: str
) -> None:
    clip = clips[name]
    assert evaluation.f_measure(clip.analysis.rhythm.beats, clip.labels.beats) >= 0.95


@pytest.mark.parametrize("name", ["house", "dnb", "breaks", "trap"])
def test_downbeats_start_the_bars(clips: dict[str, Clip], name: str) -> None:
    clip = clips[name]
    assert evaluation.f_measure(clip.analysis.rhythm.downbeats, clip.labels.downbeats) >= 0.9


OFF_BEAT_GROOVES = [
    # Reggaeton: kick on every beat, the louder snare 3+3+2 off it (read double, or half a beat
    # off, when the loudest hits set the grid).
    grooves.Spec("dembow", "dembow", 93.4, 7, True, 24.0, 0, "flac", seed=21),
    # UK garage: kick on 1 and the "and" of 3, shuffled 16th hats.
    grooves.Spec("two-step", "two_step", 131.8, 10, False, 20.0, 0, "mp3", seed=22),
    # Electro: syncopated kicks and a cowbell on every off-beat.
    grooves.Spec("electro", "electro", 118.2, 4, True, 20.0, 0, "ogg", seed=23),
]


@pytest.mark.parametrize("spec", OFF_BEAT_GROOVES, ids=[spec.name for spec in OFF_BEAT_GROOVES])
def test_grooves_whose_loudest_hits_are_off_the_beat_get_their_grid_on_the_beat(
    spec: grooves.Spec, tmp_path: Path
) -> None:
    rhythm, labels = _assert_reads_its_tempo_and_beats(spec, tmp_path)
    assert evaluation.f_measure(rhythm.downbeats, labels.downbeats) >= 0.9


LOUD_OFF_BEAT_KITS = [
    # House whose open hats on every off-beat are four times as loud as its clap, over a soft
    # kick: the loudest hits of the mix are all on the "and"; the kick on every beat moves the
    # grid back.
    pytest.param(
        grooves.Spec(
            "loud-open-hats",
            "four_on_floor",
            124.3,
            2,
            False,
            20.0,
            0,
            "flac",
            seed=31,
            kit=grooves.Kit(
                kick_level=0.5,
                backbeat=grooves.BackbeatSound.CLAP,
                backbeat_level=0.4,
                hat=grooves.HatSound.OPEN,
                hat_level=3.0,
            ),
        ),
        id="loud-open-hats",
    ),
    # Garage: shuffled hats at three and a half times their level above a soft snare, a
    # syncopated kick. The snare across 1-8 kHz moves the grid off the loudest hits; following
    # drift moved it back onto them until drift was judged by the eighths.
    pytest.param(
        grooves.Spec(
            "loud-garage-hats",
            "two_step",
            132.2,
            9,
            True,
            20.0,
            0,
            "mp3",
            seed=32,
            kit=grooves.Kit(kick=grooves.KickSound.BOOMY, backbeat_level=0.5, hat_level=3.5),
        ),
        id="loud-garage-hats",
    ),
]


@pytest.mark.parametrize("spec", LOUD_OFF_BEAT_KITS)
def test_off_beat_hats_louder_than_the_backbeat_leave_the_grid_on_the_beat(
    spec: grooves.Spec, tmp_path: Path
) -> None:
    # The off-beat hats' gain (0.3 a hit) tops the backbeat's (0.7 a hit) at these levels.
    assert 0.3 * spec.kit.hat_level > 0.7 * spec.kit.backbeat_level
    _assert_reads_its_tempo_and_beats(spec, tmp_path)


def test_a_breakbeat_whose_loudest_hits_tie_between_grids_gets_its_snare_on_the_beat(
    tmp_path: Path,
) -> None:
    # Stabbed chords changing every two beats, a soft clap, a shaker and a cowbell twice the
    # clap's level: the loudest hits fill the beat's grid and the "and"s' alike, and the high
    # band's alternation says nothing. The clap across 1-8 kHz lands on 2 and 4.
    spec = grooves.Spec(
        "tied-breakbeat",
        "breakbeat",
        133.91,
        7,
        True,
        20.0,
        0,
        "mp3",
        seed=178629087,
        detune=-40,
        kit=grooves.Kit(
            backbeat=grooves.BackbeatSound.CLAP,
            kick_level=0.79,
            backbeat_level=0.5,
            hat_level=1.1,
            cowbell_level=2.06,
            shaker_level=0.23,
            ghosts=0.014,
            kickless=(6, 9),
            fill=grooves.FillSound.SNARE_ROLL,
            fill_level=1.53,
        ),
        arrangement=harmony.Arrangement(
            "ii_v_i",
            chord_beats=2,
            voicing=harmony.Voicing.INVERSIONS,
            style=harmony.Style.STABS,
            bass_floor=34,
            chord_level=1.06,
            bass_level=0.87,
            melody_level=0.65,
        ),
    )
    _assert_reads_its_tempo_and_beats(spec, tmp_path)


@pytest.mark.parametrize(("seed", "index"), [(7, 35), (23, 8), (23, 17), (23, 35)])
def test_an_electro_whose_kicks_and_claves_fall_on_the_a_gets_its_grid_on_the_beat(
    seed: int, index: int, tmp_path: Path
) -> None:
    """Tuning draws 7 and 23's studio electro with a sixteenth figure: kicks on the "a" or the
    "e" of a beat, claves on the "a"s, 16th hats. The loudest hits' grid sat a sixteenth early
    (or late) and the half-beat choice never looks there (beat F 0.00); the eighths a sixteenth
    away, whose weaker half carries the "and"'s hats and the backbeat, move it onto the beat."""
    spec = grooves.labelled_set(54, 45.0, seed=seed)[index]
    assert spec.pattern == "electro" and any(step % 4 == 3 for step in spec.kit.clave_steps)
    _assert_reads_its_tempo_and_beats(spec, tmp_path)


def test_electro_plays_a_sixteenth_figure_on_two_tracks_in_three_and_the_other_grooves_none() -> (
    None
):
    """Generator version 6: electro's kicks land on the "a" or the "e" under claves on the
    "a"s on most tracks, as 808 electro plays them; no other groove has a figure."""
    specs = [spec for seed in (7, 23, 41) for spec in grooves.labelled_set(54, 45.0, seed=seed)]
    electro = [spec.kit for spec in specs if spec.pattern == "electro"]
    figured = [kit for kit in electro if kit.kick_steps]
    assert 0.5 <= len(figured) / len(electro) < 0.9
    for kit in figured:
        assert 0 in kit.kick_steps and any(step % 2 for step in kit.kick_steps)
        assert kit.clave_steps and all(step % 4 == 3 for step in kit.clave_steps)
    assert not any(
        spec.kit.kick_steps or spec.kit.clave_steps for spec in specs if spec.pattern != "electro"
    )


def test_a_two_step_whose_beat_is_off_its_loudest_hits_is_not_moved_onto_them_as_drift(
    tmp_path: Path,
) -> None:
    # Shuffled hats two and a half times their level, a boomy kick on 1 and the "and" of 3:
    # the loudest hits' grid is half a beat off, and the beat's phase is chosen against it.
    # A drift follower tracks the loudest hits; taken as they are, it would move the whole
    # grid there, on a tempo that never wandered.
    spec = grooves.Spec(
        "shuffled-two-step",
        "two_step",
        135.51,
        4,
        True,
        20.0,
        4,
        "mp3",
        seed=499284105,
        kit=grooves.Kit(
            kick=grooves.KickSound.BOOMY,
            kick_level=0.6,
            backbeat_level=0.97,
            hat_level=2.51,
            ghosts=0.12,
            fill_level=2.0,
            crash_level=1.24,
        ),
        arrangement=harmony.Arrangement(
            "dorian",
            voicing=harmony.Voicing.INVERSIONS,
            register=67,
            style=harmony.Style.STABS,
            bass_line=harmony.BassLine.EIGHTHS,
            bass_floor=34,
            chord_level=1.34,
            bass_level=1.21,
            melody_level=1.07,
        ),
    )
    _assert_reads_its_tempo_and_beats(spec, tmp_path)


LOUD_HAT_DEMBOWS = [
    # Reggaeton whose hats (open, or closed on every 8th) play two and a half times their level
    # over the clap: the high band's loudest hits are the hats, whose repeat on every beat
    # reads as drum and bass at half tempo. Across 1-8 kHz the clap stands out, every 2 beats.
    pytest.param(
        grooves.Spec(
            "open-hats-over-clap",
            "dembow",
            97.05,
            6,
            False,
            20.0,
            0,
            "mp3",
            seed=962914941,
            kit=grooves.Kit(
                kick=grooves.KickSound.BOOMY,
                backbeat=grooves.BackbeatSound.CLAP,
                hat=grooves.HatSound.OPEN,
                kick_level=0.7,
                backbeat_level=0.52,
                hat_level=2.4,
                cowbell_level=1.9,
                ghosts=0.1,
                fill=grooves.FillSound.TOMS,
                fill_level=1.7,
                crash_level=1.7,
            ),
        ),
        id="open-hats-over-clap",
    ),
    pytest.param(
        grooves.Spec(
            "closed-hats-over-clap",
            "dembow",
            95.69,
            9,
            True,
            20.0,
            0,
            "ogg",
            seed=39179655,
            detune=-21,
            kit=grooves.Kit(
                backbeat=grooves.BackbeatSound.CLAP,
                kick_level=0.83,
                backbeat_level=0.71,
                hat_level=2.64,
                cowbell_level=1.5,
                ghosts=0.05,
            ),
        ),
        id="closed-hats-over-clap",
    ),
    # The kick on every beat under open hats nearly three times their level: both backbeat
    # readings repeat every beat, as drum and bass's snare does read at half tempo; but here
    # the hits land on the beats, with the kick.
    pytest.param(
        grooves.Spec(
            "open-hats-with-the-kick",
            "dembow",
            87.4,
            0,
            False,
            20.0,
            0,
            "ogg",
            seed=598300330,
            kit=grooves.Kit(
                backbeat=grooves.BackbeatSound.CLAP,
                hat=grooves.HatSound.OPEN,
                kick_level=0.47,
                backbeat_level=0.75,
                hat_level=2.87,
                cowbell_level=2.0,
                shaker_level=0.19,
                ghosts=0.03,
                fill=grooves.FillSound.SNARE_ROLL,
                fill_level=2.26,
                crash_level=0.84,
            ),
        ),
        id="open-hats-with-the-kick",
    ),
]


@pytest.mark.parametrize("spec", LOUD_HAT_DEMBOWS)
def test_a_dembow_whose_hats_drown_the_clap_is_not_read_at_double_tempo(
    spec: grooves.Spec, tmp_path: Path
) -> None:
    path, _ = grooves.write(spec, tmp_path)
    assert analyze(path).rhythm.bpm == pytest.approx(spec.bpm, abs=0.1)


@pytest.mark.parametrize(
    "index",
    [
        pytest.param(4, id="swing-77"),
        pytest.param(33, id="dembow-90"),
        pytest.param(49, id="swing-96"),
    ],
)
def test_a_slow_groove_with_nothing_between_its_eighths_is_not_read_at_double_tempo(
    index: int, tmp_path: Path
) -> None:
    # Tuning draw 23's grooves, 20 s each. Read at double tempo their eighths are the beats,
    # the backbeat falls every fourth of them, and nothing sounds half-way between: no
    # half-time groove's hats leave its eighths that empty.
    spec = grooves.labelled_set(54, 20.0, seed=23)[index]
    _assert_reads_its_tempo_and_beats(spec, tmp_path)


@pytest.mark.parametrize("name", ["house", "dnb", "breaks", "trap"])
def test_key_and_mode_match_the_progression(clips: dict[str, Clip], name: str) -> None:
    clip = clips[name]
    assert clip.analysis.key is not None
    assert clip.analysis.key.name == clip.spec.key_name


@pytest.mark.parametrize(
    ("progression", "tonic", "minor"),
    [
        # F#m-D-A-E: the chords of A major's vi-IV-I-V, the minor tonic where phrases start.
        ("epic", 6, True),
        # Bbm-Ebm-Ab-Db: half of it Db major's I and V.
        ("relative", 10, True),
        # G-D-Em-C: the relative minor's triad in every other bar.
        ("pop", 7, False),
    ],
)
def test_a_progression_leaning_on_its_relative_key_is_read_in_its_own_mode(
    tmp_path: Path, progression: str, tonic: int, minor: bool
) -> None:
    arrangement = harmony.Arrangement(progression, voicing="inversions", style="pad", melody=True)
    spec = grooves.Spec(
        "leaning", "four_on_floor", 124.0, tonic, minor, 24.0, 0, seed=9, arrangement=arrangement
    )
    path, _ = grooves.write(spec, tmp_path)
    found = analyze(path).key
    assert found is not None
    assert found.name == spec.key_name


def test_a_minor_seventh_tonic_is_told_from_its_relative_majors_sixth_by_the_bass(
    tmp_path: Path,
) -> None:
    # C#m7-Amaj7-Emaj7-B7: C#m7 (C# E G# B) holds E major's sixth chord (E G# B C#) and the
    # whole tune E major's notes; the bass plays C# where phrases start and end.
    arrangement = harmony.Arrangement(
        "epic", voicing="inversions", style="pad", melody=True, sevenths=True
    )
    spec = grooves.Spec(
        "sevenths", "four_on_floor", 124.0, 1, True, 24.0, 0, seed=9, arrangement=arrangement
    )
    path, _ = grooves.write(spec, tmp_path)
    found = analyze(path).key
    assert found is not None
    assert found.name == spec.key_name == "C# minor"


@pytest.mark.parametrize(("seed", "index"), [(7, 14), (7, 20), (23, 9), (23, 26)])
def test_a_tune_leaning_on_its_dominant_is_read_in_its_own_key(
    seed: int, index: int, tmp_path: Path
) -> None:
    """Tuning draws 7 and 23's ii-V-I, relative-major and epic progressions whose profile
    correlates best with the dominant (D major read as A major, G# minor as D# minor): the one
    note of their own key the dominant lacks sounds, the dominant's own does not."""
    spec = grooves.labelled_set(54, 45.0, seed=seed)[index]
    path, _ = grooves.write(spec, tmp_path)
    found = analyze(path).key
    assert found is not None
    assert found.name == spec.key_name


def test_a_detuned_record_has_its_tuning_measured_and_its_key_read(clips: dict[str, Clip]) -> None:
    clip = clips["trap"]
    samples, rate = media.decode(clip.path, sample_rate=44100, mono=True)
    collector = key.ChromaCollector(rate)
    collector.feed(samples[0])
    chroma = collector.result()
    assert chroma.tuning == pytest.approx(clip.spec.detune / 100, abs=0.03)
    assert key.estimate_key(chroma).name == clip.spec.key_name == "E minor"
    assert clip.analysis.scalars()["tuning_cents"] == pytest.approx(clip.spec.detune, abs=3)


@pytest.mark.parametrize(
    ("tonic", "minor", "beets", "camelot", "openkey"),
    [
        (9, True, "Am", "8A", "1m"),
        (0, False, "C", "8B", "1d"),
        (6, False, "F#", "2B", "7d"),
        (2, True, "Dm", "7A", "12m"),
        (5, False, "F", "7B", "12d"),
        (8, True, "G#m", "1A", "6m"),
    ],
)
def test_key_is_written_in_beets_camelot_and_open_key_notation(
    tonic: int, minor: bool, beets: str, camelot: str, openkey: str
) -> None:
    found = key.Key(tonic, minor, 0.9)
    assert (found.beets, found.camelot, found.openkey) == (beets, camelot, openkey)


def test_integrated_loudness_and_range_agree_with_essentia_ebu_r128(
    clips: dict[str, Clip],
) -> None:
    clip = clips["house"]
    samples, rate = media.decode(clip.path, sample_rate=44100)
    reference = essentia_standard().LoudnessEBUR128(sampleRate=rate)(samples.T.copy())
    # Same filters and gating; the two differ by about a tenth of a LU on strong transients.
    assert clip.analysis.loudness.integrated == pytest.approx(reference[2], abs=0.2)
    assert clip.analysis.loudness.range == pytest.approx(reference[3], abs=0.5)


def test_true_peak_finds_the_peak_between_samples() -> None:
    # A quarter-sample-rate sine 45 degrees off: every sample is at 0.707 of the real peak.
    rate = 44100
    t = np.arange(rate) / rate
    tone = 0.5 * np.sin(2 * np.pi * rate / 4 * t + np.pi / 4)
    meter = loudness.LoudnessMeter(rate, 1)
    meter.feed(tone[None, :].astype(np.float32))
    result = meter.result()
    assert 20 * np.log10(result.sample_peak) == pytest.approx(-9.03, abs=0.05)
    assert result.true_peak == pytest.approx(-6.02, abs=0.1)


def test_replaygain_brings_the_track_to_minus_18_lufs(clips: dict[str, Clip]) -> None:
    analysis = clips["house"].analysis
    assert analysis.replaygain_gain == pytest.approx(-18 - analysis.loudness.integrated, abs=0.01)


def test_waveforms_have_three_zooms_that_survive_the_binary_format(
    clips: dict[str, Clip],
) -> None:
    levels = clips["house"].analysis.waveforms
    # 16 s has fewer spectral frames (one per 256 samples) than the two finer zooms' points.
    frames = 1 + (16 * 44100 - 1024) // 256
    assert [level.points for level in levels] == [1000, frames, frames]
    for level in levels:
        restored = waveform.unpack(waveform.pack(level))
        assert np.array_equal(restored.bands, level.bands)
        assert restored.seconds_per_point * restored.points == pytest.approx(16.0, abs=0.05)
    assert len(waveform.pack(levels[0])) == 3000 + 20


def test_waveform_bands_separate_bass_from_hats(clips: dict[str, Clip]) -> None:
    # The beatless intro has pads and bass but no drums: no hats in the high band.
    clip = clips["house"]
    level = clip.analysis.waveforms[0]
    intro_end = int(4 * 4 * 60 / clip.spec.bpm / level.seconds_per_point)
    intro, groove = level.amplitudes()[: intro_end - 20], level.amplitudes()[intro_end + 20 :]
    assert groove[:, 2].mean() > 3 * intro[:, 2].mean()
    assert intro[:, 0].mean() > intro[:, 2].mean()


def test_energy_and_danceability_are_measured(clips: dict[str, Clip]) -> None:
    analysis = clips["house"].analysis
    assert 0.01 < analysis.energy < 1
    assert analysis.danceability > 0.5


def test_cues_mark_intro_end_drop_breakdown_and_outro_on_phrase_boundaries() -> None:
    # 40 bars of 4 beats at 120 BPM: pads throughout, kicks in bars 8-15 and 24-31 only (a
    # beatless intro and breakdown barely quieter than the groove), a quiet outro from bar 32.
    rate = 100.0
    bar_frames = 200
    pads = np.repeat(np.array([0.2] * 32 + [0.02] * 8), bar_frames)
    amplitude = np.tile(pads, (3, 1))
    for bar in [*range(8, 16), *range(24, 32)]:
        for beat in range(4):
            start = bar * bar_frames + beat * bar_frames // 4
            amplitude[0, start : start + 5] += 0.4
    frames = Frames(rate, 0.0, np.zeros_like(amplitude), amplitude)
    downbeats = np.arange(40) * bar_frames / rate
    found = {(cue.kind, cue.bar) for cue in cues.find_cues(downbeats, frames)}
    assert found == {
        ("first_downbeat", 0),
        ("intro_end", 8),
        ("breakdown", 16),
        ("drop", 24),
        ("outro_start", 32),
    }


def test_cues_find_sections_off_the_eight_bar_grid_and_one_per_breakdown() -> None:
    # 30 bars: a 5-bar beatless intro (a pickup bar, then four), the groove, a 3-bar breakdown
    # from bar 13 whose bass notes come in half-way (the low band stirs, no kick), the groove
    # again from bar 16. Nothing falls on a multiple of eight bars.
    rate = 100.0
    bar_frames = 200
    amplitude = np.full((3, 30 * bar_frames), 0.2)
    for bar in [*range(5, 13), *range(16, 30)]:
        for beat in range(4):
            start = bar * bar_frames + beat * bar_frames // 4
            amplitude[0, start : start + 5] += 0.4
    for note in range(14 * bar_frames, 16 * bar_frames, bar_frames // 2):
        amplitude[0, note : note + 40] += 0.01
    frames = Frames(rate, 0.0, np.zeros_like(amplitude), amplitude)
    downbeats = np.arange(30) * bar_frames / rate
    found = {(cue.kind, cue.bar) for cue in cues.find_cues(downbeats, frames)}
    assert found == {("first_downbeat", 0), ("intro_end", 5), ("breakdown", 13), ("drop", 16)}


def test_analysis_records_its_engine_version(clips: dict[str, Clip]) -> None:
    from analysis.engine import ANALYSIS_VERSION

    assert clips["dnb"].analysis.scalars()["analysis_version"] == ANALYSIS_VERSION


def test_memory_does_not_grow_with_the_length_of_the_track(tmp_path: Path) -> None:
    import tracemalloc

    rate = 44100
    noise = tones.white_noise(30, level=0.05, seed=0, rate=rate)
    peaks = {}
    for copies in (1, 1, 9):  # the first run pays for one-time caches (FFT plans, essentia)
        path = tmp_path / f"noise{copies}.flac"
        media.write_audio(path, np.tile(noise, copies), rate)
        tracemalloc.start()
        analyze(path)
        peaks[copies] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # Eight more half-minutes decode to 85 MB (2 KB per 5.8 ms frame); the analysis keeps a
    # few hundred bytes per frame (the frames' summaries, the loudness blocks, the chroma).
    added_frames = 8 * 30 * rate / 256
    assert peaks[9] - peaks[1] < 256 * added_frames


def test_timbre_is_the_same_for_the_same_audio_louder_or_quieter(tmp_path: Path) -> None:
    samples, _ = grooves.render(CLIPS["house"])
    timbres = []
    for gain in (1.0, 0.1):  # 0 and -20 dB, both written as 16-bit FLAC
        path = tmp_path / f"house-{gain}.flac"
        media.write_audio(path, samples * gain, grooves.RATE)
        timbres.append(analyze(path).timbre)
    loud, quiet = timbres
    assert loud is not None and quiet is not None and len(loud) == 20
    assert max(abs(a - b) for a, b in zip(loud, quiet, strict=True)) <= 0.05


def test_timbre_tells_different_sounds_apart(tmp_path: Path) -> None:
    timbres = {}
    for name, samples in {
        "plucked": tones.plucked(10),
        "chord": tones.noisy_chord(10),
        "noise": tones.white_noise(10),
    }.items():
        path = tmp_path / f"{name}.flac"
        media.write_audio(path, samples, tones.RATE)
        timbres[name] = np.array(analyze(path).timbre)
    for first, second in itertools.combinations(timbres.values(), 2):
        assert np.linalg.norm(first - second) > 10


def test_silence_has_no_timbre(bad_files: dict[str, Path]) -> None:
    assert analyze(bad_files["silent"]).timbre is None
