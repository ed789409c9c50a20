"""DJ fixtures: synthesized clips with known tempo, beats, downbeats and key, analysed once.

Clips come from the labelled grooves of ``beetcrate.grooves.grooves``, short (16 s) and
session-scoped, so the whole DJ suite analyses each of them a single time.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from beets import config as beets_config
from beets import plugins
from beets.library import Item, Library, ReadError
from beets.util import cached_classproperty

from analysis.engine import Analysis, analyze
from beetcrate import media
from beetcrate.synth import grooves
from beetsplug.dj.cli import DjLibrary


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
    files["silent"] = directory / "silent.flac"
    media.write_audio(files["silent"], np.zeros((2, 10 * rate), dtype=np.float32), rate)
    files["short"] = directory / "short.ogg"
    samples, _ = grooves.render(CLIPS["house"])
    media.write_audio(files["short"], samples[:, : 3 * rate], rate)
    return files


def _reset_plugins() -> None:
    plugins.BeetsPlugin.listeners.clear()
    plugins.BeetsPlugin._raw_listeners.clear()
    plugins._instances.clear()
    # Models cache the field types that plugins declare.
    cached_classproperty.cache.clear()


@pytest.fixture
def dj_config(beets_home: Path) -> Iterator[Callable[..., None]]:
    """Enable the dj plugin in the test's beets config (extra YAML appended) and load it."""

    def write(extra: str = "") -> None:
        config_file = beets_home / "config.yaml"
        text = config_file.read_text().replace("plugins: []", "plugins: [dj]")
        config_file.write_text(text + extra)
        beets_config.clear()
        beets_config.read()
        _reset_plugins()
        plugins.load_plugins()
        cached_classproperty.cache.clear()

    write()
    yield write
    _reset_plugins()


@pytest.fixture
def add_clip(library: Library, clips: dict[str, Clip]) -> Callable[[str], Item]:
    """Copy a clip into the library's directory and add it as an item."""
    counter = iter(range(1, 1000))

    def add(name: str, source: Path | None = None) -> Item:
        source = source or clips[name].path
        target = Path(library.directory.decode()) / f"{next(counter):02d}-{source.name}"
        shutil.copy(source, target)
        try:
            item = Item.from_path(str(target))
        except ReadError:  # a corrupt file: beets cannot read its tags either
            item = Item(path=str(target))
        item.title = name
        library.add(item)
        return item

    return add


@pytest.fixture
def dj(library: Library, dj_config: Callable[..., None]) -> DjLibrary:
    """The plugin's operations over the test library, its sidecar and a SQLite queue."""
    return DjLibrary(library, beets_config, beets_config["dj"])
