"""``DjLibrary``: the DJ plugin's operations over one beets library, its sidecar and the queue.

Select what needs analysing, queue it (or analyse it here with ``--now``), wait for the
workers, report the state, show and draw what was found. The commands (``commands.py``) and the
import hook call these; the tests drive them without the CLI.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import confuse
from beets import ui
from beets.library import Item, Library
from beets.util import syspath
from tqdm import tqdm

from analysis import ANALYSIS_VERSION
from analysis import waveform as waveforms
from beetcrate.audiohash import audio_hash
from beetcrate.media import MediaError
from beetcrate.queue import QueueSettings, holds_lease, huey, open_queue
from beetcrate.settings import queue_settings, sidecar_path
from beetsplug.dj import ledger, store
from beetsplug.dj.apply import Applier, WriteFailed
from beetsplug.dj.ledger import Failure, Job, JobState
from beetsplug.dj.messages import AnalysisFailure, AnalysisRequest, AnalysisResult, TempoRange
from beetsplug.dj.render import render_waveform
from beetsplug.dj.tasks import IMPORT_PRIORITY, USER_PRIORITY, analyze_file, compute_inline

# After this long without a finished job, ``--wait`` asks whether a worker runs at all.
IDLE_HINT_SECONDS = 60.0
# The keys of ``beet dj show --json`` named by the issue, then the rest of the scalars.
SHOW_KEYS = (
    "path",
    "bpm",
    "key",
    "camelot",
    "openkey",
    "key_strength",
    "beats",
    "downbeats",
    "lufs",
    "energy",
    "danceability",
    "cues",
)


@dataclass
class Summary:
    """What one ``analyze`` did with the items it was given."""

    done: int = 0
    queued: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)


@dataclass(frozen=True)
class HashedItem:
    """An item to analyse, and the hash of its audio now."""

    item: Item
    audio_hash: str

    @property
    def path(self) -> str:
        return os.fsdecode(self.item.path)


class DjLibrary:
    """The DJ plugin's operations over one beets library, its sidecar and the queue."""

    def __init__(
        self,
        lib: Library,
        sidecar: Path,
        queue: QueueSettings,
        preferred: TempoRange,
        write: bool,
    ) -> None:
        self.lib = lib
        self.sidecar = sidecar
        self.queue = queue
        self.preferred = preferred  # the tempo range that resolves octave ambiguity
        self.db = store.open_store(sidecar)
        self.applier = Applier(lib, self.db, write)
        open_queue(queue)  # once per process: opening the queue in use again does nothing

    @classmethod
    def from_config(
        cls, lib: Library, config: confuse.ConfigView, plugin_config: confuse.ConfigView
    ) -> DjLibrary:
        """The service the beets configuration describes (``dj:`` is ``plugin_config``)."""
        low, high = plugin_config["tempo_range"].get(list)
        return cls(
            lib,
            sidecar_path(config),
            queue_settings(config),
            (float(low), float(high)),
            write=ui.should_write(),
        )

    def _request(self, path: str, expected_hash: str | None) -> AnalysisRequest:
        return AnalysisRequest(path, expected_hash, self.preferred, self.queue.lease_seconds)

    # Choosing and queueing.

    def _is_current(self, item: Item) -> bool:
        stored = item.get("dj_audio_hash")
        return (
            item.get("dj_analysis_version") == ANALYSIS_VERSION
            and bool(stored)
            and store.stored_version(self.db, stored) == ANALYSIS_VERSION
        )

    def _hash(self, item: Item, summary: Summary) -> str | None:
        """The hash of the item's audio, or None with its failure recorded."""
        path = os.fsdecode(item.path)
        if not os.path.exists(syspath(item.path)):
            reason = f"file not found: {path}"
        else:
            try:
                return audio_hash(syspath(item.path))
            except MediaError as exc:
                reason = str(exc)
        ledger.add_job(self.db, item, None, None, state=JobState.FAILED, reason=reason)
        summary.failures.append(Failure(path, reason))
        return None

    def select(self, items: list[Item], force: bool, summary: Summary) -> list[HashedItem]:
        """Items that need analysing, with their audio hash; copies of analysed audio are
        applied from the sidecar at once."""
        todo: list[HashedItem] = []
        for item in items:
            if not force and self._is_current(item):
                summary.skipped += 1
                continue
            digest = self._hash(item, summary)
            if digest is None:
                continue
            try:
                applied = not force and self.applier.apply_stored(item, digest)
            except WriteFailed as failed:
                ledger.add_job(
                    self.db, item, digest, None, state=JobState.FAILED, reason=str(failed)
                )
                summary.failures.append(Failure(os.fsdecode(item.path), str(failed)))
                continue
            if applied:
                ledger.add_job(self.db, item, digest, None, state=JobState.DONE)
                summary.done += 1
                continue
            todo.append(HashedItem(item, digest))
        return todo

    def enqueue(self, item: Item, digest: str | None, priority: int) -> Job:
        """Queue an item, riding along with the task already computing the same audio."""
        path = os.fsdecode(item.path)
        task_id = ledger.queued_task_for_hash(self.db, digest) if digest else None
        if task_id is None:
            task = analyze_file.s(self._request(path, digest), priority=priority)
            huey.enqueue(task)
            task_id = task.id
        return ledger.add_job(self.db, item, digest, task_id, priority)

    def enqueue_imported(self, items: list[Item]) -> None:
        """Queue freshly imported items behind any explicit request (the import hook)."""
        for item in items:
            self.enqueue(item, None, IMPORT_PRIORITY)

    # Analysing.

    def analyze(self, items: list[Item], now: bool, jobs: int, force: bool, wait: bool) -> Summary:
        """Analyse what needs it among ``items``: here (``now``, in ``jobs`` processes), or on
        the queue, waiting for the workers if ``wait``."""
        summary = Summary()
        todo = self.select(items, force, summary)
        if now:
            self.analyze_now(todo, jobs, summary)
            return summary
        queued = [self.enqueue(t.item, t.audio_hash, USER_PRIORITY) for t in todo]
        if wait:
            self.wait(queued, summary)
        else:
            summary.queued = len(queued)
        return summary

    def analyze_now(self, todo: list[HashedItem], processes: int, summary: Summary) -> None:
        """Analyse in this process (or ``processes`` processes), applying results as they
        come."""
        bar = tqdm(total=len(todo), unit="track", desc="analysing", disable=not todo)
        if processes <= 1:
            for one in todo:
                self._record(one, compute_inline(self._request(one.path, one.audio_hash)), summary)
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=processes) as pool:
                running = {
                    pool.submit(compute_inline, self._request(one.path, one.audio_hash)): one
                    for one in todo
                }
                for future in as_completed(running):
                    self._record(running[future], future.result(), summary)
                    bar.update()
        bar.close()

    def _record(self, hashed: HashedItem, result: AnalysisResult, summary: Summary) -> None:
        job = ledger.add_job(self.db, hashed.item, hashed.audio_hash, None, USER_PRIORITY)
        self.applier.finish([job], result)
        if isinstance(result, AnalysisFailure):
            summary.failures.append(Failure(hashed.path, result.reason))
        else:
            summary.done += 1

    def wait(self, queued: list[Job], summary: Summary, poll: float = 0.5) -> None:
        """Collect results until the given jobs are closed, with a progress bar."""
        job_ids = [job.id for job in queued]
        bar = tqdm(total=len(job_ids), unit="track", desc="waiting for workers")
        remaining = ledger.open_count(self.db, job_ids)
        progress_at = time.monotonic()
        hinted = False
        while remaining:
            self.applier.collect()
            now = ledger.open_count(self.db, job_ids)
            if now < remaining:
                progress_at = time.monotonic()
            elif not hinted and time.monotonic() - progress_at > IDLE_HINT_SECONDS:
                bar.write("nothing finished for a while: is `beet dj worker` running?")
                hinted = True
            bar.update(remaining - now)
            remaining = now
            if remaining:
                time.sleep(poll)
        bar.close()
        failed = ledger.failures_among(self.db, job_ids)
        summary.failures.extend(failed)
        summary.done += len(job_ids) - len(failed)

    # Reporting.

    def status(self) -> str:
        """The queue and the tracks' states, with the latest failures (``beet dj status``)."""
        self.applier.collect()
        counts = ledger.counts(self.db)
        seconds = self.queue.lease_seconds
        running = sum(holds_lease(task, seconds) for task in ledger.open_task_ids(self.db))
        lines = [
            f"queue: {huey.pending_count()} waiting, {huey.scheduled_count()} to retry, "
            f"{running} running",
            f"tracks: {counts[JobState.QUEUED]} queued, {counts[JobState.DONE]} done, "
            f"{counts[JobState.FAILED]} failed",
        ]
        failures = ledger.failures(self.db)
        lines += [f"  failed: {failure.path}: {failure.reason}" for failure in failures]
        return "\n".join(lines)

    def features(self, item: Item) -> dict[str, Any] | None:
        """What the analysis of the item's audio found, as ``store.load_features`` gives it."""
        digest = item.get("dj_audio_hash")
        return store.load_features(self.db, digest) if digest else None

    def show(self, items: list[Item]) -> list[dict[str, Any]]:
        """One record per item for ``beet dj show``: ``SHOW_KEYS`` first, then the rest."""
        shown = []
        for item in items:
            features = self.features(item) or {}
            record = {key: features.get(key) for key in SHOW_KEYS}
            record.update({k: v for k, v in features.items() if k not in record})
            record["path"] = os.fsdecode(item.path)
            shown.append(record)
        return shown

    def render(self, item: Item, out: Path, width: int, height: int) -> None:
        """Draw the item's waveform, beat grid and cues into a PNG at ``out``."""
        digest = item.get("dj_audio_hash")
        data = store.load_waveform(self.db, digest, 1) if digest else None
        features = self.features(item)
        if data is None or features is None:
            raise ui.UserError(f"not analysed yet: {os.fsdecode(item.path)}")
        render_waveform(
            waveforms.unpack(data),
            features["beats"],
            features["downbeats"],
            features["cues"],
            out,
            width=width,
            height=height,
        )
