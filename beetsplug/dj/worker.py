"""``beet dj worker``: Huey consumers, the one writer beside them, and the lost-task watch.

The consumers run every task on the shared queue in child processes. A thread of the same
process collects finished analyses and applies them (``apply.Applier``), and watches for tasks
that died with a killed worker: Huey has taken such a task from the queue and no result will
come, so it is queued again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import sqlite_utils
from beets import ui
from huey.exceptions import TaskException

from beetcrate.queue import holds_lease, huey, release
from beetcrate.settings import Backend
from beetsplug.dj import ledger, store
from beetsplug.dj.apply import Applier
from beetsplug.dj.library import DjLibrary
from beetsplug.dj.messages import AnalysisRequest, TempoRange
from beetsplug.dj.tasks import analyze_file

WRITER_POLL_SECONDS = 1.0


def run_worker(dj: DjLibrary, workers: int) -> None:
    """Queue the tasks lost before this start, then run ``workers`` consumer processes and the
    writer until stopped."""
    queue = dj.queue
    where = queue.redis_url if queue.backend is Backend.REDIS else str(queue.path)
    ui.print_(
        f"beet dj worker: {workers} analysis processes on the {queue.backend.value} queue"
        f" {where}; Ctrl-C stops"
    )
    requeued = recover(dj.db, dj.preferred, dj.queue.lease_seconds)
    if requeued:
        ui.print_(f"re-queued {requeued} interrupted job(s)")
    stop = threading.Event()
    writer = threading.Thread(target=_write_until, args=(dj, stop), name="dj writer", daemon=True)
    writer.start()
    consumer = huey.create_consumer(workers=workers, worker_type="process", periodic=False)
    try:
        consumer.run()
    finally:
        stop.set()
        writer.join(timeout=5)


def _write_until(dj: DjLibrary, stop: threading.Event) -> None:
    """Apply results as they come, and check for lost tasks twice per lease time."""
    # beets resolves item paths against a music directory held in a context variable, which a
    # new thread does not inherit: without it every path is relative and no tag is written.
    with dj.lib.music_dir_context():
        _apply_until(dj, stop)


def _apply_until(dj: DjLibrary, stop: threading.Event) -> None:
    # A sidecar connection of its own: the main thread's is not shared with this one.
    applier = Applier(dj.lib, store.open_store(dj.sidecar), dj.applier.write)
    watch = LostTaskWatch(applier.db, dj.preferred, dj.queue.lease_seconds)
    checked = time.monotonic()
    while not stop.wait(WRITER_POLL_SECONDS):
        applier.collect()
        if time.monotonic() - checked >= dj.queue.lease_seconds / 2:
            checked = time.monotonic()
            requeued = watch.check()
            if requeued:
                ui.print_(f"re-queued {requeued} job(s) lost with a worker")


def lost_tasks(
    db: sqlite_utils.Database, lease_seconds: float, clock: Callable[[], float] = time.time
) -> set[str]:
    """Open tasks that died with their worker: neither waiting, nor scheduled for a retry, nor
    finished, nor running (a lease renewed within ``lease_seconds`` of ``clock``)."""
    waiting = {task.id for task in huey.pending()} | {task.id for task in huey.scheduled()}
    lost = set()
    for task_id in ledger.open_task_ids(db):
        if task_id in waiting or holds_lease(task_id, lease_seconds, clock):
            continue
        try:
            if huey.result(task_id, preserve=True) is not None:
                continue
        except TaskException:  # finished with an error: the writer will collect it
            continue
        lost.add(task_id)
    return lost


def recover(
    db: sqlite_utils.Database,
    preferred: TempoRange,
    lease_seconds: float,
    clock: Callable[[], float] = time.time,
) -> int:
    """Queue every lost task again; returns how many."""
    return _requeue(db, lost_tasks(db, lease_seconds, clock), preferred, lease_seconds)


def _requeue(
    db: sqlite_utils.Database, task_ids: set[str], preferred: TempoRange, lease_seconds: float
) -> int:
    for task_id in task_ids:
        waiting = ledger.jobs_of_task(db, task_id)
        first = waiting[0]
        request = AnalysisRequest(first.path, first.audio_hash, preferred, lease_seconds)
        task = analyze_file.s(request, priority=max(job.priority for job in waiting))
        huey.enqueue(task)
        ledger.retask(db, task_id, task.id)
        release(task_id)
    return len(task_ids)


class LostTaskWatch:
    """Queues again the tasks found lost on two checks in a row, while workers run.

    One check is not enough: a task a worker has just taken holds no lease for a moment.
    """

    def __init__(
        self, db: sqlite_utils.Database, preferred: TempoRange, lease_seconds: float
    ) -> None:
        self.db = db
        self.preferred = preferred
        self.lease_seconds = lease_seconds
        self._suspects: set[str] = set()

    def check(self) -> int:
        """Queue again what the previous check also found lost; returns how many."""
        lost = lost_tasks(self.db, self.lease_seconds)
        confirmed = lost & self._suspects
        self._suspects = lost - confirmed
        return _requeue(self.db, confirmed, self.preferred, self.lease_seconds)
