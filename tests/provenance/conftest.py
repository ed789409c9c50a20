"""A beets home with the provenance plugin on, and reading what it recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from beets.library import Item

from beetcrate import media
from beetcrate.synth.tones import RATE, sine
from tests.helper import BeetsHome


@pytest.fixture
def home(beets_home: BeetsHome) -> BeetsHome:
    beets_home.configure(plugins=["provenance"], **{"import": {"write": False}})
    return beets_home


def log(home: BeetsHome, *args: str) -> list[dict[str, Any]]:
    """``beet provenance log ARGS --json``."""
    return json.loads(home("provenance", "log", *args, "--json"))


def show(home: BeetsHome, *args: str) -> list[dict[str, Any]]:
    """``beet provenance show ARGS --json``."""
    return json.loads(home("provenance", "show", *args, "--json"))


def changes_of(entries: list[dict[str, Any]], field: str) -> list[tuple[Any, Any, str]]:
    """(old, new, source) of one field's changes, in order."""
    return [(e["old"], e["new"], e["source"]) for e in entries if e["field"] == field]


PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def importing(home: BeetsHome, tmp_path: Path) -> BeetsHome:
    """The home, with the test's metadata source (``plugins/beetsplug/fakerelease.py``)."""
    home.configure(pluginpath=[str(PLUGINS)], plugins=["provenance", "fakerelease"])
    return home


def tagged_file(path: Path, seconds: float = 2.0, **tags: Any) -> Path:
    """A real audio file at ``path`` with ``tags`` written into it (not in any library)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    media.write_audio(path, sine(seconds, 440.0), RATE)
    item = Item.from_path(str(path))
    item.update(tags)
    item.write()
    return path
