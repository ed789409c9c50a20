"""Fixtures for the duplicate finder: real files in every format, retagged the ways taggers do."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from beetcrate.synth.tones import write_tone
from tests.helper import BeetsHome


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


@pytest.fixture
def beet(beets_home: BeetsHome) -> BeetsHome:
    """The test's beets home with ``plugins: [dupes]``, importing in place and keeping
    duplicates; ``beet("dupes", "scan")`` runs the command as the command line does."""
    beets_home.configure(
        plugins=["dupes"],
        dupes={},
        **{"import": {"copy": False, "write": False, "duplicate_action": "keep"}},
    )
    return beets_home


def list_groups(beet: BeetsHome) -> list[dict]:
    """The groups ``beet dupes list --json`` shows."""
    return json.loads(beet("dupes", "list", "--json"))["groups"]
