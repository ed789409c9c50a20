"""The credential key file, created once however many processes start at the same time."""

from __future__ import annotations

import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cryptography.fernet import Fernet

from beetcrate.credentials import load_key

STARTING_AT_ONCE = 8


def test_processes_starting_at_once_all_get_the_one_key(tmp_path: Path) -> None:
    for attempt in range(20):
        path = tmp_path / str(attempt) / "secret.key"
        start = threading.Barrier(STARTING_AT_ONCE)

        def load(_: int, path: Path = path, start: threading.Barrier = start) -> Fernet:
            start.wait()
            return load_key(path)

        with ThreadPoolExecutor(STARTING_AT_ONCE) as pool:
            keys = list(pool.map(load, range(STARTING_AT_ONCE)))
        token = keys[0].encrypt(b"password")
        assert [key.decrypt(token) for key in keys] == [b"password"] * STARTING_AT_ONCE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert [p.name for p in path.parent.iterdir()] == ["secret.key"]
