"""Groups follow the library: imports and removals regroup; big scans go through the queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from beets.library import Item

from beetcrate import media
from beetcrate.queue import huey, open_queue
from beetcrate.settings import QueueSettings
from beetcrate.synth.tunes import RATE, tune
from beetsplug.dupes import store
from tests.dupes.conftest import list_groups
from tests.helper import BeetsHome, run_process

WORKER = """
import sys
from pathlib import Path
from beetcrate.queue import huey, open_queue
from beetcrate.settings import QueueSettings
import beetsplug.dupes.tasks

open_queue(QueueSettings(path=Path(sys.argv[1])))
while (task := huey.dequeue()) is not None:
    assert huey.execute(task) == [], task
"""


def test_import_hashes_new_items_and_removal_regroups(beet: BeetsHome, tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    x = tune(1, 6)
    media.write_audio(incoming / "one.flac", x, RATE)
    media.write_audio(incoming / "two.mp3", x, RATE, bit_rate=160_000)
    beet("import", "-A", "-q", "-s", str(incoming))
    items = list(beet.lib.items())
    assert len(items) == 2
    assert all(item.get("audio_hash") for item in items)
    groups = list_groups(beet)
    assert [g["kind"] for g in groups] == ["same-recording"]

    beet("remove", "-f", "format:MP3")
    assert list_groups(beet) == []


def test_scan_on_the_queue_regroups_after_the_last_batch(beet: BeetsHome, tmp_path: Path) -> None:
    queue_db = tmp_path / "queue.db"
    x = tune(1, 6)
    beet.add("a.flac", x)
    beet.add("b.flac", x)
    beet.add("c.ogg", x)
    beet.configure(beetcrate={"queue": {"path": str(queue_db)}})
    out = beet("dupes", "scan", "--queue")
    assert "queued 3 items in 1 batches" in out
    assert list_groups(beet) == []
    open_queue(QueueSettings(path=Path(queue_db)))
    assert huey.pending_count() == 1
    # A separate worker process, with no beets plugin loaded, drains the queue.
    run_process("python", "-c", WORKER, str(queue_db))
    assert huey.pending_count() == 0
    kinds = sorted(g["kind"] for g in list_groups(beet))
    assert kinds == ["exact-audio", "same-recording"]
    item = next(iter(beet.lib.items()))
    assert isinstance(item["audio_hash_size"], int)
    assert "scanned 0, unchanged 3" in beet("dupes", "scan")


def test_inline_scan_with_several_processes_matches_a_single_process(beet: BeetsHome) -> None:
    x = tune(1, 6)
    for name in ("a.flac", "b.mp3", "c.opus"):
        beet.add(name, x, bit_rate=None if name.endswith("flac") else 128_000)
    beet.add("d.flac", tune(2, 6))
    out = beet("dupes", "scan", "--jobs", "2")
    assert "scanned 4" in out
    (group,) = list_groups(beet)
    assert len(group["members"]) == 3


def test_help_lists_the_actions_and_each_action_has_its_own(
    beet: BeetsHome, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        beet("dupes", "--help")
    assert "resolve [GROUP...|--all]" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        beet("dupes", "scan", "--help")
    assert "--jobs" in capsys.readouterr().out


def test_audio_hash_is_a_typed_attribute_queryable_from_beets(beet: BeetsHome) -> None:
    item = beet.add("a.flac", tune(1, 6))
    beet("dupes", "scan")
    audio_hash = beet.lib.get_item(item.id)["audio_hash"]
    out = beet("ls", "-f", "$title $audio_hash_size", f"audio_hash:{audio_hash}")
    assert out.strip() == f"a {Path(item.path.decode()).stat().st_size}"
    assert isinstance(Item._types["audio_hash_size"].null, int)


def test_sidecar_follows_the_beetcrate_db_setting(beet: BeetsHome, tmp_path: Path) -> None:
    elsewhere = tmp_path / "state" / "crate.db"
    beet.configure(beetcrate={"db": str(elsewhere)})
    x = tune(1, 6)
    beet.add("a.flac", x)
    beet.add("b.flac", x)
    beet("dupes", "scan")
    assert elsewhere.exists()
    assert not beet.sidecar.exists()
    assert len(store.hidden_item_ids(store.open_store(elsewhere))) == 1
