"""The duplicate finder's work on the shared Huey queue, for libraries too large to scan inline.

A worker runs these once it has imported this module (``beetcrate worker`` must import
``beetsplug.dupes.tasks``). A scan is split into batches of items; the batch that brings the
job's remaining count to zero regroups, so the groups are recomputed once, after the last file
is analysed, whichever worker runs it.

Each batch is recorded in the sidecar with the task carrying it, and runs under a lease
(``beetcrate.queue``): a worker watches for batches whose task died with a killed worker and
queues them again, so a job never waits forever for a lost batch. The regroup is watched the
same way: the job stays recorded, naming the task regrouping it, until the regroup has ended, so
a worker killed after the last batch counted and before the groups were stored leaves a regroup
that the next worker queues again (``regroup_job``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils
from beets.library import Item, Library
from huey.api import Task

from beetcrate.queue import holds_lease, huey, lease, release
from beetsplug.dupes import ITEM_TYPES, store
from beetsplug.dupes.group import regroup
from beetsplug.dupes.rank import Ranking
from beetsplug.dupes.scan import Scanner

if TYPE_CHECKING:
    from beetsplug.dupes.settings import DupesSettings

BATCH = 50


@dataclass(frozen=True)
class Job:
    """What a worker needs to redo a scan without reading the beets configuration.

    It travels in the queue as a dict of these fields: tasks queued by an earlier version wait
    there, so the fields stay as they are.
    """

    library: str
    directory: str
    db: str
    fingerprints: bool
    ranking: Sequence[str]
    preferred_directories: Sequence[str]

    @classmethod
    def from_settings(cls, settings: DupesSettings) -> Job:
        return cls(
            library=str(settings.library),
            directory=str(settings.music_directory),
            db=str(settings.db),
            fingerprints=settings.fingerprints,
            ranking=list(settings.ranking.order),
            preferred_directories=list(settings.ranking.preferred_directories),
        )


def enqueue_scan(job: Job, item_ids: Sequence[int], lease_seconds: float) -> int:
    """Queue ``item_ids`` in batches; returns the number of batches."""
    batches = [list(item_ids[i : i + BATCH]) for i in range(0, len(item_ids), BATCH)]
    if not batches:
        return 0
    db = store.open_store(job.db)
    job_id = store.start_job(db, len(batches), asdict(job))
    for batch in batches:
        task = scan_batch.s(asdict(job), batch, job_id, lease_seconds)
        # Recorded before it is queued: a worker quick to finish it finds the record to delete.
        store.add_batch(db, store.Batch(task.id, job_id, asdict(job), batch))
        huey.enqueue(task)
    return len(batches)


@huey.task(context=True)
def scan_batch(
    job: dict[str, Any],
    item_ids: list[int],
    job_id: int,
    lease_seconds: float = 60.0,  # tasks queued before leases lack it
    *,
    task: Task,
) -> list[str]:
    """Analyse a batch; the last batch of a job regroups. Returns the batch's error messages."""
    with _working_on(job, task, lease_seconds) as (settings, lib):
        items = [item for item in map(lib.get_item, item_ids) if item is not None]
        report = Scanner(lib, settings.db, settings.fingerprints).run(items)
        db = store.open_store(settings.db)
        if store.finish_batch(db, job_id, task.id):
            _regroup(settings, lib, db, job_id)
    return report.errors


@huey.task(context=True)
def regroup_job(job: dict[str, Any], job_id: int, lease_seconds: float, *, task: Task) -> None:
    """Regroup a job whose last batch counted but whose regroup died with its worker."""
    with _working_on(job, task, lease_seconds) as (settings, lib):
        _regroup(settings, lib, store.open_store(settings.db), job_id)


@contextlib.contextmanager
def _working_on(
    job: dict[str, Any], task: Task, lease_seconds: float
) -> Iterator[tuple[Job, Library]]:
    """The job's settings and library, under the task's lease; released and closed after."""
    settings = Job(**job)
    # A worker loads no beets plugins: declare the attribute types the CLI would have.
    Item._types.update(ITEM_TYPES)
    lib = Library(settings.library, settings.directory)
    try:
        with lease(task.id, lease_seconds):
            yield settings, lib
    finally:
        release(task.id)
        lib._close()


def _regroup(settings: Job, lib: Library, db: sqlite_utils.Database, job_id: int) -> None:
    """Regroup the library after a job, then end the job (nothing is owed any more)."""
    regroup(lib, db, Ranking(settings.ranking, settings.preferred_directories))
    store.end_job(db, job_id)


def start_worker(sidecar: Path, lease_seconds: float) -> None:
    """Called by ``beetcrate worker`` at its start: watch for lost batches in a thread."""
    watch = threading.Thread(
        target=watch_lost_tasks,
        args=(sidecar, lease_seconds),
        name="dupes lost tasks",
        daemon=True,
    )
    watch.start()


def watch_lost_tasks(sidecar: Path, lease_seconds: float) -> None:
    """Twice per lease time, queue again the batches and regroups found lost on two checks in a
    row.

    One check is not enough: a task a worker has just taken holds no lease for a moment.
    """
    db = store.open_store(sidecar)  # a connection of this thread's own
    suspects: set[str] = set()
    while True:
        batches, regroups = lost_batches(db, lease_seconds), lost_regroups(db, lease_seconds)
        for batch in batches:
            if batch.task_id in suspects:
                requeue(db, batch, lease_seconds)
        for owed in regroups:
            if owed.task_id in suspects:
                requeue_regroup(db, owed, lease_seconds)
        lost = {batch.task_id for batch in batches} | {owed.task_id for owed in regroups}
        suspects = lost - suspects
        time.sleep(lease_seconds / 2)


def _lost(task_ids: set[str], lease_seconds: float) -> set[str]:
    """Those of ``task_ids`` that are neither waiting, nor scheduled, nor running (a lease
    renewed within ``lease_seconds``): they died with their worker."""
    waiting = {task.id for task in huey.pending()} | {task.id for task in huey.scheduled()}
    return {t for t in task_ids - waiting if not holds_lease(t, lease_seconds)}


def lost_batches(db: sqlite_utils.Database, lease_seconds: float) -> list[store.Batch]:
    """Open batches whose task died with its worker."""
    batches = store.open_batches(db)
    lost = _lost({batch.task_id for batch in batches}, lease_seconds)
    return [batch for batch in batches if batch.task_id in lost]


def lost_regroups(db: sqlite_utils.Database, lease_seconds: float) -> list[store.OwedRegroup]:
    """Jobs whose batches are done and whose regrouping task died with its worker."""
    owed = store.owed_regroups(db)
    lost = _lost({regroup.task_id for regroup in owed}, lease_seconds)
    return [regroup for regroup in owed if regroup.task_id in lost]


def requeue(db: sqlite_utils.Database, batch: store.Batch, lease_seconds: float) -> None:
    task = scan_batch.s(batch.job, batch.item_ids, batch.job_id, lease_seconds)
    store.retask_batch(db, batch.task_id, task.id)
    huey.enqueue(task)
    release(batch.task_id)
    print(f"dupes: re-queued a batch of {len(batch.item_ids)} items lost with a worker")


def requeue_regroup(
    db: sqlite_utils.Database, owed: store.OwedRegroup, lease_seconds: float
) -> None:
    task = regroup_job.s(owed.job, owed.job_id, lease_seconds)
    store.retask_regroup(db, owed.job_id, task.id)
    huey.enqueue(task)
    release(owed.task_id)
    print("dupes: re-queued the regroup of a scan whose worker was lost")
