"""Noticing that ``beet`` changed the library, and syncing the catalog in the background.

Every request calls ``poll``; at most every ``refresh_interval`` seconds it compares beets'
database signature with the one the catalog was built from and, if they differ, starts a sync
in a thread. Requests never wait for it: readers see the previous catalog until it commits.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable

from subsonic.catalog import Catalog

log = logging.getLogger(__name__)


class BeetsWatcher:
    """Checks at most every ``interval`` seconds whether beets changed, and syncs in a thread."""

    def __init__(
        self,
        catalog: Catalog,
        interval: float,
        after_sync: Callable[[], None] | None = None,
    ) -> None:
        self.catalog = catalog
        self.interval = interval
        # What follows the catalog (crates), run in the sync's thread after each sync.
        self.after_sync = after_sync
        self._checked = 0.0
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()
        # Why the last sync failed; None once one succeeds.
        self.last_error: str | None = None

    @property
    def scanning(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def poll(self) -> None:
        now = time.monotonic()
        # While a sync runs, its connection is busy; the next poll after it will check again.
        if now - self._checked < self.interval or self.scanning:
            return
        self._checked = now
        if self.catalog.is_stale():
            self.start()

    def start(self, force: bool = False) -> bool:
        """Start a background sync unless one is running; True when one was started."""
        with self._guard:
            if self.scanning:
                return False
            self._thread = threading.Thread(
                target=self._run, args=(force,), name="beetcrate-sync", daemon=True
            )
            self._thread.start()
            return True

    def _run(self, force: bool) -> None:
        try:
            self.catalog.sync(force=force)
        except (sqlite3.Error, OSError) as exc:
            # A sync that fails (beets mid-write, a locked file) is retried at the next poll.
            # The first failure of a run of them is a warning; repeats of it only debug lines,
            # so a sync that keeps failing shows in the log without flooding it.
            reason = f"{type(exc).__name__}: {exc}"
            level = logging.DEBUG if reason == self.last_error else logging.WARNING
            log.log(level, "catalog sync failed, retrying at the next request: %s", reason)
            self.last_error = reason
            self._checked = 0.0
        else:
            if self.last_error is not None:
                log.warning("catalog sync works again")
            self.last_error = None
            if self.after_sync is not None:
                try:
                    self.after_sync()
                except (sqlite3.Error, OSError) as exc:
                    log.warning("after the catalog sync: %s: %s", type(exc).__name__, exc)

    def wait(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
