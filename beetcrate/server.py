"""Running the Flask app under gunicorn with the shipped configuration."""

from __future__ import annotations

import sys
from pathlib import Path

from gunicorn.app.base import BaseApplication

from beetcrate.settings import Settings


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


def serve(settings: Settings) -> None:
    SubsonicServer(settings).run()
