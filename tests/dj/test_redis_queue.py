"""The Redis backend: a real redis-server, started for these tests, carries the DJ queue."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from beets import config as beets_config
from beets.library import Item, Library

from beetcrate.queue import holds_lease, huey
from beetsplug.dj.library import DjLibrary
from beetsplug.dj.tasks import USER_PRIORITY
from beetsplug.dj.worker import LostTaskWatch
from tests.helper import wait_for


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    pytest.importorskip("redis", reason="the redis client package is not installed")
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no redis-server on PATH (.ci/run installs it from Debian)")
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        try:
            wait_for(lambda: _accepts(port), timeout=5, what="redis-server to listen")
        except AssertionError:
            pytest.skip("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def redis_dj(
    library: Library, dj_config: Callable[..., None], redis_url: str
) -> Iterator[DjLibrary]:
    dj_config(f"beetcrate:\n  queue:\n    backend: redis\n    redis_url: {redis_url}\n")
    yield DjLibrary.from_config(library, beets_config, beets_config["dj"])
    huey.storage.flush_all()


def test_redis_queue_carries_tasks_by_priority_to_the_writer(
    redis_dj: DjLibrary, add_clip: Callable[..., Item], library: Library
) -> None:
    backlog, wanted = add_clip("house"), add_clip("dnb")
    redis_dj.enqueue(backlog, None, 0)
    redis_dj.enqueue(wanted, None, USER_PRIORITY)
    assert type(huey.storage).__name__ == "PriorityRedisStorage"
    for _ in range(2):
        huey.execute(huey.dequeue())
    assert redis_dj.applier.collect() == 2
    assert [library.get_item(item.id).bpm for item in (backlog, wanted)] == [127, 172]


def test_leases_live_in_redis_so_workers_on_other_machines_report(
    redis_dj: DjLibrary, add_clip: Callable[..., Item]
) -> None:
    redis_dj.enqueue(add_clip("dnb"), None, USER_PRIORITY)
    huey.dequeue()  # taken by a worker elsewhere, which then dies before its first lease
    watch = LostTaskWatch(redis_dj.db, redis_dj.preferred, 60.0)
    assert watch.check() == 0
    assert watch.check() == 1
    task = huey.dequeue()
    huey.execute(task)
    assert holds_lease(task.id, 60.0)
    redis_dj.applier.collect()
    assert not holds_lease(task.id, 60.0)
