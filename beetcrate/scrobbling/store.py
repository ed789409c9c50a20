"""The scrobbling tables in the sidecar: each user's links to services, and the outbox.

- ``scrobble_links``: one row per user and service: the session key or token (Fernet-encrypted
  with the users' key, ``beetcrate.credentials``), the account it belongs to, a permanent
  rejection (the service's message) if the service refused it, and the delivery state: the
  lease (a token and an expiry) of the one queue task that may send the link's plays, and when
  to try again after a failure (``retry_at``, ``failures`` for the backoff).
- ``scrobble_outbox``: plays and starts waiting to be sent, one row per play and service, in
  play order (``id``). Rows are written in the transaction that records the play, only for
  services the user has a link to, and deleted in the transaction that records the service's
  answer; unlinking deletes the link's rows.

Migrations are append-only: never edit one that has shipped.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils
from cryptography.fernet import Fernet, InvalidToken

from beetcrate import sidecar
from beetcrate.scrobbling.model import Entry, Kind, LinkError, Service, Track

COMPONENT = "scrobbling"
# ListenBrainz refuses listens before 2002-10-01 (its ``LISTEN_MINIMUM_TS``).
EARLIEST_PLAY = 1033430400


def _initial(db: sqlite_utils.Database) -> None:
    sidecar.run_script(
        db,
        """
        CREATE TABLE scrobble_links (
            user TEXT NOT NULL,
            service TEXT NOT NULL CHECK (service IN ('lastfm', 'listenbrainz')),
            secret BLOB NOT NULL,
            account TEXT NOT NULL DEFAULT '',
            linked REAL NOT NULL,
            rejected TEXT,
            rejected_at REAL,
            lease TEXT,
            lease_until REAL NOT NULL DEFAULT 0,
            retry_at REAL NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            PRIMARY KEY (user, service)
        );
        CREATE TABLE scrobble_outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user TEXT NOT NULL,
            service TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('playing', 'listen')),
            track TEXT NOT NULL,
            played_at REAL NOT NULL,
            client TEXT NOT NULL DEFAULT '',
            FOREIGN KEY (user, service) REFERENCES scrobble_links (user, service)
                ON DELETE CASCADE
        );
        CREATE INDEX scrobble_outbox_link ON scrobble_outbox (user, service, id);
        """,
    )


def _link_generation(db: sqlite_utils.Database) -> None:
    """Each link gets a new random ``generation`` when it is (re)linked, which leases carry: a
    task holding the old credentials can no longer claim the link once it is relinked."""
    sidecar.run_script(
        db, "ALTER TABLE scrobble_links ADD COLUMN generation TEXT NOT NULL DEFAULT '';"
    )


MIGRATIONS = [_initial, _link_generation]


def migrate(db: sqlite_utils.Database) -> None:
    sidecar.migrate(db, COMPONENT, MIGRATIONS)


@dataclass(frozen=True)
class Link:
    """A user's account on a service, as ``beetcrate user list`` shows it."""

    user: str
    service: Service
    account: str
    linked: float
    rejected: str | None  # the service's message, if it refused the credentials for good
    rejected_at: float | None
    waiting: int  # plays not sent yet
    last_error: str | None  # why the last attempt failed, while retrying


