"""The test harness: beets' global state, real libraries, ``beet`` commands, processes, waiting.

Every test reaches beets through this module, one way for each thing:

- ``reset_beets()`` forgets beets' process-global state (configuration, loaded plugins and their
  listeners, cached model types, log handlers) and ``reset_queue()`` puts beetcrate's queue back
  in memory; tests/conftest.py runs both around every test;
- ``BeetsHome`` is a beets home as a user has one: a BEETSDIR with ``config.yaml`` (always
  written to the file, never set in memory), a music directory and ``library.db``. ``add``
  writes real audio, tags it through beets and adds it to the library (``add_file`` adds a copy
  of an existing file); ``configure`` edits the config file; ``load_plugins`` loads the
  configured plugins the way ``beet`` does, for tests that call plugin code directly; calling
  the home runs a ``beet`` command on it;
- ``run_beet(*args)`` runs ``beet ARGS`` in this process exactly as the ``beet`` script does
  (configuration read from BEETSDIR and ``-c``, plugins loaded, library opened) and returns
  what it printed. Errors propagate as exceptions (``UserError``…), as in beets' own
  ``beets.test.helper.RunMixin.run_command``, whose call this is; unlike it, the library is
  opened from the configuration, as ``beet`` opens it;
- ``run_process`` / ``start_process`` / ``stop_process`` run ``beet``, ``beetcrate`` or a Python
  snippet in a separate process, for the tests that need one (a worker killed with SIGKILL, a
  server, a worker with no plugin loaded), always on this checkout's code;
- ``wait_for(condition, timeout, interval)`` polls until a condition holds.

beets' own ``beets.test.helper.TestHelper`` keeps its configuration in memory, built from the
defaults, and its item fixtures need beets' source tree; here the configuration is the file a
user writes, so that plugins are configured and loaded as they are in use.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import yaml
from beets import config, metadata_plugins, plugins, ui
from beets.library import Item, Library, ReadError
from beets.util import cached_classproperty

from beetcrate import media, queue
from beetcrate.settings import Settings
from beetcrate.synth.tones import RATE

REPO = Path(__file__).resolve().parents[1]
T = TypeVar("T")


# beets' global state


def reset_beets() -> None:
    """Forget everything beets keeps per process, as a new ``beet`` process starts without it.

    The configuration is cleared and read again (from BEETSDIR) on its next use; plugins, their
    listeners and the field types they declared (cached by the models) are unloaded; the log
    handler goes, so the next command logs to this test's stderr, not to a closed capture.
    """
    plugins.BeetsPlugin.listeners.clear()
    plugins.BeetsPlugin._raw_listeners.clear()
    plugins._instances.clear()
    cached_classproperty.cache.clear()
    # beets caches the loaded metadata sources and its distance settings per process (the
    # module, not the function ``beets.autotag`` exports under the same name).
    distance = importlib.import_module("beets.autotag.distance")
    for cached in (
        metadata_plugins.find_metadata_source_plugins,
        metadata_plugins.get_metadata_source,
        metadata_plugins.get_penalty,
        distance.get_track_length_grace,
        distance.get_track_length_max,
    ):
        cached.cache_clear()
    config.clear()
    config._materialized = False
    beets_log = logging.getLogger("beets")
    for handler in list(beets_log.handlers):
        beets_log.removeHandler(handler)


def reset_queue() -> None:
    """Put beetcrate's queue back in memory, where it is until an entry point configures it."""
    queue.close_queue()


def run_beet(*args: str) -> str:
    """Run ``beet ARGS`` in this process as the ``beet`` script does; returns its stdout.

    Each command starts from a reset beets, like a new process: the configuration comes from
    BEETSDIR's ``config.yaml`` (and ``-c FILE``), the plugins it names are loaded, the library is
    opened from it. Plugins stay loaded afterwards, as they are until a process exits. On an
    exception the output so far is printed, so that the test's captured output shows it.
    """
    reset_beets()
    argv, sys.argv = sys.argv, ["beet", *args]
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            ui._raw_main(list(args))
    except BaseException:
        print(output.getvalue(), end="")
        raise
    finally:
        sys.argv = argv
    return output.getvalue()


def _merge(base: dict, changes: Mapping) -> dict:
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


