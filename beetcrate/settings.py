"""beetcrate's settings: found the way ``beet`` finds its configuration.

The beets configuration is read from ``-c/--config FILE`` overlaid on the user's config
(``$BEETSDIR/config.yaml`` or the platform default), exactly as ``beet`` does. beetcrate's own
settings live in a ``beetcrate:`` section of that file; each can be overridden by an environment
variable ``BEETCRATE_<NAME>`` (``BEETCRATE_BIND=0.0.0.0:4533``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import confuse
from beets import config as beets_config

# Defaults of the ``beetcrate:`` section. Paths left empty are placed beside the beets library.
DEFAULTS: dict[str, object] = {
    "db": "",
    "secret_key_file": "",
    "cache_dir": "",
    "bind": "127.0.0.1:4533",
    "workers": 2,
    "threads": 32,
    # How often (seconds) a server process checks the beets database for changes.
    "refresh_interval": 2.0,
    "cover_cache_mb": 256,
    "max_cover_size": 2048,
    # Hide non-canonical members of exact-audio duplicate groups from browsing and search.
    "hide_duplicates": False,
}


class SettingsError(Exception):
    """The configuration cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Settings:
    """Everything the server and the CLI need, resolved to absolute paths."""

    beets_library: Path
    music_directory: Path
    db: Path
    secret_key_file: Path
    cache_dir: Path
    bind: str = "127.0.0.1:4533"
    workers: int = 2
    threads: int = 32
    refresh_interval: float = 2.0
    cover_cache_mb: int = 256
    max_cover_size: int = 2048
    hide_duplicates: bool = False


def read_beets_config(config_file: str | os.PathLike | None = None) -> confuse.Configuration:
    """Load the beets configuration as ``beet`` would, with an optional overlay file."""
    try:
        beets_config.read()
        if config_file:
            beets_config.set_file(os.fspath(config_file))
    except confuse.ConfigError as exc:
        raise SettingsError(f"beets configuration: {exc}") from exc
    beets_config["beetcrate"].add(DEFAULTS)
    return beets_config


def _coerce(value: str, default: object) -> object:
    if isinstance(default, bool):
        return value.strip().lower() in {"1", "yes", "true", "on"}
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return value


def load_settings(config_file: str | os.PathLike | None = None) -> Settings:
    """Resolve beetcrate's settings from the beets configuration and the environment."""
    config = read_beets_config(config_file)
    section = config["beetcrate"]
    values: dict[str, object] = {}
    for name, default in DEFAULTS.items():
        env = os.environ.get(f"BEETCRATE_{name.upper()}")
        try:
            values[name] = _coerce(env, default) if env is not None else section[name].get()
        except (ValueError, confuse.ConfigError) as exc:
            raise SettingsError(f"setting beetcrate.{name}: {exc}") from exc
    try:
        library = Path(config["library"].as_filename()).resolve()
        directory = Path(config["directory"].as_filename()).resolve()
    except confuse.ConfigError as exc:
        raise SettingsError(f"beets configuration: {exc}") from exc
    home = library.parent

    def path(name: str, default: str) -> Path:
        raw = str(values.pop(name) or "")
        return Path(os.path.expanduser(raw)).resolve() if raw else home / default

    return Settings(
        beets_library=library,
        music_directory=directory,
        db=path("db", "beetcrate.db"),
        secret_key_file=path("secret_key_file", "beetcrate.key"),
        cache_dir=path("cache_dir", "beetcrate-cache"),
        **values,  # type: ignore[arg-type]
    )
