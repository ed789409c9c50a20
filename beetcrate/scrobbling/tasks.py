"""The Huey side of scrobbling: the ``deliver`` task and the dispatcher thread that queues it.

``beetcrate worker`` starts the dispatcher (``start_dispatcher``), which leases links with
plays waiting and queues one ``deliver`` per lease (``forward``). Deliveries run before other
tasks (``PRIORITY``): a play waits for a service, not for an hour of audio analysis. The task
needs the sidecar and the key file, so the worker that runs it is on the library's machine.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from beetcrate.queue import huey
from beetcrate.scrobbling.forward import ForwardConfig, Forwarder
from beetcrate.scrobbling.store import Lease

log = logging.getLogger(__name__)

# Above the DJ tasks' priorities (0 and 10): Huey runs higher priorities first.
PRIORITY = 100
# Seconds between two looks at the outbox; the scrobble call's latency to a service.
DISPATCH_INTERVAL = 0.5

# One forwarder per configuration in a worker process, shared by its threads.
_forwarders: dict[ForwardConfig, Forwarder] = {}
_opening = threading.Lock()


def forwarder(config: ForwardConfig) -> Forwarder:
    with _opening:
        if config not in _forwarders:
            _forwarders[config] = Forwarder(config)
        return _forwarders[config]


@huey.task(priority=PRIORITY)
def deliver(config: ForwardConfig, lease: Lease) -> None:
    """Send one link's waiting plays while the lease holds (queued by the dispatcher)."""
    forwarder(config).deliver(lease)


def start_dispatcher(
    config: ForwardConfig, stop: threading.Event, interval: float = DISPATCH_INTERVAL
) -> threading.Thread:
    """Look at the outbox every ``interval`` seconds until ``stop`` is set, queuing a delivery
    for each link with plays waiting. A sidecar that cannot be read is logged and tried again."""
    dispatching = forwarder(config)

    def run() -> None:
        failing = ""
        while not stop.wait(interval):
            try:
                dispatching.dispatch(lambda lease: deliver(config, lease))
                failing = ""
            except sqlite3.Error as exc:
                if str(exc) != failing:
                    log.warning("scrobbling: cannot read the outbox: %s", exc)
                failing = str(exc)

    thread = threading.Thread(target=run, name="scrobble dispatcher", daemon=True)
    thread.start()
    return thread
