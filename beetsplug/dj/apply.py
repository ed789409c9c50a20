"""The one writer: applies analysis results to beets' database and the sidecar.

Workers only compute; whichever beets process runs on the library's machine (``beet dj
worker``, ``beet dj analyze --wait``, ``beet dj status``) collects finished tasks from the queue
and applies them here. Huey hands each result out once, so two collectors never apply the same
task twice.

It also queues again the tasks lost with a killed worker (``recover``, ``LostTaskWatch``).
"""

from __future__ import annotations

import sqlite_utils
from beets.library import Item, Library
from huey.exceptions import TaskException

from analysis import ANALYSIS_VERSION
from beetcrate.queue import holds_lease, huey, release
from beetsplug.dj import ledger, store
from beetsplug.dj.fields import item_fields
from beetsplug.dj.ledger import Job, JobState
from beetsplug.dj.messages import (
    AnalysisFailure,
    AnalysisPayload,
    AnalysisRequest,
    AnalysisResult,
    TempoRange,
    as_result,
)
from beetsplug.dj.tasks import analyze_file


class Applier:
    """Writes results into one beets library and its sidecar; tags too when ``write``."""

    def __init__(self, lib: Library, db: sqlite_utils.Database, write: bool) -> None:
        self.lib = lib
        self.db = db
        self.write = write

    def apply(self, item: Item, payload: AnalysisPayload) -> None:
        """Store the arrays (once per hash) and set the item's fields; tags if ``write``."""
        if store.stored_version(self.db, payload.audio_hash) != payload.analysis_version:
            store.save(self.db, payload)
        features = payload.features
        item.update(item_fields(features, payload.audio_hash))
        # ReplayGain from the R128 measurement, unless a replaygain plugin already set it.
        if item.get("rg_track_gain") is None:
            item.rg_track_gain = features["replaygain_track_gain"]
            item.rg_track_peak = features["replaygain_track_peak"]
        item.try_sync(self.write, False)

    def apply_stored(self, item: Item, audio_hash: str) -> bool:
        """Apply an analysis already stored for this audio (a copy of an analysed track)."""
        payload = store.load_payload(self.db, audio_hash)
        if payload is None or payload.analysis_version != ANALYSIS_VERSION:
            return False
        self.apply(item, payload)
        return True

    def finish(self, open_jobs: list[Job], result: AnalysisResult) -> None:
        """Close jobs with a task's result: applied, or failed with its reason."""
        if isinstance(result, AnalysisFailure):
            ledger.finish_jobs(
                self.db, [job.id for job in open_jobs], JobState.FAILED, result.reason
            )
            return
        for job in open_jobs:
            item = self.lib.get_item(job.item_id)
            if item is None:
                ledger.finish_jobs(self.db, [job.id], JobState.FAILED, "item no longer in library")
                continue
            self.apply(item, result)
            ledger.finish_jobs(self.db, [job.id], JobState.DONE)

    def collect(self) -> int:
        """Apply every finished task; returns how many tasks were collected."""
        collected = 0
        for task_id in ledger.open_task_ids(self.db):
            try:
                stored = huey.result(task_id)
            except TaskException as exc:  # retries exhausted: Huey stored the last error
                stored = AnalysisFailure.of(exc.metadata.get("error") or "analysis failed")
            if stored is None:
                continue
            self.finish(ledger.jobs_of_task(self.db, task_id), as_result(stored))
            release(task_id)
            collected += 1
        return collected


def lost_tasks(db: sqlite_utils.Database, lease_seconds: float) -> set[str]:
    """Open tasks that died with their worker: neither waiting, nor scheduled for a retry, nor
    finished, nor running (a lease renewed within ``lease_seconds``)."""
    waiting = {task.id for task in huey.pending()} | {task.id for task in huey.scheduled()}
    lost = set()
    for task_id in ledger.open_task_ids(db):
        if task_id in waiting or holds_lease(task_id, lease_seconds):
            continue
        try:
            if huey.result(task_id, preserve=True) is not None:
                continue
        except TaskException:  # finished with an error: the writer will collect it
            continue
        lost.add(task_id)
    return lost


def recover(db: sqlite_utils.Database, preferred: TempoRange, lease_seconds: float) -> int:
    """Queue every lost task again; returns how many."""
    return _requeue(db, lost_tasks(db, lease_seconds), preferred, lease_seconds)


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