class BeetsHome:
    """A beets home under ``root``: BEETSDIR ``beets/`` with its ``config.yaml`` and
    ``library.db``, and the music directory ``music/``.

    The caller points BEETSDIR at ``dir`` (the ``beets_home`` fixture does), so that ``beet``
    commands, in this process or another, find the configuration as a user's would.
    """

    def __init__(self, root: Path, **settings: Any) -> None:
        """``settings`` go into ``config.yaml`` (see ``configure``), e.g. ``plugins=["dj"]``."""
        self.dir = root / "beets"
        self.music = root / "music"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.music.mkdir(parents=True, exist_ok=True)
        self.settings: dict[str, Any] = {
            "directory": str(self.music),
            "library": str(self.library_path),
            "plugins": [],
            # As in beets' own test helper: no copies of a new library before its migrations.
            "create_backup_before_migrations": False,
        }
        self._lib: Library | None = None
        self.configure(**settings)

    @property
    def config_file(self) -> Path:
        return self.dir / "config.yaml"

    @property
    def library_path(self) -> Path:
        return self.dir / "library.db"

    def server_settings(self, **overrides: Any) -> Settings:
        """The server's settings for this library, refreshing on every request, its cache in
        ``cache`` beside the library unless ``overrides`` say otherwise."""
        fields: dict[str, Any] = {
            "beets_library": self.library_path,
            "music_directory": self.music,
            "db": self.sidecar,
            "secret_key_file": self.dir / "beetcrate.key",
            "cache_dir": self.dir / "cache",
            "refresh_interval": 0.0,
        }
        return Settings(**{**fields, **overrides})

    @property
    def sidecar(self) -> Path:
        """beetcrate's database beside the library (its default place)."""
        return self.dir / "beetcrate.db"

    def configure(self, text: str = "", **sections: Any) -> None:
        """Change ``config.yaml``: YAML ``text`` and keyword sections are merged into it, mapping
        into mapping (``configure("dj:\\n  auto: yes\\n")``, ``configure(dupes={"trash": p})``).
        """
        _merge(self.settings, yaml.safe_load(text) or {})
        _merge(self.settings, sections)
        self.config_file.write_text(yaml.safe_dump(self.settings, allow_unicode=True))

    def load_plugins(self) -> None:
        """Read the configuration and load its plugins as ``beet`` does before a command: for
        tests that call plugin code (listeners, commands' library objects) directly."""
        reset_beets()
        config.read()
        plugins.load_plugins()

    def __call__(self, *args: str) -> str:
        """``beet ARGS`` on this home, in this process; its stdout (see ``run_beet``)."""
        return run_beet(*args)

    @property
    def lib(self) -> Library:
        """The library, opened through the beets API (once; closed by ``close``)."""
        if self._lib is None:
            self._lib = Library(str(self.library_path), str(self.music))
        return self._lib

    def add(
        self,
        name: str,
        samples: np.ndarray,
        rate: int = RATE,
        bit_rate: int | None = None,
        quality: float | None = None,
        bit_depth: int | None = None,
        **fields: Any,
    ) -> Item:
        """Encode ``samples`` to ``music/name`` (the format by its suffix; ``bit_rate``,
        ``quality`` and ``bit_depth`` as ``media.write_audio`` takes them), tag the file through
        beets with its stem as title, "Artist" as artist and ``fields``, and add it."""
        path = self.music / name
        path.parent.mkdir(parents=True, exist_ok=True)
        media.write_audio(
            path, samples, rate, bit_rate=bit_rate, quality=quality, bit_depth=bit_depth
        )
        item = Item.from_path(str(path))
        item.update({"title": Path(name).stem, "artist": "Artist", **fields})
        item.write()
        self.lib.add(item)
        return item

    def add_file(self, source: Path, name: str, **fields: Any) -> Item:
        """Copy ``source`` to ``music/name`` and add it with what beets reads from it (nothing,
        if it is unreadable) and ``fields``, which go to the database only, not to the file."""
        path = self.music / name
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        try:
            item = Item.from_path(str(path))
        except ReadError:  # a corrupt file: beets cannot read its tags either
            item = Item(path=str(path))
        item.update(fields)
        self.lib.add(item)
        return item

    def close(self) -> None:
        if self._lib is not None:
            self._lib._close()
            self._lib = None


# Separate processes


def _argv(program: str, args: Iterable[str]) -> list[str]:
    modules = {"beet": ["-m", "beets"], "beetcrate": ["-m", "beetcrate.cli"], "python": []}
    return [sys.executable, *modules[program], *args]


def process_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process: ``env`` (or this one's), with this checkout first on
    PYTHONPATH, so the child runs the code under test whatever is installed."""
    child = dict(os.environ if env is None else env)
    path = [str(REPO), *filter(None, child.get("PYTHONPATH", "").split(os.pathsep))]
    child["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(path))
    return child


def run_process(
    program: str,
    *args: str,
    stdin: str = "",
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``beet``, ``beetcrate`` or ``python`` with ``args`` to completion in a separate
    process; stdout and stderr captured as text. With ``check``, a failure fails the test with
    its stderr."""
    done = subprocess.run(
        _argv(program, args),
        input=stdin,
        env=process_env(env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check:
        assert done.returncode == 0, f"{program} {' '.join(args)}:\n{done.stderr}"
    return done


def start_process(
    program: str, *args: str, env: Mapping[str, str] | None = None, **popen: Any
) -> subprocess.Popen[str]:
    """Start ``beet``, ``beetcrate`` or ``python`` with ``args`` in a separate process, in a
    session of its own (so ``stop_process`` reaches the workers it forks too). Its stdout and
    stderr go to one text pipe unless ``popen`` says otherwise."""
    options: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
    options.update(popen)
    return subprocess.Popen(
        _argv(program, args), env=process_env(env), cwd=REPO, start_new_session=True, **options
    )


def stop_process(
    process: subprocess.Popen, sig: signal.Signals = signal.SIGTERM, timeout: float = 30
) -> str:
    """Send ``sig`` to the process's whole session and wait for it; returns what it printed to
    its pipe (nothing if it had none). A process that ignores SIGTERM is killed."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
    try:
        output = process.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        output = process.communicate(timeout=timeout)[0]
    return output or ""


# Waiting


def wait_for(
    condition: Callable[[], T],
    timeout: float = 10.0,
    interval: float = 0.05,
    what: str | Callable[[], str] | None = None,
) -> T:
    """Call ``condition`` every ``interval`` seconds until it returns something true; return it.

    After ``timeout`` seconds the test fails, saying what it waited for (``what``, or a function
    giving it, such as a log's tail). Exceptions from the condition propagate at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            described = what() if callable(what) else what
            name = getattr(condition, "__qualname__", repr(condition))
            raise AssertionError(f"timed out after {timeout:g} s waiting for {described or name}")
        time.sleep(interval)
