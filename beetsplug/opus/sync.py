"""Running a sync's plan: cheap steps at once, encodes on the queue or in local threads."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from beets.library import Library
from huey.api import Result as HueyResult
from huey.exceptions import TaskException
from tqdm import tqdm

from beetsplug.opus.config import MirrorConfig
from beetsplug.opus.mirror import Outcome, Result, delete_item, retag_item
from beetsplug.opus.plan import Action, Step
from beetsplug.opus.state import MirrorState
from beetsplug.opus.tasks import encode_task, run_step

# How often --wait asks the queue's result store about unfinished encodes (seconds).
POLL_INTERVAL = 0.2


@dataclass
class Summary:
    """How many items ended which way, and the outcomes worth showing one by one."""

    counts: Counter[Result] = field(default_factory=Counter)
    failures: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.result] += 1
        if outcome.result in (Result.FAILED, Result.GIVEN_UP):
            self.failures.append(outcome)

    def line(self) -> str:
        parts = [f"{self.counts[r]} {r.value}" for r in Result if self.counts[r]]
        return ", ".join(parts) or "nothing to do"


def run(
    lib: Library,
    config: MirrorConfig,
    state: MirrorState,
    steps: list[Step],
    jobs: int = 0,
    wait: bool = False,
    progress: bool = True,
) -> Summary:
    """Carry out ``steps``. Encodes run in ``jobs`` local threads, else go to the Huey queue
    (and with ``wait``, this returns once a worker has done them all)."""
    summary = Summary()
    encodes = []
    for step in steps:
        if step.action is Action.ENCODE:
            encodes.append(step)
        elif step.action is Action.RETAG:
            summary.add(retag_item(lib, config, state, step))
        elif step.action is Action.DELETE:
            summary.add(delete_item(config, state, step))
        elif step.action is Action.GIVEN_UP:
            summary.add(Outcome(step.item_id, Result.GIVEN_UP, step.reason))
        else:
            summary.add(Outcome(step.item_id, Result.UNCHANGED))
    if not encodes:
        return summary
    bar = tqdm(total=len(encodes), unit="track", desc="opus", disable=not progress)
    try:
        if jobs:
            _run_inline(config, encodes, jobs, lambda o: _done(summary, bar, o))
        else:
            queued = [encode_task(config, step) for step in encodes]
            if wait:
                _wait(queued, encodes, lambda o: _done(summary, bar, o))
            else:
                summary.counts[Result.QUEUED] += len(encodes)
    finally:
        bar.close()
    return summary


def _done(summary: Summary, bar: tqdm, outcome: Outcome) -> None:
    summary.add(outcome)
    bar.update(1)


def _run_inline(
    config: MirrorConfig, steps: list[Step], jobs: int, done: Callable[[Outcome], None]
) -> None:
    """Encode in threads (PyAV releases the GIL while coding). On Ctrl-C the running encodes
    finish their file, the rest are dropped: the next sync picks them up."""
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="opus-sync") as pool:
        futures = [pool.submit(run_step, config, step) for step in steps]
        try:
            for future in as_completed(futures):
                done(future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _wait(queued: list[HueyResult], steps: list[Step], done: Callable[[Outcome], None]) -> None:
    """Collect the workers' outcomes. The queue is first in, first out, so results are asked
    for in order, stopping at the first one not ready: one query per finished task, not one
    per pending task per poll (which would keep SQLite busy under the workers' feet)."""
    pending = list(zip(queued, steps, strict=True))
    while pending:
        handle, step = pending[0]
        try:
            outcome = handle.get()
        except TaskException as exc:
            error = str(exc.metadata.get("error", exc))
            outcome = Outcome(step.item_id, Result.FAILED, error)
        if outcome is None:
            time.sleep(POLL_INTERVAL)
            continue
        pending.pop(0)
        done(outcome)
