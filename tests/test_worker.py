"""``beetcrate worker`` runs what the plugins queued, in its own process, from the beets config."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from beets.library import Item, Library

from tests.helper import BeetsHome, start_process, stop_process, wait_for


def test_worker_runs_a_queued_duplicate_scan(
    beets_home: BeetsHome, library: Library, make_item: Callable[..., Item], tmp_path: Path
) -> None:
    items = [make_item(freq=440.0), make_item(freq=660.0)]
    beets_home.configure(
        plugins=["dupes"],
        dupes={"fingerprint": False},
        beetcrate={"queue": {"path": str(tmp_path / "queue.db")}},
    )
    queued = beets_home("dupes", "scan", "--queue")
    assert "queued 2 items" in queued
    assert all(not library.get_item(item.id).get("audio_prescreen") for item in items)

    # A separate process: the worker runs until it is stopped.
    worker = start_process("beetcrate", "worker", "-w", "1")
    try:

        def scanned() -> bool:
            fresh = Library(str(beets_home.library_path), str(beets_home.music))
            try:
                return all(fresh.get_item(item.id).get("audio_prescreen") for item in items)
            finally:
                fresh._close()

        wait_for(scanned, timeout=90, interval=0.5, what="the worker to run the queued scan")
    finally:
        output = stop_process(worker)
    assert "tasks of dupes" in output
