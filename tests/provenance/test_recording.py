"""Every change stored through beets is recorded: field, old and new value, source, time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from beets import plugins
from beets.library import Item

import beetsplug.provenance as provenance_plugin
from beetcrate.attribution import Attribution
from beetsplug.provenance.store import Kind, ProvenanceStore
from beetsplug.provenance.values import Value
from tests.helper import BeetsHome, run_process
from tests.provenance.conftest import PLUGINS, changes_of, log, show


def test_library_found_before_the_plugin_is_recorded_as_found(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    make_item(title="karma police", artist="Radiohead")
    entries = log(home)
    assert changes_of(entries, "title") == [(None, "karma police", "found")]
    assert changes_of(entries, "artist") == [(None, "Radiohead", "found")]
    assert not changes_of(entries, "mtime")


def test_modify_records_old_value_new_value_and_source(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    item = make_item(title="karma police", artist="Radiohead")
    home("modify", "-y", f"id:{item.id}", "title=Karma Police", "mood=dark")
    entries = log(home, f"id:{item.id}")
    assert changes_of(entries, "title")[-1] == ("karma police", "Karma Police", "modify")
    assert changes_of(entries, "mood") == [(None, "dark", "modify")]
    shown = show(home, f"id:{item.id}")[0]["fields"]["title"]
    assert shown["value"] == "Karma Police"
    assert shown["source"] == "modify"
    assert "'Karma Police' set by beet modify" in shown["explanation"]
    assert (
        "before that 'karma police' from the library as provenance first found it"
        in (shown["explanation"])
    )


def test_values_json_cannot_hold_natively_are_recorded_exactly_and_once(tmp_path: Path) -> None:
    store = ProvenanceStore(tmp_path / "beetcrate.db")
    # an integer beyond 64 bits (a plugin's hash), a path that is not UTF-8 (as beets decodes it)
    values: dict[str, Value] = {"title": "Björk", "hash": 2**70 + 1, "path": "bad \udcff.flac"}
    store.record(Kind.ITEM, 1, values, Attribution("modify"))
    store.record(Kind.ITEM, 1, dict(values), Attribution("update"))  # the same values again
    store.flush()
    changes = {change.field: change for change in store.history()}
    assert {field: change.new for field, change in changes.items()} == values
    assert {change.source for change in changes.values()} == {"modify"}
    store.close()


def listens_to_stores_unwrapped() -> bool:
    """Whether the plugin's ``database_change`` listener is beets' registry as it is, not in the
    wrapper ``register_listener`` makes (which keeps the listener as ``__wrapped__``)."""
    return any(
        getattr(listener, "__name__", "") == "on_database_change"
        and not hasattr(listener, "__wrapped__")
        for listener in plugins.BeetsPlugin.listeners["database_change"]
    )


def test_stores_are_recorded_without_beets_wrapper_and_with_it_if_beets_dispatches_otherwise(
    home: BeetsHome, make_item: Callable[..., Item], monkeypatch: pytest.MonkeyPatch
) -> None:
    item = make_item(title="karma police")
    home("modify", "-y", f"id:{item.id}", "title=Karma Police")
    assert listens_to_stores_unwrapped()
    # a beets release whose ``send`` no longer calls what is put in the registry (here: it
    # ignores the plugin's probe)
    send = plugins.send

    def send_ignoring_the_probe(event: str, **arguments: Any) -> list[Any]:
        if event == provenance_plugin._PROBE:
            return []
        return send(event, **arguments)  # type: ignore[call-overload]

    monkeypatch.setattr(plugins, "send", send_ignoring_the_probe)
    home("modify", "-y", f"id:{item.id}", "title=Karma Police (live)")
    assert not listens_to_stores_unwrapped()
    assert changes_of(log(home), "title")[-2:] == [
        ("karma police", "Karma Police", "modify"),
        ("Karma Police", "Karma Police (live)", "modify"),
    ]


@pytest.mark.parametrize("interruption", ["RuntimeError", "KeyboardInterrupt"])
def test_a_command_ended_by_an_error_or_ctrl_c_has_every_store_beets_kept_recorded(
    home: BeetsHome, make_item: Callable[..., Item], interruption: str
) -> None:
    """Pending records are written when the process ends (``atexit``), not only when the
    command ends normally (``cli_exit``): what beets kept of an interrupted command is recorded,
    and nothing else."""
    for n in range(5):
        make_item(title=f"song {n}")
    home("provenance", "log")  # the library as provenance found it
    home.configure(
        pluginpath=[str(PLUGINS)],
        plugins=["provenance", "interrupting"],
        interrupting={"raise": interruption, "after": 2},
    )
    done = run_process("beet", "modify", "-y", "comments=changed", check=False)
    assert "interrupted by the test" in done.stderr or interruption == "KeyboardInterrupt"
    kept_by_beets = {item.id for item in home.lib.items() if item.comments == "changed"}
    assert 0 < len(kept_by_beets) < 5  # stopped in the middle
    recorded = {e["id"] for e in log(home) if e["field"] == "comments"}
    assert recorded == kept_by_beets
