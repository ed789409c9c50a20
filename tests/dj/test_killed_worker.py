"""A real ``beet dj worker`` killed with SIGKILL mid-task: the next worker finishes the job."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from beets import config
from beets.library import Item, Library

from beetcrate import media, queue
from beetcrate.synth import grooves
from beetsplug.dj import store
from beetsplug.dj.cli import DjLibrary
from tests.dj.conftest import CLIPS

BEET = str(Path(sys.executable).parent / "beet")


def _start_worker() -> subprocess.Popen[str]:
    # A session of its own, so the consumer and its worker processes die together.
    return subprocess.Popen(
        [BEET, "dj", "worker", "-w", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)


def test_a_job_lost_with_a_sigkilled_worker_is_done_by_the_next_worker(
    dj_config: Callable[..., None],
    add_clip: Callable[..., Item],
    beets_home: Path,
    tmp_path: Path,
) -> None:
    dj_config("beetcrate:\n  queue:\n    lease_seconds: 2\n")
    dj = DjLibrary(Library(config["library"].as_filename()), config, config["dj"])
    # Five minutes of whole bars: about two seconds of analysis, long enough to be killed in.
    spec = dataclasses.replace(CLIPS["house"], intro_bars=0)
    samples, _ = grooves.render(spec)
    eight_bars = round(8 * 4 * 60 / spec.bpm * grooves.RATE)
    long_file = tmp_path / "long.flac"
    media.write_audio(long_file, np.tile(samples[:, :eight_bars], 20), grooves.RATE)
    item = add_clip("long", source=long_file)
    dj.analyze([item], now=False, jobs=1, force=False, wait=False)
    (task_id,) = store.open_task_ids(dj.db)

    first = _start_worker()
    try:
        _wait_until(lambda: queue.holds_lease(task_id), 60, "the worker runs the task")
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    assert store.counts(dj.db)[store.QUEUED] == 1

    second = _start_worker()
    try:
        _wait_until(
            lambda: store.counts(dj.db)[store.DONE] == 1, 90, "the next worker finishes the job"
        )
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        output = second.communicate(timeout=30)[0]
    assert "re-queued 1" in output
    fresh = Library(config["library"].as_filename())
    assert fresh.get_item(item.id).bpm == 127
