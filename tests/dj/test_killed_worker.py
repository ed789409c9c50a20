"""A real ``beet dj worker`` killed with SIGKILL mid-task: the next worker finishes the job."""

from __future__ import annotations

import dataclasses
import signal
from collections.abc import Callable
from pathlib import Path

import numpy as np
from beets import config
from beets.library import Item, Library
from mediafile import MediaFile

from beetcrate import media, queue
from beetcrate.synth import grooves
from beetsplug.dj import ledger
from beetsplug.dj.ledger import JobState
from beetsplug.dj.library import DjLibrary
from tests.dj.conftest import CLIPS
from tests.helper import start_process, stop_process, wait_for


def test_a_job_lost_with_a_sigkilled_worker_is_done_by_the_next_worker(
    dj_config: Callable[..., None],
    add_clip: Callable[..., Item],
    tmp_path: Path,
) -> None:
    # Tags written too: the worker's writer thread must see the files (beets keeps paths
    # relative to the music directory, resolved through a context a new thread lacks).
    dj_config("beetcrate:\n  queue:\n    lease_seconds: 2\nimport:\n  write: yes\n")
    dj = DjLibrary.from_config(Library(config["library"].as_filename()), config, config["dj"])
    # Five minutes of whole bars: about two seconds of analysis, long enough to be killed in.
    spec = dataclasses.replace(CLIPS["house"], intro_bars=0)
    samples, _ = grooves.render(spec)
    eight_bars = round(8 * 4 * 60 / spec.bpm * grooves.RATE)
    long_file = tmp_path / "long.flac"
    media.write_audio(long_file, np.tile(samples[:, :eight_bars], 20), grooves.RATE)
    item = add_clip("long", source=long_file)
    dj.analyze([item], now=False, jobs=1, force=False, wait=False)
    (task_id,) = ledger.open_task_ids(dj.db)

    # A session of its own (start_process), so the consumer and its workers die together.
    first = start_process("beet", "dj", "worker", "-w", "1")
    try:
        wait_for(lambda: queue.holds_lease(task_id, 2.0), 60, what="the worker to run the task")
    finally:
        stop_process(first, signal.SIGKILL)
    assert ledger.counts(dj.db)[JobState.QUEUED] == 1

    second = start_process("beet", "dj", "worker", "-w", "1")
    try:
        wait_for(
            lambda: ledger.counts(dj.db)[JobState.DONE] == 1,
            90,
            what="the next worker to finish the job",
        )
    finally:
        output = stop_process(second)
    assert "re-queued 1" in output
    assert "beet dj worker: 1 analysis processes on the sqlite queue" in output
    fresh = Library(config["library"].as_filename(), config["directory"].as_filename())
    analysed = fresh.get_item(item.id)
    assert analysed.bpm == 127
    assert MediaFile(analysed.path).bpm == 127  # written into the file by the worker
    assert "No such file" not in output
