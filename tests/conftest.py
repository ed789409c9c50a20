"""Fixtures every test may use: beets as a new process has it, and a real beets library."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from beets.library import Album, Item, Library

from beetcrate.synth.tones import sine
from tests.helper import BeetsHome, reset_beets, reset_queue


@pytest.fixture(autouse=True)
def fresh_process_state(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Each test starts as a new process would: beets reset, the queue in memory, an empty
    BEETSDIR and no BEETCRATE_ variables, so that neither an earlier test nor the developer's
    own beets configuration reaches it."""
    monkeypatch.setenv("BEETSDIR", str(tmp_path_factory.mktemp("beetsdir")))
    for name in [name for name in os.environ if name.startswith("BEETCRATE_")]:
        monkeypatch.delenv(name)
    reset_beets()
    reset_queue()
    yield
    reset_beets()
    reset_queue()


@pytest.fixture
def beets_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BeetsHome]:
    """The test's beets home (no plugins yet), found by ``beet`` through BEETSDIR."""
    home = BeetsHome(tmp_path)
    monkeypatch.setenv("BEETSDIR", str(home.dir))
    yield home
    home.close()


@pytest.fixture
def library(beets_home: BeetsHome) -> Library:
    return beets_home.lib


@pytest.fixture
def make_item(beets_home: BeetsHome) -> Callable[..., Item]:
    """Write a sine tone file ``trackNNNN.SUFFIX``, tag it through beets and add it."""
    counter = iter(range(1, 1_000_000))

    def make(
        suffix: str = "flac",
        seconds: float = 2.0,
        freq: float = 440.0,
        album: Album | None = None,
        **fields: object,
    ) -> Item:
        n = next(counter)
        fields = {"title": f"Track {n}", "track": n, **fields}
        if album is not None:
            fields["album_id"] = album.id
        return beets_home.add(f"track{n:04d}.{suffix}", sine(seconds, freq), **fields)

    return make
