"""The scrobble dispatcher of ``beetcrate worker``: a thread that leases the links with plays
waiting, and a few delivery threads of the same process that send them (``forward``).

Deliveries do not go through the Huey queue: any worker takes tasks from the shared queue, a
``beet dj worker`` on a machine without the sidecar among them, and a task would carry what it
needs (the sidecar's path, the application's API secret) in the queue's storage. Here a lease
is handed to a thread of the process that made it, which has the sidecar, the key file and the
settings; a play waits for a service, never for an hour of audio analysis queued before it.
The dispatcher leases no more links than there are idle delivery threads, so a lease is sent
at once, not left to expire in a backlog.
"""

from __future__ import annotations

import logging
import queue
import threading

from beetcrate.scrobbling.forward import ForwardConfig, Forwarder
from beetcrate.scrobbling.store import Lease

log = logging.getLogger(__name__)

# Seconds between two looks at the outbox; the scrobble call's latency to a service.
DISPATCH_INTERVAL = 0.5
# Links sent at the same time: each waits for its service most of the time.
DELIVERY_THREADS = 4


class Dispatcher:
    """The leases being delivered, and the threads that deliver them."""

    def __init__(self, forwarder: Forwarder, threads: int = DELIVERY_THREADS) -> None:
        self.forwarder = forwarder
        self.threads = threads
        self._leases: queue.SimpleQueue[Lease] = queue.SimpleQueue()
        self._in_flight: set[Lease] = set()
        self._lock = threading.Lock()
        for n in range(threads):
            name = f"scrobble delivery {n + 1}"
            threading.Thread(target=self._deliver, name=name, daemon=True).start()

    def dispatch(self) -> None:
        """Renew the leases of the submissions under way, and lease as many links with plays
        waiting as there are idle delivery threads."""
        self.forwarder.renew_submissions()
        with self._lock:
            idle = self.threads - len(self._in_flight)
        if idle > 0:
            self.forwarder.dispatch(self._hand_over, limit=idle)

    def _hand_over(self, lease: Lease) -> None:
        with self._lock:
            self._in_flight.add(lease)
        self._leases.put(lease)

    def _deliver(self) -> None:
        while True:
            lease = self._leases.get()
            try:
                self.forwarder.deliver(lease)
            except Exception:  # the sidecar failed: the lease expires, the rows go later
                log.exception("scrobbling: delivering to %s for %s failed", *_who(lease))
            finally:
                with self._lock:
                    self._in_flight.discard(lease)


def start_dispatcher(
    config: ForwardConfig, stop: threading.Event, interval: float = DISPATCH_INTERVAL
) -> threading.Thread:
    """Look at the outbox every ``interval`` seconds until ``stop`` is set, delivering each link
    with plays waiting. A failure (a sidecar that cannot be read) is logged once per reason
    and the next look tried: the thread never ends before ``stop``."""
    dispatcher = Dispatcher(Forwarder(config))

    def run() -> None:
        failing = ""
        while not stop.wait(interval):
            try:
                dispatcher.dispatch()
                failing = ""
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                if reason != failing:
                    log.warning("scrobbling: cannot look at the outbox: %s", reason)
                failing = reason

    thread = threading.Thread(target=run, name="scrobble dispatcher", daemon=True)
    thread.start()
    return thread


def _who(lease: Lease) -> tuple[str, str]:
    return lease.service.value, lease.user
