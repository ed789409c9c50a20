"""The shared Huey queue persists tasks in SQLite beside the library."""

from __future__ import annotations

from pathlib import Path

from beetcrate.queue import huey, open_queue
from beetcrate.settings import QueueSettings


@huey.task()
def add(a: int, b: int) -> int:
    return a + b


def test_sqlite_queue_persists_enqueued_tasks_until_a_worker_runs_them(tmp_path: Path) -> None:
    open_queue(QueueSettings(path=tmp_path / "queue.db"))
    result = add(2, 3)
    assert huey.pending_count() == 1
    task = huey.dequeue()
    huey.execute(task)
    assert result.get() == 5
    assert (tmp_path / "queue.db").exists()
