"""Running the Flask app under gunicorn with the shipped configuration.

``serve`` first checks, in the master process, what every worker will need (the address, the
beets library, the sidecar and the key file) and brings the catalog up to date once: a bad
configuration is then one line on stderr instead of every worker failing to boot.
"""

from __future__ import annotations

import errno
import socket
import sqlite3
import sys
from pathlib import Path

from gunicorn.app.base import BaseApplication

from beetcrate.settings import Settings, SettingsError


def shipped_config(name: str) -> Path:
    """A file of the project's ``config/`` folder, from a source tree or an installed wheel."""
    candidates = (
        Path(__file__).resolve().parent.parent / "config" / name,
        Path(sys.prefix) / "share" / "beetcrate" / "config" / name,
    )
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"shipped configuration file {name} not found")


class SubsonicServer(BaseApplication):
    """gunicorn, configured from ``config/gunicorn.conf.py`` and beetcrate's settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        namespace: dict[str, object] = {}
        path = shipped_config("gunicorn.conf.py")
        exec(compile(path.read_text(), str(path), "exec"), namespace)
        for key, value in namespace.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)
        self.cfg.set("bind", [self.settings.bind])
        self.cfg.set("workers", self.settings.workers)
        self.cfg.set("threads", self.settings.threads)

    def load(self):
        from subsonic.app import create_app

        return create_app(self.settings)


def check_address(bind: str) -> None:
    """Raise ``SettingsError`` (one line, naming ``--bind``) if ``bind`` cannot be listened on."""
    if bind.startswith(("unix:", "fd://")):
        return  # a socket file or an inherited descriptor: gunicorn opens and checks those
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"bind {bind!r}: give HOST:PORT, such as 127.0.0.1:4533")
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), int(port)))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SettingsError(
                    f"{bind} is already in use (another beetcrate?); choose another address"
                    " with --bind HOST:PORT"
                ) from exc
            raise SettingsError(f"cannot listen on {bind}: {exc.strerror}") from exc


def preflight(settings: Settings) -> None:
    """Fail with one line on what would stop every worker; sync the catalog once."""
    from subsonic.catalog import Catalog
    from subsonic.store import StoreError, load_key

    check_address(settings.bind)
    if not settings.beets_library.is_file():
        raise SettingsError(
            f"no beets library at {settings.beets_library}: import music with `beet import`"
            " first, or point `library:` in the beets config at yours"
        )
    try:
        load_key(settings.secret_key_file)
        settings.cache_dir.mkdir(parents=True, exist_ok=True)
        catalog = Catalog.from_settings(settings)
        try:
            catalog.sync()
        finally:
            # Workers are forked from this process: none may inherit an open connection.
            catalog.close()
    except (OSError, ValueError, sqlite3.Error, StoreError) as exc:
        raise SettingsError(f"cannot open the library: {exc}") from exc


def serve(settings: Settings) -> None:
    preflight(settings)
    SubsonicServer(settings).run()
