"""The Huey task that encodes one item into the mirror, on whichever worker picks it up.

The worker (``beetcrate worker``) writes the mirror file and the item's ``opus_mirror`` row
itself; the process that queued the task only reads the ``Outcome`` back (``sync --wait``).
"""

from __future__ import annotations

import threading

from beets.library import Library

from beetcrate.queue import huey
from beetsplug.opus.config import MirrorConfig
from beetsplug.opus.mirror import Outcome, encode_item
from beetsplug.opus.plan import Step
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
    """Queued by ``beet opus sync`` and the import hook for each item to encode."""
    return run_step(config, step)