class Links:
    """Link, unlink and list users' accounts; the one place their secrets are read or written."""

    def __init__(self, db: sqlite_utils.Database, key: Fernet) -> None:
        self.db = db
        self.key = key
        migrate(db)

    def link(self, user: str, service: Service, secret: str, account: str) -> None:
        """Store (or replace) ``user``'s credentials for ``service``. Linking again lifts a
        rejection: the plays waiting since are sent with the new credentials. It also ends the
        lease of a delivery under way, which would otherwise answer for the old credentials:
        the new ``generation`` (random, so that unlinking and linking again changes it too) no
        longer matches the lease's."""
        self.db.execute(
            "INSERT INTO scrobble_links (user, service, secret, account, linked, generation)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user, service) DO UPDATE SET"
            " secret = excluded.secret, account = excluded.account, linked = excluded.linked,"
            " generation = excluded.generation, rejected = NULL, rejected_at = NULL,"
            " retry_at = 0, failures = 0, last_error = NULL, lease = NULL, lease_until = 0",
            (
                user,
                service.value,
                self.key.encrypt(secret.encode()),
                account,
                time.time(),
                secrets.token_hex(8),
            ),
        )
        self.db.conn.commit()

    def unlink(self, user: str, service: Service) -> bool:
        """Forget the link and the plays still waiting for it; whether there was one."""
        with self.db.conn:
            self.db.execute(
                "DELETE FROM scrobble_outbox WHERE user = ? AND service = ?",
                (user, service.value),
            )
            cursor = self.db.execute(
                "DELETE FROM scrobble_links WHERE user = ? AND service = ?",
                (user, service.value),
            )
        return cursor.rowcount > 0

    def secret(self, user: str, service: Service, generation: str | None = None) -> str | None:
        """The link's session key or token (of ``generation``, if given); None if unlinked."""
        row = self.db.execute(
            "SELECT secret FROM scrobble_links WHERE user = ? AND service = ?"
            " AND (? IS NULL OR generation = ?)",
            (user, service.value, generation, generation),
        ).fetchone()
        if row is None:
            return None
        try:
            return self.key.decrypt(row[0]).decode()
        except InvalidToken as exc:
            raise LinkError("stored credentials cannot be decrypted with this key file") from exc

    def of(self, user: str | None = None) -> list[Link]:
        """Every link (of ``user``), by user and service."""
        rows = self.db.execute(
            "SELECT user, service, account, linked, rejected, rejected_at,"
            " (SELECT count(*) FROM scrobble_outbox o"
            "  WHERE o.user = l.user AND o.service = l.service), last_error"
            " FROM scrobble_links l WHERE ? IS NULL OR user = ? ORDER BY user, service",
            (user, user),
        ).fetchall()
        return [Link(row[0], Service(row[1]), *row[2:]) for row in rows]


def forget_user(tx: sqlite3.Connection, user: str) -> None:
    """Delete a removed user's links and waiting plays (in the transaction removing them)."""
    tx.execute("DELETE FROM scrobble_outbox WHERE user = ?", (user,))
    tx.execute("DELETE FROM scrobble_links WHERE user = ?", (user,))


# The outbox, written by the server


def linked_services(conn: sqlite3.Connection, user: str) -> list[Service]:
    """The services ``user`` has linked (rejected links too: their plays wait for a relink)."""
    rows = conn.execute("SELECT service FROM scrobble_links WHERE user = ?", (user,))
    return [Service(service) for (service,) in rows]


def queue(
    tx: sqlite3.Connection,
    user: str,
    services: Sequence[Service],
    kind: Kind,
    plays: Sequence[tuple[Track, float]],
    client: str,
) -> None:
    """Queue ``plays`` (track, epoch seconds) for each of ``services`` that takes them, as the
    services will take them: a service refuses a whole submission for one bad listen, so
    MusicBrainz ids that are not UUIDs are left out, a time ahead of the clock (a client's
    clock is off) becomes now, and a play from before the services existed is not queued."""
    now = time.time()
    tx.executemany(
        "INSERT INTO scrobble_outbox (user, service, kind, track, played_at, client)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                user,
                service.value,
                kind.value,
                json.dumps(track.without_bad_mbids().as_dict()),
                min(played_at, now),
                client,
            )
            for track, played_at in plays
            if played_at >= EARLIEST_PLAY
            for service in services
            if track.wanted_by(service, kind)
        ],
    )


# Delivery, by the worker


@dataclass(frozen=True)
class Lease:
    """The right of one task to send one link's plays with the credentials of one
    ``generation`` of the link, until it expires."""

    user: str
    service: Service
    token: str
    generation: str


# A lease or a backoff ends by ``now`` or, if further ahead than any lease or backoff is given
# (the clock was set back since), at once: a clock set back a day does not stop a link a day.
_LEASE_FREE = "(lease_until <= :now OR lease_until > :now + :seconds)"
_DUE = "(retry_at <= :now OR retry_at > :now + :longest_retry)"


def due_links(
    conn: sqlite3.Connection, now: float, seconds: float, longest_retry: float
) -> list[tuple[str, Service, str]]:
    """(user, service, generation) of the links with plays waiting that no delivery holds (with
    a lease of ``seconds``), not rejected, and not waiting to retry (for ``longest_retry`` at
    most)."""
    rows = conn.execute(
        "SELECT user, service, generation FROM scrobble_links l WHERE rejected IS NULL"
        f" AND {_DUE} AND {_LEASE_FREE} AND EXISTS (SELECT 1 FROM scrobble_outbox o"
        "  WHERE o.user = l.user AND o.service = l.service) ORDER BY user, service",
        {"now": now, "seconds": seconds, "longest_retry": longest_retry},
    ).fetchall()
    return [(user, Service(service), generation) for user, service, generation in rows]


