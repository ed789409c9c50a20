"""The one writer: applies analysis results to beets' database and the sidecar.

Workers only compute; whichever beets process runs on the library's machine (``beet dj
worker``, ``beet dj analyze --wait``, ``beet dj status``) collects finished tasks from the queue
and applies them here. Huey hands each result out once, so two collectors never apply the same
task twice.
"""

from __future__ import annotations

import sqlite_utils
from beets.library import FileOperationError, Item, Library
from huey.exceptions import TaskException

from analysis import ANALYSIS_VERSION
from beetcrate.queue import huey, release
from beetsplug.dj import ledger, store
from beetsplug.dj.fields import corrected_fields, item_fields
from beetsplug.dj.ledger import Job, JobState
from beetsplug.dj.messages import AnalysisFailure, AnalysisPayload, AnalysisResult, as_result


class WriteFailed(Exception):
    """The analysis is stored but the file's tags could not be written; says why."""


class Applier:
    """Writes results into one beets library and its sidecar; tags too when ``write``."""

    def __init__(self, lib: Library, db: sqlite_utils.Database, write: bool) -> None:
        self.lib = lib
        self.db = db
        self.write = write

    def apply(self, item: Item, payload: AnalysisPayload) -> None:
        """Store the arrays (once per hash) and set the item's fields; tags if ``write``.
        A tempo or key the user corrected since the last analysis stays (``corrected_fields``).
        Raises ``WriteFailed`` when the tags cannot be written (the fields are stored)."""
        corrected = corrected_fields(item)
        if store.stored_version(self.db, payload.audio_hash) != payload.analysis_version:
            store.save(self.db, payload)
        features = payload.features
        fields = item_fields(features, payload.audio_hash)
        item.update({name: value for name, value in fields.items() if name not in corrected})
        # ReplayGain from the R128 measurement, unless a replaygain plugin already set it.
        if item.get("rg_track_gain") is None:
            item.rg_track_gain = features["replaygain_track_gain"]
            item.rg_track_peak = features["replaygain_track_peak"]
        item.store()
        if self.write:
            try:
                item.write()
            except FileOperationError as exc:
                # beets' try_write would log it and go on: the job would say done.
                raise WriteFailed(f"analysed, but the tags could not be written: {exc}") from exc

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
            try:
                self.apply(item, result)
            except WriteFailed as failed:
                ledger.finish_jobs(self.db, [job.id], JobState.FAILED, str(failed))
                continue
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
