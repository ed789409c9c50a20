"""Sending each link's waiting plays, in play order, once.

Two steps, both in the worker (``beetcrate worker``):

1. ``Forwarder.dispatch`` (the dispatcher thread, every half second, ``dispatcher``) finds the
   links that have rows waiting, are not rejected, are not waiting out a backoff and that no
   delivery holds, and gives each a lease (a random token, valid ``lease_seconds``, for the
   link's current generation) in the sidecar, in one transaction; it hands each lease to a
   delivery thread of the same process.
2. ``Forwarder.deliver`` (that thread) renews its lease, reads the link's oldest rows, sends
   them, and in one transaction checks it still holds the lease and applies the answer: rows
   taken are deleted; a failure that may pass sets the link's ``retry_at`` (exponential
   backoff, or the wait the service asked for) and ends the delivery; a rejection is recorded
   and ends it.

So one delivery at a time sends a link's rows, oldest first; a row is deleted only once the
service took it; a worker killed mid-delivery leaves a lease that expires and rows that are
sent again by the next delivery; the outbox outlives restarts of the server and the worker. A
row can go twice if a worker dies between the service's answer and the commit that deletes
it, or if a submission outlasts its lease (``MAX_SUBMISSION_S``): both services keep one
listen per user, time and track, so the copy is not counted.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from beetcrate import sidecar
from beetcrate.credentials import load_key
from beetcrate.scrobbling import store
from beetcrate.scrobbling.model import Answer, Entry, Kind, LinkError, Outcome, Service
from beetcrate.scrobbling.store import Lease, Links
from beetcrate.settings import LastfmSettings, ListenBrainzSettings, Settings

log = logging.getLogger(__name__)

# Backoff after failures in a row: 2 s, 4 s, 8 s… up to 10 minutes.
FIRST_RETRY_S, LAST_RETRY_S = 2.0, 600.0
# Rows per submission: Last.fm takes 50 scrobbles in one call (ListenBrainz up to 1000 listens;
# small requests retry cheaply).
BATCH = 50
# A lease outlives the longest request (ListenBrainz's 20 s timeout, pylast's 5 + 20 s), and
# the dispatcher renews the leases of submissions under way (``renew_submissions``) for up to
# MAX_SUBMISSION_S: a submission that hangs longer lets the link go to the next delivery.
SHORTEST_LEASE_S = 30.0
MAX_SUBMISSION_S = 300.0
# A now playing not sent by then is dropped: the song is over (of unknown length: assumed over).
UNKNOWN_LENGTH_S = 600.0


def backoff(failures: int) -> float:
    """Seconds to wait after ``failures`` failures in a row."""
    return min(FIRST_RETRY_S * 2 ** max(failures - 1, 0), LAST_RETRY_S)


@dataclass(frozen=True)
class ForwardConfig:
    """What a delivery needs, read from the settings by the worker that delivers."""

    db: Path
    secret_key_file: Path
    lastfm: LastfmSettings
    listenbrainz: ListenBrainzSettings
    lease_seconds: float

    @classmethod
    def of(cls, settings: Settings) -> ForwardConfig:
        lease = max(settings.queue.lease_seconds, SHORTEST_LEASE_S)
        return cls(
            settings.db, settings.secret_key_file, settings.lastfm, settings.listenbrainz, lease
        )

    def offers(self, service: Service) -> bool:
        """Whether this server can send to ``service`` (Last.fm needs an API account)."""
        return service is not Service.LASTFM or self.lastfm.configured


class Submitter(Protocol):
    def submit(self, kind: Kind, entries: Sequence[Entry]) -> Answer: ...


def submitter(config: ForwardConfig, service: Service, secret: str) -> Submitter:
    """The client of ``service`` for one link's credentials (the HTTP clients load here)."""
    if service is Service.LASTFM:
        from beetcrate.scrobbling.lastfm import Scrobbler

        return Scrobbler(config.lastfm, secret)
    from beetcrate.scrobbling.listenbrainz import Client

    return Client(config.listenbrainz, secret)


def _next_submission(entries: Sequence[Entry], now: float) -> tuple[list[Entry], list[Entry]]:
    """(stale starts to drop, the rows to send next): a start goes alone, listens in a run.

    A start is stale once its song would be over, or once anything newer waits behind it (the
    player moved on): after an outage the service hears only the latest start, and the plays
    between stale starts go together."""

    def stale(index: int, entry: Entry) -> bool:
        over = entry.played_at + (entry.track.duration or UNKNOWN_LENGTH_S) <= now
        return entry.kind is Kind.PLAYING and (index < len(entries) - 1 or over)

    drop = [entry for index, entry in enumerate(entries) if stale(index, entry)]
    if drop:
        return drop, []
    if entries[0].kind is Kind.PLAYING:
        return [], [entries[0]]
    return [], list(itertools.takewhile(lambda entry: entry.kind is Kind.LISTEN, entries))


