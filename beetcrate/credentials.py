"""The key that encrypts the credentials beetcrate must read back: users' passwords (Subsonic's
token authentication needs them) and the session keys and tokens of scrobbling services.

The key is kept in its own file, readable by its owner only, never in the sidecar database: a
copy of the database alone gives away no credential. The server and the worker read the same
file (``Settings.secret_key_file``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet


def load_key(path: Path) -> Fernet:
    """The credential key, created (readable by the owner only) on first use."""
    if not path.exists():
        _create(path)
    return Fernet(path.read_bytes().strip())


def _create(path: Path) -> None:
    """Write a new key to ``path`` unless another process got there first. Processes that start
    together (the server's workers, the worker) race for it: each writes a whole key to a file
    of its own and links it in place, which fails if ``path`` exists, so every process reads
    the one key that won, never a file half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, own = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as key_file:
            key_file.write(Fernet.generate_key())
            key_file.flush()
            os.fsync(key_file.fileno())
        with contextlib.suppress(FileExistsError):  # another process's key is the key
            os.link(own, path)
    finally:
        os.unlink(own)
