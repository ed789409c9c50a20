"""The ``--json`` shapes documented in docs/provenance.md, and the attribution seam other
plugins (identify, Last.fm genres) use to name the source of their changes."""

from __future__ import annotations

from collections.abc import Callable

from beets import plugins
from beets.library import Item

from beetcrate.attribution import attributed
from tests.helper import BeetsHome
from tests.provenance.conftest import changes_of, log, show

CHANGE_KEYS = {
    "old",
    "new",
    "source",
    "candidate_id",
    "candidate_kind",
    "distance",
    "score",
    "confidence",
    "time",
}


def test_log_and_show_json_have_the_documented_shapes(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    item = make_item(title="karma police")
    home("modify", "-y", f"id:{item.id}", "title=Karma Police")
    entries = log(home, f"id:{item.id}")
    assert entries and all(
        set(e) == CHANGE_KEYS | {"kind", "id", "field", "removed"} for e in entries
    )
    shown = show(home, f"id:{item.id}")
    assert [set(entry) for entry in shown] == [{"kind", "id", "label", "fields"}]
    title = shown[0]["fields"]["title"]
    assert set(title) == CHANGE_KEYS - {"old", "new"} | {"value", "explanation", "history"}
    assert [set(step) for step in title["history"]] == [CHANGE_KEYS, CHANGE_KEYS]
    assert [step["new"] for step in title["history"]] == ["karma police", "Karma Police"]


def test_changes_made_inside_an_attributed_block_carry_its_source_and_score(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    item = make_item(title="untitled")
    home("provenance", "log")  # the library as provenance found it
    home.load_plugins()
    lib = home.lib
    stored = lib.get_item(item.id)
    with attributed("identify", candidate_id="rec-karma", score=0.93, candidate_kind="recording"):
        stored.title = "Karma Police"
        stored.store()
    plugins.send("cli_exit", lib=lib)  # the command ends: what is pending is written
    entry = [e for e in log(home) if e["field"] == "title"][-1]
    assert (entry["source"], entry["candidate_id"], entry["score"]) == (
        "identify",
        "rec-karma",
        0.93,
    )
    assert entry["confidence"] == 0.93
    explained = show(home, f"id:{item.id}")[0]["fields"]["title"]["explanation"]
    assert "set by beet identify (recording rec-karma, score 0.93)" in explained


def test_a_store_that_changes_nothing_records_nothing(
    home: BeetsHome, make_item: Callable[..., Item]
) -> None:
    item = make_item(title="same")
    home("modify", "-y", f"id:{item.id}", "title=same", "comments=")
    home("write")
    assert changes_of(log(home), "title") == [(None, "same", "found")]
    assert {e["source"] for e in log(home)} == {"found"}
