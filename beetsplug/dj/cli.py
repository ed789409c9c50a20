"""``beet dj analyze | status | show | waveform | worker``: thin commands over ``DjLibrary``."""

from __future__ import annotations

import json
import optparse
import os
import threading
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
from beetcrate import queue
from beetcrate.audiohash import audio_hash
from beetcrate.media import MediaError
from beetcrate.queue import huey, open_queue
from beetcrate.settings import queue_settings, sidecar_path
from beetsplug.dj import ledger, store
from beetsplug.dj.apply import Applier, LostTaskWatch, recover
from beetsplug.dj.ledger import Failure, Job, JobState
from beetsplug.dj.messages import AnalysisFailure, AnalysisRequest, AnalysisResult
from beetsplug.dj.render import render_waveform
from beetsplug.dj.tasks import IMPORT_PRIORITY, USER_PRIORITY, analyze_file, compute_inline

_IDLE_HINT_SECONDS = 60.0
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
    done: int = 0
    queued: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)


class DjLibrary:
    """The DJ plugin's operations over one beets library, its sidecar and the queue."""

    def __init__(self, lib: Library, config: confuse.ConfigView, plugin_config: Any) -> None:
        self.lib = lib
        self.db = store.open_store(sidecar_path(config))
        self.queue = queue_settings(config)
        open_queue(self.queue)
        low, high = plugin_config["tempo_range"].get(list)
        self.preferred = (float(low), float(high))
        self.applier = Applier(lib, self.db, write=ui.should_write())

    def _request(self, path: str, expected_hash: str | None) -> AnalysisRequest:
        return AnalysisRequest(path, expected_hash, self.preferred, self.queue.lease_seconds)

    def _is_current(self, item: Item) -> bool:
        stored = item.get("dj_audio_hash")
        return (
            item.get("dj_analysis_version") == ANALYSIS_VERSION
            and bool(stored)
            and store.is_current(self.db, stored)
        )

    def _hash(self, item: Item, summary: Summary) -> str | None:
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

    def select(self, items: list[Item], force: bool, summary: Summary) -> list[tuple[Item, str]]:
        """Items that need analysing, with their audio hash; copies of analysed audio are
        applied from the sidecar at once."""
        todo = []
        for item in items:
            if not force and self._is_current(item):
                summary.skipped += 1
                continue
            digest = self._hash(item, summary)
            if digest is None:
                continue
            if not force and self.applier.apply_stored(item, digest):
                ledger.add_job(self.db, item, digest, None, state=JobState.DONE)
                summary.done += 1
                continue
            todo.append((item, digest))
        return todo

    def enqueue(self, item: Item, digest: str | None, priority: int) -> Job:
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

    def analyze_now(self, todo: list[tuple[Item, str]], jobs: int, summary: Summary) -> None:
        """Analyse in this process (or ``jobs`` processes), applying results as they come."""
        bar = tqdm(total=len(todo), unit="track", desc="analysing", disable=not todo)
        if jobs <= 1:
            outcomes = (
                (item, digest, compute_inline(self._request(os.fsdecode(item.path), digest)))
                for item, digest in todo
            )
            for item, digest, result in outcomes:
                self._record(item, digest, result, summary)
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = {
                    pool.submit(compute_inline, self._request(os.fsdecode(item.path), digest)): (
                        item,
                        digest,
                    )
                    for item, digest in todo
                }
                for future in as_completed(futures):
                    item, digest = futures[future]
                    self._record(item, digest, future.result(), summary)
                    bar.update()
        bar.close()

    def _record(self, item: Item, digest: str, result: AnalysisResult, summary: Summary) -> None:
        job = ledger.add_job(self.db, item, digest, None, USER_PRIORITY)
        self.applier.finish([job], result)
        if isinstance(result, AnalysisFailure):
            summary.failures.append(Failure(job.path, result.reason))
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
            elif not hinted and time.monotonic() - progress_at > _IDLE_HINT_SECONDS:
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

    def analyze(self, items: list[Item], now: bool, jobs: int, force: bool, wait: bool) -> Summary:
        summary = Summary()
        todo = self.select(items, force, summary)
        if now:
            self.analyze_now(todo, jobs, summary)
            return summary
        queued = [self.enqueue(item, digest, USER_PRIORITY) for item, digest in todo]
        if wait:
            self.wait(queued, summary)
        else:
            summary.queued = len(queued)
        return summary

    def status(self) -> str:
        self.applier.collect()
        counts = ledger.counts(self.db)
        seconds = self.queue.lease_seconds
        running = sum(queue.holds_lease(t, seconds) for t in ledger.open_task_ids(self.db))
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
        digest = item.get("dj_audio_hash")
        return store.load_features(self.db, digest) if digest else None

    def show(self, items: list[Item]) -> list[dict[str, Any]]:
        shown = []
        for item in items:
            features = self.features(item) or {}
            record = {key: features.get(key) for key in SHOW_KEYS}
            record.update({k: v for k, v in features.items() if k not in record})
            record["path"] = os.fsdecode(item.path)
            shown.append(record)
        return shown

    def render(self, item: Item, out: Path, width: int, height: int) -> None:
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

    def run_worker(self, workers: int) -> None:
        """Consumers in this process's children, and the writer in a thread beside them."""
        requeued = recover(self.db, self.preferred, self.queue.lease_seconds)
        if requeued:
            ui.print_(f"re-queued {requeued} interrupted job(s)")
        stop = threading.Event()
        collector = threading.Thread(target=self._collect_forever, args=(stop,), daemon=True)
        collector.start()
        consumer = huey.create_consumer(workers=workers, worker_type="process", periodic=False)
        try:
            consumer.run()
        finally:
            stop.set()
            collector.join(timeout=5)

    def _collect_forever(self, stop: threading.Event) -> None:
        # A connection of its own: sqlite connections are not shared between threads here.
        db = store.open_store(Path(self.db.conn.execute("PRAGMA database_list").fetchone()[2]))
        applier = Applier(self.lib, db, self.applier.write)
        watch = LostTaskWatch(db, self.preferred, self.queue.lease_seconds)
        checked = time.monotonic()
        while not stop.wait(1.0):
            applier.collect()
            if time.monotonic() - checked >= self.queue.lease_seconds / 2:
                checked = time.monotonic()
                requeued = watch.check()
                if requeued:
                    ui.print_(f"re-queued {requeued} job(s) lost with a worker")


