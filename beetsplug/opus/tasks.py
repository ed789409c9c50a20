"""The Huey task that encodes one item into the mirror, on whichever worker picks it up."""

from __future__ import annotations

import threading

from beets.library import Library

from beetcrate.queue import huey
from beetsplug.opus.mirror import MirrorConfig, Outcome, Step, encode_item
from beetsplug.opus.state import MirrorState

# A worker keeps one library and one sidecar connection per configuration, not one per task.
_opened: dict[MirrorConfig, tuple[Library, MirrorState]] = {}
_lock = threading.Lock()


def _context(config: MirrorConfig) -> tuple[Library, MirrorState]:
    with _lock:
        if config not in _opened:
            lib = Library(str(config.library), str(config.music_directory))
            _opened[config] = (lib, MirrorState(config.db))
        return _opened[config]


def run_step(config: MirrorConfig, step: Step) -> Outcome:
    """Encode one item; the body of the task, and what ``--jobs`` runs in its threads."""
    lib, state = _context(config)
    # beets resolves item paths against a music directory held in a context variable, which
    # a worker thread does not inherit.
    with lib.music_dir_context():
        return encode_item(lib, config, state, step)


@huey.task()
def encode_task(config: MirrorConfig, step: Step) -> Outcome:
    return run_step(config, step)