def claim(tx: sqlite3.Connection, lease: Lease, now: float, seconds: float) -> bool:
    """Take the link for ``lease`` for ``seconds`` if no live lease holds it; renew it if
    ``lease`` does. Never once the link was relinked since the lease was made (its generation
    changed)."""
    cursor = tx.execute(
        "UPDATE scrobble_links SET lease = :token, lease_until = :now + :seconds"
        " WHERE user = :user AND service = :service AND generation = :generation"
        f" AND rejected IS NULL AND (lease = :token OR {_LEASE_FREE})",
        {**_lease_parameters(lease), "now": now, "seconds": seconds},
    )
    return cursor.rowcount == 1


def renew(tx: sqlite3.Connection, lease: Lease, now: float, seconds: float) -> None:
    """Extend ``lease`` to ``now + seconds`` if it still holds the link (a heartbeat)."""
    tx.execute(
        "UPDATE scrobble_links SET lease_until = :now + :seconds"
        " WHERE user = :user AND service = :service AND generation = :generation"
        " AND lease = :token AND rejected IS NULL",
        {**_lease_parameters(lease), "now": now, "seconds": seconds},
    )


def _lease_parameters(lease: Lease) -> dict[str, str]:
    return {
        "user": lease.user,
        "service": lease.service.value,
        "generation": lease.generation,
        "token": lease.token,
    }


def holds(tx: sqlite3.Connection, lease: Lease, now: float) -> bool:
    row = tx.execute(
        "SELECT 1 FROM scrobble_links WHERE user = ? AND service = ? AND generation = ?"
        " AND lease = ? AND lease_until > ? AND rejected IS NULL",
        (lease.user, lease.service.value, lease.generation, lease.token, now),
    ).fetchone()
    return row is not None


def head(conn: sqlite3.Connection, lease: Lease, limit: int) -> list[Entry]:
    """The link's oldest ``limit`` rows, in play order."""
    rows = conn.execute(
        "SELECT id, kind, track, played_at, client FROM scrobble_outbox"
        " WHERE user = ? AND service = ? ORDER BY id LIMIT ?",
        (lease.user, lease.service.value, limit),
    ).fetchall()
    return [
        Entry(id, Kind(kind), Track(**json.loads(track)), played_at, client)
        for id, kind, track, played_at, client in rows
    ]


def done(tx: sqlite3.Connection, lease: Lease, entries: Sequence[Entry]) -> None:
    """The entries were answered for good: delete them; the link is healthy again."""
    tx.executemany("DELETE FROM scrobble_outbox WHERE id = ?", [(e.id,) for e in entries])
    tx.execute(
        "UPDATE scrobble_links SET failures = 0, last_error = NULL WHERE user = ? AND service = ?",
        (lease.user, lease.service.value),
    )


def retry_later(tx: sqlite3.Connection, lease: Lease, message: str, retry_at: float) -> None:
    """A failure that may pass: release the link until ``retry_at``, counting the failure."""
    tx.execute(
        "UPDATE scrobble_links SET failures = failures + 1, last_error = ?,"
        " retry_at = ?, lease = NULL, lease_until = 0 WHERE user = ? AND service = ?",
        (message, retry_at, lease.user, lease.service.value),
    )


def failures(conn: sqlite3.Connection, lease: Lease) -> int:
    row = conn.execute(
        "SELECT failures FROM scrobble_links WHERE user = ? AND service = ?",
        (lease.user, lease.service.value),
    ).fetchone()
    return row[0] if row else 0


def reject(tx: sqlite3.Connection, lease: Lease, message: str, now: float) -> None:
    """The service refused the link's credentials for good: record its message, stop."""
    tx.execute(
        "UPDATE scrobble_links SET rejected = ?, rejected_at = ?, lease = NULL,"
        " lease_until = 0 WHERE user = ? AND service = ?",
        (message, now, lease.user, lease.service.value),
    )


def release(tx: sqlite3.Connection, lease: Lease) -> None:
    tx.execute(
        "UPDATE scrobble_links SET lease = NULL, lease_until = 0"
        " WHERE user = ? AND service = ? AND lease = ?",
        (lease.user, lease.service.value, lease.token),
    )
