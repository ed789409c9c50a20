"""DJ fixtures: synthesized clips with known tempo, beats, downbeats and key, analysed once.

Clips come from the labelled grooves of ``beetcrate.synth.grooves``, short (16 s) and
session-scoped, so the whole DJ suite analyses each of them a single time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from beets import config as beets_config
from beets.library import Item, Library

from analysis.engine import Analysis, analyze
from beetcrate import media
from beetcrate.synth import grooves
from beetsplug.dj.library import DjLibrary
from tests.helper import BeetsHome


@dataclass(frozen=True)
class Clip:
    spec: grooves.Spec
    path: Path
    labels: grooves.Labels
    analysis: Analysis


CLIPS = {
    # A minor, fractional tempo, beatless 4-bar intro, FLAC.
    "house": grooves.Spec("house", "four_on_floor", 127.43, 9, True, 16.0, 4, "flac", seed=1),
    # Drum and bass (the half-tempo trap), F# major, MP3.
    "dnb": grooves.Spec("dnb", "drum_and_bass", 171.7, 6, False, 16.0, 0, "mp3", seed=2),
    # A breakbeat with syncopated kicks (the off-beat trap), D minor, Ogg Vorbis.
    "breaks": grooves.Spec("breaks", "breakbeat", 133.0, 2, True, 16.0, 0, "ogg", seed=3),
    # Half-time trap: syncopated kicks, 16th hats, one snare a bar; tuned 38 cents flat, E minor.
    "trap": grooves.Spec("trap", "half_time_trap", 141.3, 4, True, 16.0, 0, "flac", 4, -38),
}


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Clip]:
    directory = tmp_path_factory.mktemp("dj-clips")
    made = {}
    for name, spec in CLIPS.items():
        path, labels = grooves.write(spec, directory)
        made[name] = Clip(spec, path, labels, analyze(path))
    return made


@pytest.fixture(scope="session")
def bad_files(tmp_path_factory: pytest.TempPathFactory, clips: dict[str, Clip]) -> dict[str, Path]:
    """Files that cannot be analysed, or only with low confidence."""
    directory = tmp_path_factory.mktemp("dj-bad")
    rate = grooves.RATE
    files = {"empty": directory / "empty.mp3", "corrupt": directory / "corrupt.flac"}
    files["empty"].write_bytes(b"")
    files["corrupt"].write_bytes(np.random.default_rng(0).bytes(50_000))
    whole = clips["house"].path.read_bytes()
    files["truncated"] = directory / "truncated.flac"
    files["truncated"].write_bytes(whole[: len(whole) // 2])
    for clip in ("dnb", "breaks"):  # MP3 and Ogg Vorbis
        whole = clips[clip].path.read_bytes()
        files[f"truncated {clip}"] = directory / f"truncated.{clips[clip].spec.suffix}"
        files[f"truncated {clip}"].write_bytes(whole[: len(whole) // 2])
    files["silent"] = directory / "silent.flac"
    media.write_audio(files["silent"], np.zeros((2, 10 * rate), dtype=np.float32), rate)
    files["short"] = directory / "short.ogg"
    samples, _ = grooves.render(CLIPS["house"])
    media.write_audio(files["short"], samples[:, : 3 * rate], rate)
    return files


@pytest.fixture
def dj_config(beets_home: BeetsHome) -> Callable[..., None]:
    """Enable the dj plugin in the test's beets config (extra YAML merged in) and load the
    plugins as ``beet`` does."""

    def write(extra: str = "") -> None:
        beets_home.configure(extra, plugins=["dj"])
        beets_home.load_plugins()

    write()
    return write


@pytest.fixture
def add_clip(beets_home: BeetsHome, clips: dict[str, Clip]) -> Callable[..., Item]:
    """Copy a clip (or ``source``) into the library's directory and add it, titled ``name``."""
    counter = iter(range(1, 1000))

    def add(name: str, source: Path | None = None) -> Item:
        source = source or clips[name].path
        return beets_home.add_file(source, f"{next(counter):02d}-{source.name}", title=name)

    return add


@pytest.fixture
def dj(library: Library, dj_config: Callable[..., None]) -> DjLibrary:
    """The plugin's operations over the test library, its sidecar and a SQLite queue."""
    return DjLibrary.from_config(library, beets_config, beets_config["dj"])
