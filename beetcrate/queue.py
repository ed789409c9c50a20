"""The one background queue: a Huey instance every beetcrate task registers on.

Tasks (analysis, Opus encoding, duplicate scans) are declared at import time with
``@huey.task()``, so the Huey instance is module-level: that is how Huey registers tasks. Where
it stores them is decided once per process by ``open_queue(settings)``, called by each entry
point (a plugin command, ``beetcrate worker``) with the ``QueueSettings`` read from the beets
configuration (``beetcrate.settings``). Until then the queue is in memory, so importing a task
module has no side effects.

Backends, from the ``beetcrate: queue:`` section of the beets config:

- ``sqlite`` (default): SqliteHuey in a file beside the beets library (``path`` overrides it);
- ``redis``: RedisHuey at ``redis_url``, for workers on other machines that see the same files;
- ``lease_seconds`` (60): how long a running task's lease lasts without renewal.

A task that must not be lost with a killed worker runs inside ``lease(task_id, seconds)``: a
timestamp in the queue's own storage (so workers on other machines report too), renewed while
the task runs. A task that is neither waiting, nor scheduled, nor finished, and whose lease is
older than its lease time, died with its worker and can be queued again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from huey import Huey
from huey.storage import MemoryStorage, PriorityRedisStorage, SqliteStorage

from beetcrate.settings import Backend, QueueSettings

huey = Huey("beetcrate", storage_class=MemoryStorage)
# The settings the storage was opened with: opening the same queue again is free.
_opened: QueueSettings | None = None
_opening = threading.Lock()


def open_queue(settings: QueueSettings) -> Huey:
    """Point the shared Huey instance at the storage ``settings`` name; returns it.

    Opening the queue a process already uses does nothing, so every command may call this.
    """
    global _opened
    with _opening:
        if settings == _opened:
            return huey
        if settings.backend is Backend.SQLITE:
            if settings.path is None:
                raise ValueError("the sqlite queue needs a path")
            settings.path.parent.mkdir(parents=True, exist_ok=True)
            huey.storage_class = SqliteStorage
            huey.storage_kwargs = {"filename": str(settings.path)}
        else:
            huey.storage_class = PriorityRedisStorage
            huey.storage_kwargs = {"url": settings.redis_url}
        huey.storage = huey.create_storage()
        _opened = settings
        return huey


def close_queue() -> None:
    """Put the queue back in memory, as it is before an entry point opens it."""
    global _opened
    with _opening:
        huey.storage_class = MemoryStorage
        huey.storage_kwargs = {}
        huey.storage = huey.create_storage()
        _opened = None


def _lease_key(task_id: str) -> str:
    return f"beetcrate-lease:{task_id}"


@contextmanager
def lease(task_id: str, seconds: float, clock: Callable[[], float] = time.time) -> Iterator[None]:
    """Hold the lease of a running task, renewed four times per ``seconds`` until the block ends.

    The lease outlives the task on purpose: between the task's end and Huey storing its result
    it must still read as running. The one that collects the result releases it.
    """
    huey.put(_lease_key(task_id), clock())
    done = threading.Event()

    def renew() -> None:
        while not done.wait(seconds / 4):
            huey.put(_lease_key(task_id), clock())

    renewer = threading.Thread(target=renew, name=f"lease {task_id}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        done.set()
        renewer.join()


def holds_lease(task_id: str, seconds: float, clock: Callable[[], float] = time.time) -> bool:
    """Whether the task is running somewhere: its lease was renewed within ``seconds``."""
    stamp = huey.get(_lease_key(task_id), peek=True)
    return stamp is not None and clock() - stamp < seconds


def release(task_id: str) -> None:
    huey.delete(_lease_key(task_id))
