"""``beetcrate worker`` runs what the plugins queued, in its own process, from the beets config."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from beets.library import Item, Library


def test_worker_runs_a_queued_duplicate_scan(
    beets_home: Path, library: Library, make_item: Callable[..., Item], tmp_path: Path
) -> None:
    items = [make_item(freq=440.0), make_item(freq=660.0)]
    config = beets_home / "config.yaml"
    config.write_text(
        f"directory: {tmp_path / 'music'}\nlibrary: {beets_home / 'library.db'}\n"
        "plugins: [dupes]\ndupes: {fingerprint: no}\n"
        f"beetcrate: {{queue: {{path: {tmp_path / 'queue.db'}}}}}\n"
    )
    env = {**os.environ, "BEETSDIR": str(beets_home)}
    queued = subprocess.run(
        [sys.executable, "-m", "beets", "dupes", "scan", "--queue"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert queued.returncode == 0, queued.stderr
    assert "queued 2 items" in queued.stdout
    assert all(not library.get_item(item.id).get("audio_prescreen") for item in items)

    worker = subprocess.Popen(
        [sys.executable, "-m", "beetcrate.cli", "worker", "-w", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            fresh = Library(str(beets_home / "library.db"), str(tmp_path / "music"))
            if all(fresh.get_item(item.id).get("audio_prescreen") for item in items):
                break
            time.sleep(0.5)
        else:
            raise AssertionError("the worker did not run the queued scan")
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert "tasks of dupes" in output
