"""Server-side state in the sidecar database: users, their roles and their credentials.

Subsonic's token authentication (``t = md5(password + salt)``) needs the password itself, so
passwords cannot be stored as one-way hashes: they are encrypted with Fernet under a key kept in
a separate file (mode 0600), never in the database. API keys only need to be checked, so they are
stored as SHA-256 digests.

A user's roles are Subsonic's (``downloadRole``…), one column each. Removing a user removes
everything they wrote (``userdata.schema.USER_COLUMNS``) and their links to scrobbling services
(``beetcrate.scrobbling.store``) in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlite_utils
from cryptography.fernet import Fernet, InvalidToken

from beetcrate import sidecar
from beetcrate.credentials import load_key as load_key  # where the server's callers find it
from beetcrate.scrobbling import store as scrobbling_store
from subsonic.userdata import annotations as user_annotations
from subsonic.userdata.schema import USER_COLUMNS

if TYPE_CHECKING:
    from subsonic.userdata.writer import Writer


class StoreError(Exception):
    """A user-facing problem with stored state (unknown user, duplicate name…)."""


def _create_users(db: sqlite_utils.Database) -> None:
    db.table("users").create(
        {
            "name": str,
            "password": bytes,
            "api_key_sha256": str,
            "admin": int,
            "max_bit_rate": int,
            "created": str,
        },
        pk="name",
        not_null={"password", "admin", "created"},
        defaults={"admin": 0, "max_bit_rate": 0},
    )
    db.table("users").create_index(["api_key_sha256"], unique=True)


def _add_roles(db: sqlite_utils.Database) -> None:
    """Subsonic's roles, email and scrobbling; existing users get what new users get."""
    granted = ("settings", "stream", "download", "playlist", "comment")
    refused = ("cover_art", "upload", "podcast", "share", "jukebox", "video_conversion")
    for role in granted + refused:
        default = 1 if role in granted else 0
        db.execute(f"ALTER TABLE users ADD COLUMN {role}_role INTEGER NOT NULL DEFAULT {default}")
    db.execute("ALTER TABLE users ADD COLUMN email TEXT")
    db.execute("ALTER TABLE users ADD COLUMN scrobbling INTEGER NOT NULL DEFAULT 1")


MIGRATIONS = [_create_users, _add_roles]


@dataclass(frozen=True)
class Roles:
    """What a user may do: Subsonic's roles, by their names without ``Role``.

    New users may change their own password (settings), stream, download, make playlists and
    rate (comment); the rest is for features that need an admin's trust or that this server
    does not offer.
    """

    settings: bool = True
    stream: bool = True
    download: bool = True
    playlist: bool = True
    comment: bool = True
    cover_art: bool = False
    upload: bool = False
    podcast: bool = False
    share: bool = False
    jukebox: bool = False
    video_conversion: bool = False


ROLE_NAMES = tuple(role.name for role in fields(Roles))


@dataclass(frozen=True)
class User:
    name: str
    admin: bool
    max_bit_rate: int
    roles: Roles = field(default_factory=Roles)
    email: str | None = None
    # Whether the user wants their plays forwarded to scrobbling services.
    scrobbling: bool = True


def _digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


class Users:
    """Create, check and list users; the one place credentials are read or written."""

    def __init__(self, db: sqlite_utils.Database, key: Fernet) -> None:
        self.db = db
        self.key = key
        sidecar.migrate(db, "users", MIGRATIONS)
        # Users' links to scrobbling services are credentials too (``beetcrate.scrobbling``).
        scrobbling_store.migrate(db)

    def _row(self, name: str) -> dict | None:
        rows = list(self.db.table("users").rows_where("name = ?", [name]))
        return rows[0] if rows else None

    @staticmethod
    def _user(row: dict) -> User:
        return User(
            name=row["name"],
            admin=bool(row["admin"]),
            max_bit_rate=row["max_bit_rate"],
            roles=Roles(**{role: bool(row[f"{role}_role"]) for role in ROLE_NAMES}),
            email=row["email"],
            scrobbling=bool(row["scrobbling"]),
        )

    @staticmethod
    def _columns(user: User) -> dict:
        """The stored fields of ``user`` but its name and credentials."""
        return {
            "admin": int(user.admin),
            "max_bit_rate": user.max_bit_rate,
            "email": user.email,
            "scrobbling": int(user.scrobbling),
            **{f"{role}_role": int(getattr(user.roles, role)) for role in ROLE_NAMES},
        }

    def add(
        self,
        name: str,
        password: str,
        admin: bool = False,
        roles: Roles | None = None,
        email: str | None = None,
    ) -> User:
        """A new user with ``roles`` (by default what any new user may do)."""
        if not name or not password:
            raise StoreError("a user needs a name and a password")
        if self._row(name):
            raise StoreError(f"user {name!r} already exists")
        user = User(name=name, admin=admin, max_bit_rate=0, roles=roles or Roles(), email=email)
        self.db.table("users").insert(
            {
                "name": name,
                "password": self.key.encrypt(password.encode()),
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                **self._columns(user),
            }
        )
        return user

    def update(self, user: User) -> None:
        """Store a changed ``user`` (admin, roles, email, bit rate, scrobbling); not renames."""
        self._require(user.name)
        self.db.table("users").update(user.name, self._columns(user))

    def set_password(self, name: str, password: str) -> None:
        if not password:
            raise StoreError("the password cannot be empty")
        self._require(name)
        self.db.table("users").update(name, {"password": self.key.encrypt(password.encode())})

    def new_api_key(self, name: str) -> str:
        """Issue a new API key, replacing any previous one; only its digest is kept."""
        self._require(name)
        api_key = secrets.token_urlsafe(32)
        self.db.table("users").update(name, {"api_key_sha256": _digest(api_key)})
        return api_key

    def remove(self, name: str, userdata: Writer) -> None:
        """Remove the user and every row of user data they own, in one transaction."""
        self._require(name)
        with userdata.transaction() as conn:
            for table, column in USER_COLUMNS:
                conn.execute(f"DELETE FROM {table} WHERE {column} = ?", [name])
            scrobbling_store.forget_user(conn, name)
            conn.execute("DELETE FROM users WHERE name = ?", [name])
            # Answers cached for the user (and averages over users) must not outlive them.
            user_annotations.changed(conn, name)

    def list(self) -> list[User]:
        return [self._user(row) for row in self.db.table("users").rows_where(order_by="name")]

    def get(self, name: str) -> User | None:
        row = self._row(name)
        return self._user(row) if row else None

    def _require(self, name: str) -> dict:
        row = self._row(name)
        if row is None:
            raise StoreError(f"no user named {name!r}")
        return row

    def _password(self, row: dict) -> str:
        try:
            return self.key.decrypt(row["password"]).decode()
        except InvalidToken as exc:
            raise StoreError("stored credentials cannot be decrypted with this key file") from exc

    def check_password(self, name: str, password: str) -> User | None:
        row = self._row(name)
        if row and hmac.compare_digest(self._password(row).encode(), password.encode()):
            return self._user(row)
        return None

    def check_token(self, name: str, token: str, salt: str) -> User | None:
        row = self._row(name)
        if row is None:
            return None
        expected = hashlib.md5((self._password(row) + salt).encode()).hexdigest()
        return self._user(row) if hmac.compare_digest(expected, token.lower()) else None

    def check_api_key(self, api_key: str) -> User | None:
        rows = list(self.db.table("users").rows_where("api_key_sha256 = ?", [_digest(api_key)]))
        return self._user(rows[0]) if rows else None