def _summarize(summary: Summary, now: bool, wait: bool) -> None:
    if now or wait:
        ui.print_(f"analysed {summary.done}, skipped {summary.skipped} already analysed")
    else:
        ui.print_(
            f"queued {summary.queued}, skipped {summary.skipped} already analysed"
            + (f", {summary.done} copies of analysed audio" if summary.done else "")
            + " (run `beet dj worker` to process the queue)"
        )
    if summary.failures:
        ui.print_(f"{len(summary.failures)} failed:")
        for failure in summary.failures:
            ui.print_(f"  {failure.path}: {failure.reason}")


def _parser(usage: str) -> optparse.OptionParser:
    return optparse.OptionParser(usage=f"beet dj {usage}", add_help_option=True)


def run(dj: DjLibrary, action: str, args: list[str], plugin_config: Any) -> None:
    """Dispatch ``beet dj ACTION ARGS``."""
    if action == "analyze":
        parser = _parser("analyze [options] [QUERY]")
        parser.add_option("--now", action="store_true", help="analyse here instead of queueing")
        parser.add_option("-j", "--jobs", type="int", help="analyse here with N processes")
        parser.add_option("-f", "--force", action="store_true", help="redo analysed tracks")
        parser.add_option("-w", "--wait", action="store_true", help="wait for the workers")
        opts, query = parser.parse_args(args)
        now = bool(opts.now or opts.jobs)
        summary = dj.analyze(
            list(dj.lib.items(query)), now, opts.jobs or 1, bool(opts.force), bool(opts.wait)
        )
        _summarize(summary, now, bool(opts.wait))
    elif action == "status":
        _parser("status").parse_args(args)
        ui.print_(dj.status())
    elif action == "show":
        parser = _parser("show [--json] [QUERY]")
        parser.add_option("--json", action="store_true", help="print JSON")
        opts, query = parser.parse_args(args)
        shown = dj.show(list(dj.lib.items(query)))
        if opts.json:
            ui.print_(json.dumps(shown, indent=2))
        else:
            for record in shown:
                ui.print_(_readable(record))
    elif action == "waveform":
        parser = _parser("waveform ITEM -o FILE.png")
        parser.add_option("-o", "--output", help="PNG file to write")
        parser.add_option("--width", type="int", default=1600)
        parser.add_option("--height", type="int", default=240)
        opts, query = parser.parse_args(args)
        if not opts.output:
            raise ui.UserError("beet dj waveform needs -o FILE.png")
        items = list(dj.lib.items(query))
        if len(items) != 1:
            raise ui.UserError(f"the query must match one item, it matches {len(items)}")
        dj.render(items[0], Path(opts.output), opts.width, opts.height)
        ui.print_(f"wrote {opts.output}")
    elif action == "worker":
        parser = _parser("worker [-w N]")
        parser.add_option("-w", "--workers", type="int", help="consumer processes")
        opts, _ = parser.parse_args(args)
        dj.run_worker(opts.workers or plugin_config["workers"].get(int))
    else:
        raise ui.UserError(
            f"unknown dj command {action!r} (analyze, status, show, waveform, worker)"
        )


def _readable(record: dict[str, Any]) -> str:
    if record.get("bpm") is None:
        return f"{record['path']}\n  not analysed"
    cues = ", ".join(f"{cue['kind']} {_clock(cue['time'])}" for cue in record.get("cues") or [])
    return "\n".join(
        [
            record["path"],
            f"  tempo  {record['bpm']:.2f} BPM (confidence {record.get('bpm_confidence', 0):.2f}),"
            f" {len(record['beats'])} beats, {len(record['downbeats'])} bars",
            f"  key    {record['key'] or '-'} ({record['camelot'] or '-'},"
            f" {record['openkey'] or '-'}), strength {record['key_strength']:.2f}",
            f"  level  {record['lufs']:.1f} LUFS, range {record.get('loudness_range', 0):.1f} LU,"
            f" true peak {record.get('true_peak', 0):.1f} dBTP",
            f"  feel   energy {record['energy']:.3f}, danceability {record['danceability']:.2f}",
            f"  cues   {cues or '-'}",
        ]
    )


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:06.3f}"