class Forwarder:
    """Dispatch and deliver the outbox of one sidecar; one per worker process, shared by the
    dispatcher and delivery threads (transactions take turns on one connection, never across
    a request)."""

    def __init__(
        self,
        config: ForwardConfig,
        make_submitter: Callable[[ForwardConfig, Service, str], Submitter] = submitter,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.db = sidecar.connect(config.db)
        self.links = Links(self.db, load_key(config.secret_key_file))
        self.db.conn.isolation_level = None
        self._lock = threading.Lock()
        self._make_submitter = make_submitter
        self._clock = clock
        self._submitting: dict[Lease, float] = {}  # when each submission under way started

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, sidecar.immediate(self.db.conn) as conn:
            yield conn

    def dispatch(self, enqueue: Callable[[Lease], object], limit: int | None = None) -> list[Lease]:
        """Lease the links that have rows to send (up to ``limit``), and hand each lease to
        ``enqueue``."""
        leases: list[Lease] = []
        with self._transaction() as tx:
            now = self._clock()
            due = store.due_links(tx, now, self.config.lease_seconds, LAST_RETRY_S)
            for user, service, generation in due:
                if limit is not None and len(leases) >= limit:
                    break
                lease = Lease(user, service, secrets.token_hex(8), generation)
                if self.config.offers(service) and store.claim(
                    tx, lease, now, self.config.lease_seconds
                ):
                    leases.append(lease)
        for lease in leases:
            enqueue(lease)
        return leases

    def deliver(self, lease: Lease) -> None:
        """Send the link's rows while ``lease`` holds it; see the module's docstring."""
        client: Submitter | None = None
        limit = BATCH
        while True:
            with self._transaction() as tx:
                now = self._clock()
                if not store.claim(tx, lease, now, self.config.lease_seconds):
                    return
                if client is None:
                    opened = self._client(lease)
                    if isinstance(opened, Answer):
                        self._apply(tx, lease, [], opened)
                        return
                    client = opened
                entries = store.head(tx, lease, limit)
                if not entries:
                    store.release(tx, lease)
                    return
                stale, batch = _next_submission(entries, now)
                if stale:
                    store.done(tx, lease, stale)
                    continue
            with self._lock:
                self._submitting[lease] = now
            try:
                answer = client.submit(batch[0].kind, batch)
            except Exception as exc:  # an answer the client did not expect: the rows wait
                log.exception("%s for %s: the submission failed", *_who(lease))
                answer = Answer(Outcome.RETRY, _failure(exc))
            finally:
                with self._lock:
                    del self._submitting[lease]
            with self._transaction() as tx:
                if not store.holds(tx, lease, self._clock()):
                    log.warning("%s for %s: lease lost during a submission", *_who(lease))
                    return
                if answer.outcome is Outcome.REFUSED and len(batch) > 1:
                    # A service refuses a whole submission for one listen it cannot take:
                    # halve it until the listens it refuses go alone, and drop only those.
                    limit = len(batch) // 2
                    continue
                if not self._apply(tx, lease, batch, answer):
                    return
                if answer.outcome is Outcome.REFUSED:
                    limit = BATCH

    def renew_submissions(self) -> None:
        """Renew the leases of the submissions under way (a heartbeat, called by the dispatcher
        thread): a slow service, or a wait for its rate limit, does not let a lease expire and
        a second delivery send the same rows. Not past ``MAX_SUBMISSION_S``: a request that
        hangs does not hold its link for ever."""
        with self._lock:
            now = self._clock()
            started = list(self._submitting.items())
        if not started:
            return
        with self._transaction() as tx:
            for lease, start in started:
                if now - start < MAX_SUBMISSION_S:
                    store.renew(tx, lease, now, self.config.lease_seconds)

    def _client(self, lease: Lease) -> Submitter | Answer:
        """The service's client with the credentials of the lease's generation (read in the
        transaction of its first claim), or the answer that ends the delivery: credentials the
        key file cannot decrypt are a rejection (only linking again helps); a client that
        cannot be made (an unreadable ``ca_file``) is the admin's to fix: retried."""
        try:
            secret = self.links.secret(lease.user, lease.service, lease.generation)
        except LinkError as exc:
            return Answer(Outcome.REJECTED, str(exc))
        assert secret is not None  # the claim just found the link of this generation
        try:
            return self._make_submitter(self.config, lease.service, secret)
        except Exception as exc:
            return Answer(Outcome.RETRY, _failure(exc))

    def _apply(
        self, tx: sqlite3.Connection, lease: Lease, batch: list[Entry], answer: Answer
    ) -> bool:
        """Record ``answer`` to ``batch``; whether to go on with the next rows."""
        service, user = _who(lease)
        if answer.outcome is Outcome.SENT:
            store.done(tx, lease, batch)
            return True
        if answer.outcome is Outcome.REFUSED:
            log.warning("%s refused %d plays of %s: %s", service, len(batch), user, answer.message)
            store.done(tx, lease, batch)
            return True
        if answer.outcome is Outcome.REJECTED:
            log.warning("%s rejected the link of %s: %s", service, user, answer.message)
            store.reject(tx, lease, answer.message, self._clock())
            return False
        delay = min(answer.retry_after or backoff(store.failures(tx, lease) + 1), LAST_RETRY_S)
        log.info("%s for %s: %s; again in %.0f s", service, user, answer.message, delay)
        store.retry_later(tx, lease, answer.message, self._clock() + delay)
        return False


def _failure(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def _who(lease: Lease) -> tuple[str, str]:
    return lease.service.value, lease.user
