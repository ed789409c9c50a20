"""The demo library: a real beets library built offline, and the synthesizer behind its music."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml
from beets.library import Album, Item, Library
from mediafile import MediaFile
from PIL import Image

from beetcrate import media
from beetcrate.demo import (
    CATALOG,
    COPIES,
    CRATES,
    DEMO_VERSION,
    MARKER,
    SIDECAR_FILES,
    DemoError,
    Release,
    Track,
    build_demo,
    is_complete,
)
from beetcrate.synth import songs
from beetsplug.dj.fields import ITEM_TYPES as DJ_ITEM_TYPES
from beetsplug.dupes import ITEM_TYPES as DUPES_ITEM_TYPES

# One xdist worker builds the demo (the slowest fixture: synthesis, analysis, mirror, scan) and
# runs all these tests.
pytestmark = pytest.mark.xdist_group("demo")

RATE = songs.SAMPLE_RATE
CATALOG_TRACKS = {track.title: (release, track) for release in CATALOG for track in release.tracks}
COPY_TAGS = {(copy.tagged_artist, copy.title) for copy in COPIES}


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The full demo, built once for the whole session.

    xdist_group should keep these tests on one worker, but under pytest 9 xdist spreads them
    over all workers; each would build its own demo. The workers of one session share their
    base folder's parent, so the first to take the lock builds it there and the others reuse it
    (``build_demo`` leaves a complete demo alone)."""
    if worker_id == "master":
        root = tmp_path_factory.mktemp("demo")
        build_demo(root, quiet=True)
        return root
    shared = tmp_path_factory.getbasetemp().parent
    with open(shared / "demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        build_demo(shared / "demo", quiet=True)
    return shared / "demo"


def open_library(root: Path) -> Library:
    return Library(str(root / "library.db"), str(root / "music"))


@pytest.fixture
def demo_lib(demo_root: Path) -> Iterator[Library]:
    lib = open_library(demo_root)
    yield lib
    lib._close()


def album_named(lib: Library, title: str) -> Album:
    [album] = [album for album in lib.albums() if album.album == title]
    return album


def path_of(item: Item) -> Path:
    return Path(os.fsdecode(item.path))


def is_copy(item: Item) -> bool:
    """Whether ``item`` is one of the demo's duplicate copies (always singletons)."""
    return item.album_id is None and (item.artist, item.title) in COPY_TAGS


def beet(root: Path, *args: str) -> str:
    """Run ``beet`` on the demo as a user would: a new process, the demo's config only."""
    result = subprocess.run(
        [sys.executable, "-P", "-m", "beets", "-c", str(root / "config.yaml"), *args],
        env={**os.environ, "BEETSDIR": str(root)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# The demo library


def test_library_holds_every_track_album_and_single_of_the_catalog_and_the_copies(
    demo_lib: Library,
) -> None:
    items = list(demo_lib.items())
    copies = [item for item in items if is_copy(item)]
    assert len(items) == len(CATALOG_TRACKS) + len(COPIES) == 32
    assert sorted(item.title for item in items if not is_copy(item)) == sorted(CATALOG_TRACKS)
    assert sorted((item.artist, item.title) for item in copies) == sorted(COPY_TAGS)
    assert sorted(album.album for album in demo_lib.albums()) == sorted(
        release.title for release in CATALOG if release.title
    )
    assert len([item for item in items if item.album_id is None]) == 5 + len(COPIES)


def test_multi_disc_album_keeps_two_titled_discs(demo_lib: Library) -> None:
    album = album_named(demo_lib, "Tidal Archive")
    assert album.disctotal == 2
    discs = {
        disc: sorted((item.track, item.disctitle) for item in album.items() if item.disc == disc)
        for disc in (1, 2)
    }
    assert discs == {
        1: [(n, "Day") for n in range(1, 5)],
        2: [(n, "Night") for n in range(1, 5)],
    }


def test_compilation_is_marked_and_credits_each_artist(demo_lib: Library) -> None:
    album = album_named(demo_lib, "Low Tide Sessions, Vol. 1")
    assert album.comp
    assert album.albumartist == "Various Artists"
    items = list(album.items())
    assert len({item.artist for item in items}) == len(items) == 6
    assert all(item.comp for item in items)


def test_formats_are_mixed_even_within_the_compilation(demo_lib: Library) -> None:
    assert {item.format for item in demo_lib.items()} == {"FLAC", "MP3", "Opus"}
    compilation = album_named(demo_lib, "Low Tide Sessions, Vol. 1")
    assert {item.format for item in compilation.items()} == {"FLAC", "MP3", "Opus"}


def test_every_file_decodes_at_its_catalog_length(demo_lib: Library) -> None:
    for item in demo_lib.items():
        info = media.probe(path_of(item))
        _, track = CATALOG_TRACKS[item.title]
        assert info.channels == 2
        assert info.duration == pytest.approx(track.seconds, abs=0.1), item.title


def test_cover_art_is_embedded_and_in_album_folders(demo_lib: Library) -> None:
    for album in demo_lib.albums():
        release, _ = CATALOG_TRACKS[album.items().get().title]
        if release.folder_art:
            cover = Path(os.fsdecode(album.artpath))
            assert cover.parent == path_of(album.items().get()).parent
            with Image.open(cover) as image:
                assert image.format == "JPEG"
        else:
            assert not album.artpath
    embedded = 0
    for item in demo_lib.items():
        release, _ = CATALOG_TRACKS[item.title]
        images = MediaFile(os.fsdecode(item.path)).images or []
        # A copy carries a title and an artist, no more.
        assert bool(images) == (release.embedded_art and not is_copy(item)), item.title
        embedded += len(images)
    assert 0 < embedded < 30


def test_ground_truth_names_every_file_copies_included(demo_root: Path, demo_lib: Library) -> None:
    truth = json.loads((demo_root / "ground_truth.json").read_text())
    items = {path_of(item).relative_to(demo_root).as_posix(): item for item in demo_lib.items()}
    assert set(truth) == set(items)
    for path, item in items.items():
        _, track = CATALOG_TRACKS[item.title]
        assert (truth[path]["bpm"], truth[path]["key"], truth[path]["mode"]) == (
            track.bpm,
            track.key,
            track.mode,
        )


def test_beets_holds_only_what_the_plugins_found(demo_lib: Library) -> None:
    """The truth stays out of beets: tempo and key there are the analysis' own findings."""
    plugin_fields = (
        set(DJ_ITEM_TYPES) | set(DUPES_ITEM_TYPES) | {"dj_analysis_version", "dj_audio_hash"}
    )
    for item in demo_lib.items():
        assert set(item._values_flex) <= plugin_fields, item.title
        assert item.bpm == round(float(item.bpm_precise))


def test_config_keeps_beets_offline_and_inside_the_demo(demo_root: Path, demo_lib: Library) -> None:
    assert all(path_of(item).is_relative_to(demo_root / "music") for item in demo_lib.items())
    config = yaml.safe_load((demo_root / "config.yaml").read_text())
    # beetcrate's plugins only: beets' own default, musicbrainz, would reach for the network.
    assert config["plugins"] == ["opus", "dj", "dupes", "crates", "identify", "provenance"]
    assert config["import"]["autotag"] is False
    assert config["directory"] == str(demo_root / "music")
    assert config["library"] == str(demo_root / "library.db")
    assert config["opus"]["directory"] == str(demo_root / "opus")
    assert config["dupes"]["trash"] == str(demo_root / "dupes-trash")
    assert config["crates"]["directory"] == str(demo_root / "crates")
    created = set(os.listdir(demo_root))
    assert "beetcrate.db" in created
    assert created - set(SIDECAR_FILES) == {
        MARKER,
        "config.yaml",
        "library.db",
        "music",
        "opus",
        "crates",
        "ground_truth.json",
    }


# The plugins on the demo, through `beet` as a user runs them


def test_the_analysis_found_every_tracks_tempo_key_and_sections(demo_root: Path) -> None:
    truth = json.loads((demo_root / "ground_truth.json").read_text())
    shown = json.loads(beet(demo_root, "dj", "show", "--json"))
    assert len(shown) == len(truth) == 32
    for record in shown:
        assert record["key"] and record["camelot"], record["path"]
        track = truth[Path(record["path"]).relative_to(demo_root).as_posix()]
        # Within 4 % of the true tempo: half or double time would be an octave error.
        assert abs(record["bpm"] / track["bpm"] - 1) < 0.04, record["path"]
        bar = 240 / track["bpm"]
        sections = []
        if track["intro_bars"]:
            sections.append(("intro_end", track["intro_bars"] * bar))
        if track["breakdown_bar"] is not None:
            sections.append(("breakdown", track["breakdown_bar"] * bar))
            sections.append(("drop", (track["breakdown_bar"] + songs.PHRASE_BARS) * bar))
        for kind, time in sections:
            found = [cue["time"] for cue in record["cues"] if cue["kind"] == kind]
            assert any(abs(at - time) <= bar for at in found), (record["path"], kind, found)


def test_the_opus_mirror_holds_every_track(demo_root: Path, demo_lib: Library) -> None:
    assert "32 of 32 items mirrored (100.0%)" in beet(demo_root, "opus", "status")
    mirrored = list((demo_root / "opus").rglob("*.opus"))
    assert len(mirrored) == len(demo_lib.items())
    assert all(media.probe(path).duration > 0 for path in mirrored)


def test_dupes_finds_the_retagged_copy_and_the_reencode(demo_root: Path) -> None:
    groups = json.loads(beet(demo_root, "dupes", "list", "--json"))["groups"]
    music = demo_root / "music"
    assert [(g["kind"], g["canonical"], g["members"]) for g in groups] == [
        (
            "exact-audio",
            str(music / "Non-Album/Pale Circuit/Gridlock.mp3"),
            [
                str(music / "Non-Album/Pale Circuit/Gridlock.mp3"),
                str(music / "Non-Album/P. Circuit/Gridlock.mp3"),
            ],
        ),
        (
            "same-recording",
            str(music / "Harbor Static/Northbound Lights/06 Northbound.flac"),
            [
                str(music / "Harbor Static/Northbound Lights/06 Northbound.flac"),
                str(music / "Non-Album/Harbor Static/Northbound.mp3"),
            ],
        ),
    ]


def test_every_example_crate_holds_tracks(demo_root: Path) -> None:
    crates = json.loads(beet(demo_root, "crate", "list", "--json"))
    assert sorted(Path(crate["file"]).name for crate in crates) == sorted(CRATES)
    assert all(crate["tracks"] > 0 for crate in crates), crates
    warm_up = json.loads(beet(demo_root, "crate", "show", "Warm-up", "--json"))
    assert len(warm_up["items"]) >= 3
    assert warm_up["broken_steps"] == []


def test_building_again_keeps_the_same_library(demo_root: Path) -> None:
    lib = open_library(demo_root)
    before = sorted((item.id, os.fsdecode(item.path)) for item in lib.items())
    lib._close()
    modified = (demo_root / "library.db").stat().st_mtime_ns

    assert build_demo(demo_root, quiet=True) == demo_root / "config.yaml"

    lib = open_library(demo_root)
    assert sorted((item.id, os.fsdecode(item.path)) for item in lib.items()) == before
    lib._close()
    assert (demo_root / "library.db").stat().st_mtime_ns == modified


TINY = (
    Release(
        "Tiny", "Tester", 2020, "Test", "flac", folder_art=True,
        tracks=(
            Track("One", 120.0, "C", "major", "four_on_the_floor", 2),
            Track("Two", 90.0, "A", "minor", "half_time", 2),
        ),
    ),
    Release(
        None, "Tester", 2021, "Test", "opus",
        tracks=(Track("Alone", 100.0, "D", "minor", "breakbeat", 2),),
    ),
)  # fmt: skip


def test_interrupted_build_is_rebuilt_cleanly(tmp_path: Path) -> None:
    (tmp_path / "music" / "Stale").mkdir(parents=True)
    (tmp_path / "music" / "Stale" / "leftover.flac").write_bytes(b"half written")
    (tmp_path / "staging").mkdir()
    (tmp_path / "library.db").write_bytes(b"")
    (tmp_path / MARKER).write_text(json.dumps({"version": DEMO_VERSION, "complete": False}))
    # The plugins' findings about the old library's items: they go with it.
    (tmp_path / "beetcrate.db").write_text("stale, and no SQLite database either")
    (tmp_path / "beetcrate.key").write_text("the server's own key, not the demo's")

    build_demo(tmp_path, quiet=True, catalog=TINY, copies=())

    lib = open_library(tmp_path)
    assert sorted(item.title for item in lib.items()) == ["Alone", "One", "Two"]
    assert all(item.get("dj_analysis_version") for item in lib.items())
    lib._close()
    assert not (tmp_path / "music" / "Stale").exists()
    assert not (tmp_path / "staging").exists()
    assert (tmp_path / "beetcrate.key").read_text() == "the server's own key, not the demo's"
    assert is_complete(tmp_path)


def test_demo_of_another_version_counts_as_unfinished(tmp_path: Path) -> None:
    for name in ("config.yaml", "library.db"):
        (tmp_path / name).touch()
    (tmp_path / MARKER).write_text(json.dumps({"version": DEMO_VERSION, "complete": True}))
    assert is_complete(tmp_path)
    (tmp_path / MARKER).write_text(json.dumps({"version": DEMO_VERSION - 1, "complete": True}))
    assert not is_complete(tmp_path)


def test_a_folder_that_is_not_a_demo_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("directory: ~/Music\n")
    with pytest.raises(DemoError, match="not a beetcrate demo"):
        build_demo(tmp_path, quiet=True, catalog=TINY, copies=())
    assert (tmp_path / "config.yaml").read_text() == "directory: ~/Music\n"


# The synthesizer


def onset_strength(mono: np.ndarray, hop: int) -> np.ndarray:
    """Rises in log energy per hop: large where a hit starts."""
    frames = mono.size // hop
    energy = np.sqrt((mono[: frames * hop].reshape(frames, hop) ** 2).mean(axis=1))
    return np.maximum(0.0, np.diff(np.log1p(100 * energy)))


def onset_times(mono: np.ndarray, hop: int = 64) -> np.ndarray:
    """Hit times, from the rises of energy above 2 kHz where every drum's attack shows."""
    strength = onset_strength(band(mono, 2000, RATE / 2), hop)
    # Local maxima over +-40 ms, shorter than a sixteenth note at 175 BPM (86 ms); the threshold
    # sits between the decaying noise tails (below 0.25) and the weakest hits (above 0.5).
    radius = int(0.04 * RATE / hop)
    padded = np.pad(strength, radius)
    neighbourhood = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1).max(axis=1)
    peaks = np.flatnonzero((strength == neighbourhood) & (strength > 0.4 * strength.max()))
    return (peaks + 1) * hop / RATE


def band(mono: np.ndarray, low: float, high: float) -> np.ndarray:
    """Keep only the frequencies between ``low`` and ``high`` Hz."""
    # A power-of-two length keeps the FFT fast whatever the track's length.
    size = 1 << (mono.size - 1).bit_length()
    spectrum = np.fft.rfft(mono, size)
    freqs = np.fft.rfftfreq(size, 1 / RATE)
    spectrum[(freqs < low) | (freqs > high)] = 0
    return np.fft.irfft(spectrum, size)[: mono.size]


@pytest.mark.parametrize("pattern", sorted(songs.PATTERNS))
@pytest.mark.parametrize("bpm", [93.7, 174.0])
def test_drum_hits_land_on_the_sixteenth_grid_without_drift(pattern: str, bpm: float) -> None:
    drums = songs.drum_track(bpm, pattern, bars=16)
    step = 60 / bpm / 4
    onsets = onset_times(drums)
    steps = np.round(onsets / step)
    # Sixteen bars in, a tempo off by 0.1 % would be 22 ms (at 174 BPM) or more off the grid.
    assert np.max(np.abs(onsets - steps * step)) < 0.003
    expected = {s for steps_ in songs.PATTERNS[pattern].values() for s in steps_}
    assert {int(s) % songs.STEPS_PER_BAR for s in steps} == expected


@pytest.mark.parametrize("bpm", [71.5, 122.5, 174.0])
def test_four_on_the_floor_track_pulses_at_its_tempo(bpm: float) -> None:
    track = songs.render_track(bpm, "G", "minor", 30, "four_on_the_floor", seed=4)
    hop = 128
    strength = onset_strength(band(track.mean(axis=0), 0, 100), hop)
    strength -= strength.mean()
    correlation = np.correlate(strength, strength, "full")[strength.size - 1 :]
    fps = RATE / hop
    lags = np.arange(int(fps * 60 / 200), int(fps * 60 / 60) + 1)
    peak = lags[np.argmax(correlation[lags])]
    # Sub-frame peak position from the parabola through the peak and its neighbours.
    before, at, after = correlation[peak - 1 : peak + 2]
    period = peak + 0.5 * (before - after) / (before - 2 * at + after)
    found = 60 * fps / period
    # Tempo octaves (half, double) count as found, as in MIREX; the grid test pins the octave.
    assert min(abs(found * factor / bpm - 1) for factor in (0.5, 1, 2)) < 0.01


KS_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KS_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def estimate_key(samples: np.ndarray) -> tuple[str, str]:
    """Krumhansl-Schmuckler: the key profile best correlated with the track's chroma."""
    mono = samples.mean(axis=0)
    power = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(mono.size, 1 / RATE)
    audible = (freqs > 55) & (freqs < 2000)
    pitch_classes = np.round(12 * np.log2(freqs[audible] / 440) + 69).astype(int) % 12
    chroma = np.bincount(pitch_classes, weights=power[audible], minlength=12)
    scores = {
        (songs.PITCH_CLASSES[tonic], mode): np.corrcoef(chroma, np.roll(profile, tonic))[0, 1]
        for tonic in range(12)
        for mode, profile in (("major", KS_MAJOR), ("minor", KS_MINOR))
    }
    return max(scores, key=scores.get)


@pytest.mark.parametrize(
    ("key", "mode", "pattern"),
    [
        ("A", "minor", "four_on_the_floor"),
        ("C", "major", "breakbeat"),  # A minor's relative major: the mode must tell them apart
        ("F#", "minor", "half_time"),
        ("Eb", "major", "four_on_the_floor"),
    ],
)
def test_track_is_in_its_key_and_mode(key: str, mode: str, pattern: str) -> None:
    track = songs.render_track(118.0, key, mode, 20, pattern, seed=7)
    assert estimate_key(track) == (songs.PITCH_CLASSES[songs.pitch_class(key)], mode)


def test_intro_and_breakdown_drop_the_beat_on_phrase_boundaries() -> None:
    bpm = 150.0
    bar = songs.bar_length(bpm)
    track = songs.render_track(
        bpm, "D", "minor", 24 * bar / RATE, seed=1, intro_bars=8, breakdown_bar=16
    )
    # Hats and snares live above 5 kHz; the pad and bass do not.
    highs = band(track.mean(axis=0), 5000, RATE / 2)

    def loudness(first_bar: int) -> float:
        return float(
            np.sqrt(np.mean(highs[round(first_bar * bar) : round((first_bar + 8) * bar)] ** 2))
        )

    intro, groove, breakdown = loudness(0), loudness(8), loudness(16)
    assert intro < groove / 20
    assert breakdown < groove / 20


def test_sections_off_the_phrase_grid_are_refused() -> None:
    with pytest.raises(ValueError, match="multiples of 8"):
        songs.render_track(120.0, "C", "major", 10, intro_bars=4)


def test_render_is_stereo_with_headroom_and_repeatable_per_seed() -> None:
    first = songs.render_track(100.0, "E", "minor", 5, "breakbeat", seed=3)
    assert first.shape == (2, 5 * RATE)
    assert first.dtype == np.float32
    assert np.max(np.abs(first)) == pytest.approx(10 ** (-3 / 20), rel=1e-5)
    assert np.array_equal(first, songs.render_track(100.0, "E", "minor", 5, "breakbeat", seed=3))
    assert not np.array_equal(
        first, songs.render_track(100.0, "E", "minor", 5, "breakbeat", seed=4)
    )
