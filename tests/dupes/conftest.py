"""Fixtures for the duplicate finder: real files in every format, retagged the ways taggers do."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml
from beets import config, plugins, ui
from beets.library import Item, Library

from beetcrate import media
from beetcrate.synth import tunes
from beetcrate.synth.tones import write_tone


@pytest.fixture
def tone(tmp_path: Path) -> Callable[..., Path]:
    """Write a tone file: ``tone("flac")``, ``tone("mp3", freq=660, name="b")``."""

    def make(suffix: str, seconds: float = 2.0, freq: float = 440.0, name: str = "a") -> Path:
        return write_tone(tmp_path / f"{name}.{suffix}", seconds, freq)

    return make


def copy(path: Path, name: str) -> Path:
    target = path.with_name(f"{name}{path.suffix}")
    shutil.copyfile(path, target)
    return target


class Beet:
    """Runs ``beet ARGS`` in-process, as the command line does, on the test library."""

    def __init__(self, lib: Library, home: Path, capsys: pytest.CaptureFixture[str]):
        self.lib = lib
        self.home = home
        self.capsys = capsys
        self.music = Path(lib.directory.decode())
        self.settings: dict = {"dupes": {}}
        self.configure()

    def configure(self, **dupes: object) -> None:
        """Write the beets config file: ``plugins: dupes`` and these ``dupes:`` settings."""
        self.settings["dupes"].update(dupes)
        text = (
            f"directory: {self.music}\nlibrary: {self.home / 'library.db'}\nplugins: [dupes]\n"
            "import: {copy: no, write: no, duplicate_action: keep}\n"
            + yaml.safe_dump(self.settings)
        )
        (self.home / "config.yaml").write_text(text)

    def __call__(self, *args: str) -> str:
        """A fresh configuration and plugin instance per command, as each ``beet`` process has."""
        self.capsys.readouterr()
        reset_beets()
        ui._raw_main(list(args))
        return self.capsys.readouterr().out

    @property
    def db_path(self) -> Path:
        return self.home / "beetcrate.db"

    def add(
        self,
        name: str,
        samples: np.ndarray,
        bit_rate: int | None = None,
        rate: int = tunes.RATE,
        **fields: object,
    ) -> Item:
        """Encode ``samples`` to ``music/name``, tag it through beets and add it."""
        path = self.music / name
        path.parent.mkdir(parents=True, exist_ok=True)
        media.write_audio(path, samples, rate, bit_rate=bit_rate)
        item = Item.from_path(str(path))
        item.update({"title": Path(name).stem, "artist": "Artist", **fields})
        item.write()
        self.lib.add(item)
        return item

    def groups(self) -> list[dict]:
        return json.loads(self("dupes", "list", "--json"))["groups"]


@pytest.fixture
def beet(library: Library, beets_home: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Beet]:
    """The test library with ``plugins: dupes`` in its configuration."""
    yield Beet(library, beets_home, capsys)
    reset_beets()


def reset_beets() -> None:
    plugins.BeetsPlugin.listeners.clear()
    plugins.BeetsPlugin._raw_listeners.clear()
    plugins._instances.clear()
    config.clear()
    config._materialized = False
