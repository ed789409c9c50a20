"""A beets home with the provenance plugin on, and reading what it recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest

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
