"""The one background queue: a Huey instance every beetcrate task registers on.

Tasks (analysis, Opus encoding, duplicate scans) are declared at import time with
``@huey.task()``; where they are stored is decided later by ``configure``, called by each
entry point (a plugin's ``__init__``, ``beetcrate worker``) once the beets configuration is
read. Until then the queue is in memory, so importing a task module has no side effects.

Backends, from the ``beetcrate: queue:`` section of the beets config:

- ``sqlite`` (default): SqliteHuey in a file beside the beets library (``path`` overrides it);
- ``redis``: RedisHuey at ``redis_url``, for workers on other machines that see the same files;
- ``lease_seconds`` (60): how long a running task's lease lasts without renewal.

A task that must not be lost with a killed worker runs inside ``lease(task_id)``: a timestamp in
the queue's own storage (so workers on other machines report too), renewed while the task runs.
A task that is neither waiting, nor scheduled, nor finished, and whose lease is older than
``LEASE_SECONDS``, died with its worker and can be queued again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import confuse
from huey import Huey
from huey.storage import MemoryStorage, PriorityRedisStorage, SqliteStorage

QUEUE_DEFAULTS = {
    "backend": "sqlite",
    "path": "",
    "redis_url": "redis://127.0.0.1:6379/0",
    "lease_seconds": 60.0,
}

# A running task renews its lease four times in this period; set by ``configure_from_beets``.
LEASE_SECONDS = 60.0

huey = Huey("beetcrate", storage_class=MemoryStorage)


def configure_queue(
    backend: str = "sqlite", path: str | Path | None = None, redis_url: str | None = None
) -> Huey:
    """Point the shared Huey instance at its storage; returns it for convenience."""
    if backend == "sqlite":
        if not path:
            raise ValueError("the sqlite queue needs a path")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": str(path)}
    elif backend == "redis":
        huey.storage_class = PriorityRedisStorage
        huey.storage_kwargs = {"url": redis_url or QUEUE_DEFAULTS["redis_url"]}
    else:
        raise ValueError(f"unknown queue backend {backend!r} (use sqlite or redis)")
    huey.storage = huey.create_storage()
    return huey


def configure_from_beets(config: confuse.ConfigView) -> Huey:
    """Configure the queue from the beets configuration's ``beetcrate: queue:`` section."""
    section = config["beetcrate"]["queue"]
    section.add(QUEUE_DEFAULTS)
    library = Path(config["library"].as_filename()).resolve()
    path = section["path"].as_filename() if section["path"].get() else None
    global LEASE_SECONDS
    LEASE_SECONDS = section["lease_seconds"].as_number()
    return configure_queue(
        backend=section["backend"].as_choice(["sqlite", "redis"]),
        path=path or library.parent / "beetcrate-queue.db",
        redis_url=section["redis_url"].as_str(),
    )


def _lease_key(task_id: str) -> str:
    return f"beetcrate-lease:{task_id}"


@contextmanager
def lease(task_id: str) -> Iterator[None]:
    """Hold the lease of a running task, renewed in a thread until the block ends.

    The lease outlives the task on purpose: between the task's end and Huey storing its result
    it must still read as running. The one that collects the result releases it.
    """
    huey.put(_lease_key(task_id), time.time())
    done = threading.Event()

    def renew() -> None:
        while not done.wait(LEASE_SECONDS / 4):
            huey.put(_lease_key(task_id), time.time())

    renewer = threading.Thread(target=renew, name=f"lease {task_id}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        done.set()
        renewer.join()


def holds_lease(task_id: str) -> bool:
    """Whether the task is running somewhere: its lease was renewed within LEASE_SECONDS."""
    stamp = huey.get(_lease_key(task_id), peek=True)
    return stamp is not None and time.time() - stamp < LEASE_SECONDS


def release(task_id: str) -> None:
    huey.delete(_lease_key(task_id))
