"""The DJ queue under failure: retries with backoff, leases, tasks lost with a killed worker.

Huey's own dequeue, execute and schedule run the tasks, as a consumer would, on the SQLite
queue beside the test library; a worker killed mid-task is Huey's state after the kill: the
task taken from the queue, no result, its lease no longer renewed.
"""

from __future__ import annotations

import datetime
import errno
import os
import time
from collections.abc import Callable

import pytest
from beets.library import Item, Library

from beetcrate import queue
from beetcrate.audiohash import audio_hash
from beetcrate.media import MediaError
from beetcrate.queue import huey, lease
from beetsplug.dj import ledger, tasks
from beetsplug.dj.ledger import JobState
from beetsplug.dj.library import DjLibrary
from beetsplug.dj.tasks import RETRIES, RETRY_DELAY
from beetsplug.dj.worker import LostTaskWatch, recover


class ShareDown:
    """Reading files fails with EIO, as on a network share that is gone for a moment (a local
    file system cannot be made to do that, so the failure is injected where files are read)."""

    def __init__(self) -> None:
        self.down = True

    def audio_hash(self, path: str) -> str:
        if self.down:
            cause = OSError(errno.EIO, "Input/output error", path)
            raise MediaError(f"cannot open {path}: Input/output error") from cause
        return audio_hash(path)


@pytest.fixture
def share(monkeypatch: pytest.MonkeyPatch) -> ShareDown:
    share = ShareDown()
    monkeypatch.setattr(tasks, "audio_hash", share.audio_hash)
    return share


def _execute_next() -> None:
    task = huey.dequeue()
    assert task is not None
    huey.execute(task)


def _execute_due_retry() -> datetime.timedelta:
    """Run the one scheduled retry as the consumer's scheduler would when it falls due;
    returns how long after now it was scheduled."""
    (scheduled,) = huey.scheduled()
    now = huey._get_timestamp()
    (task,) = huey.read_schedule(scheduled.eta)
    huey.execute(task, timestamp=scheduled.eta)
    return scheduled.eta - now


def test_a_passing_io_error_is_retried_with_growing_delays_then_applied(
    dj: DjLibrary, add_clip: Callable[..., Item], library: Library, share: ShareDown
) -> None:
    item = add_clip("house")
    dj.analyze([item], now=False, jobs=1, force=False, wait=False)
    _execute_next()
    assert huey.pending_count() == 0 and huey.scheduled_count() == 1
    first_delay = _execute_due_retry()  # fails again: the share is still gone
    (retry,) = huey.scheduled()
    second_delay = retry.eta - huey._get_timestamp()
    assert first_delay.total_seconds() == pytest.approx(RETRY_DELAY, abs=2)
    assert second_delay.total_seconds() == pytest.approx(2 * RETRY_DELAY, abs=2)
    assert retry.retries == RETRIES - 2
    share.down = False
    _execute_due_retry()
    assert dj.applier.collect() == 1
    assert library.get_item(item.id).bpm == 127
    assert ledger.counts(dj.db)[JobState.DONE] == 1


def test_retries_exhausted_close_the_job_with_the_error(
    dj: DjLibrary, add_clip: Callable[..., Item], library: Library, share: ShareDown
) -> None:
    item = add_clip("house")
    dj.analyze([item], now=False, jobs=1, force=False, wait=False)
    _execute_next()
    for _ in range(RETRIES):
        _execute_due_retry()
    assert huey.scheduled_count() == 0
    dj.applier.collect()
    (failure,) = ledger.failures(dj.db)
    assert failure.path == os.fsdecode(item.path) and "Input/output error" in failure.reason
    assert library.get_item(item.id).get("bpm_precise") is None


class Clock:
    """The wall clock the queue's leases read, moved by the test instead of by waiting."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def __getattr__(self, name: str) -> object:  # everything else is the real time module
        return getattr(time, name)


def test_a_running_task_holds_a_lease_and_is_not_queued_twice(
    dj: DjLibrary, add_clip: Callable[..., Item], monkeypatch: pytest.MonkeyPatch
) -> None:
    dj.analyze([add_clip("dnb")], now=False, jobs=1, force=False, wait=False)
    task = huey.dequeue()
    with lease(task.id, 60.0):
        assert recover(dj.db, dj.preferred, 60.0) == 0
        assert dj.status().startswith("queue: 0 waiting, 0 to retry, 1 running")
    # The worker was killed: a minute later, nothing has renewed the lease.
    assert recover(dj.db, dj.preferred, 60.0, clock=lambda: time.time() + 61) == 1
    assert huey.pending_count() == 1


def test_the_watch_queues_again_only_what_two_checks_in_a_row_found_lost(
    dj: DjLibrary, add_clip: Callable[..., Item], library: Library
) -> None:
    item = add_clip("dnb")
    dj.analyze([item], now=False, jobs=1, force=False, wait=False)
    watch = LostTaskWatch(dj.db, dj.preferred, 60.0)
    huey.dequeue()  # taken by a worker that then dies before its first lease
    assert watch.check() == 0  # maybe just taken: a suspect
    assert watch.check() == 1
    assert watch.check() == 0
    _execute_next()
    dj.applier.collect()
    assert library.get_item(item.id).bpm == 172


def test_a_collected_task_releases_its_lease(dj: DjLibrary, add_clip: Callable[..., Item]) -> None:
    dj.analyze([add_clip("dnb")], now=False, jobs=1, force=False, wait=False)
    task = huey.dequeue()
    huey.execute(task)
    assert queue.holds_lease(task.id, 60.0)
    dj.applier.collect()
    assert not queue.holds_lease(task.id, 60.0)


def test_an_inline_run_reports_a_passing_io_error_as_that_tracks_failure(
    dj: DjLibrary, add_clip: Callable[..., Item], share: ShareDown
) -> None:
    items = [add_clip("house"), add_clip("dnb")]
    summary = dj.analyze(items, now=True, jobs=1, force=False, wait=False)
    assert summary.done == 0
    assert [failure.reason for failure in summary.failures] == [
        f"cannot open {os.fsdecode(item.path)}: Input/output error" for item in items
    ]


def test_a_task_queued_by_the_previous_version_is_still_analysed(
    dj: DjLibrary, add_clip: Callable[..., Item], library: Library
) -> None:
    """Before AnalysisRequest, a task's arguments were (path, expected hash, preferred tempo):
    such tasks may wait in a user's queue across an upgrade."""
    item = add_clip("dnb")
    dj.analyze([item], now=False, jobs=1, force=False, wait=False)
    queued = huey.dequeue()
    request = queued.args[0]
    queued.args = (request.path, request.expected_hash, list(request.preferred_tempo))
    huey.execute(queued)
    dj.applier.collect()
    assert library.get_item(item.id).bpm == 172
