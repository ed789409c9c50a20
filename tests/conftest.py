"""Fixtures shared by every test: a real beets library and real synthesized audio files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from beets import config as beets_config
from beets.library import Album, Item, Library

from beetcrate import media
from beetcrate.synth.tones import RATE, sine


@pytest.fixture(autouse=True)
def fresh_beets_config():
    """beets' configuration is process-global: forget what a test loaded into it."""
    yield
    beets_config.clear()
    beets_config._materialized = False


@pytest.fixture
def beets_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A BEETSDIR with a config.yaml pointing at a library inside tmp_path."""
    home = tmp_path / "beets"
    music = tmp_path / "music"
    home.mkdir()
    music.mkdir()
    (home / "config.yaml").write_text(
        f"directory: {music}\nlibrary: {home / 'library.db'}\nplugins: []\n"
    )
    monkeypatch.setenv("BEETSDIR", str(home))
    return home


@pytest.fixture
def library(beets_home: Path, tmp_path: Path) -> Library:
    lib = Library(str(beets_home / "library.db"), str(tmp_path / "music"))
    yield lib
    lib._close()


@pytest.fixture
def make_item(library: Library, tmp_path: Path) -> Callable[..., Item]:
    """Write a real audio file, tag it through beets and add it to the library."""
    counter = iter(range(1, 1_000_000))

    def make(
        suffix: str = "flac",
        seconds: float = 2.0,
        freq: float = 440.0,
        album: Album | None = None,
        **fields: object,
    ) -> Item:
        n = next(counter)
        path = Path(library.directory.decode()) / f"track{n:04d}.{suffix}"
        media.write_audio(path, sine(seconds, freq), RATE)
        item = Item.from_path(str(path))
        item.update({"title": f"Track {n}", "artist": "Artist", "track": n, **fields})
        item.write()
        if album is not None:
            item.album_id = album.id
        library.add(item)
        return item

    return make
