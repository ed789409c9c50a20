"""The key that encrypts the credentials beetcrate must read back: users' passwords (Subsonic's
token authentication needs them) and the session keys and tokens of scrobbling services.

The key is kept in its own file, readable by its owner only, never in the sidecar database: a
copy of the database alone gives away no credential. The server and the worker read the same
file (``Settings.secret_key_file``).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet


def load_key(path: Path) -> Fernet:
    """The credential key, created (readable by the owner only) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as key_file:
            key_file.write(Fernet.generate_key())
    return Fernet(path.read_bytes().strip())
