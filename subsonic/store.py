"""Server-side state in the sidecar database: users and their credentials.

Subsonic's token authentication (``t = md5(password + salt)``) needs the password itself, so
passwords cannot be stored as one-way hashes: they are encrypted with Fernet under a key kept in
a separate file (mode 0600), never in the database. API keys only need to be checked, so they are
stored as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from cryptography.fernet import Fernet, InvalidToken

from beetcrate import sidecar


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


MIGRATIONS = [_create_users]


@dataclass(frozen=True)
class User:
    name: str
    admin: bool
    max_bit_rate: int


def load_key(path: Path) -> Fernet:
    """The credential key, created (readable by the owner only) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as key_file:
            key_file.write(Fernet.generate_key())
    return Fernet(path.read_bytes().strip())


def _digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


class Users:
    """Create, check and list users; the one place credentials are read or written."""

    def __init__(self, db: sqlite_utils.Database, key: Fernet) -> None:
        self.db = db
        self.key = key
        sidecar.migrate(db, "users", MIGRATIONS)

    def _row(self, name: str) -> dict | None:
        rows = list(self.db.table("users").rows_where("name = ?", [name]))
        return rows[0] if rows else None

    @staticmethod
    def _user(row: dict) -> User:
        return User(name=row["name"], admin=bool(row["admin"]), max_bit_rate=row["max_bit_rate"])

    def add(self, name: str, password: str, admin: bool = False) -> User:
        if not name or not password:
            raise StoreError("a user needs a name and a password")
        if self._row(name):
            raise StoreError(f"user {name!r} already exists")
        self.db.table("users").insert(
            {
                "name": name,
                "password": self.key.encrypt(password.encode()),
                "admin": int(admin),
                "max_bit_rate": 0,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        return User(name=name, admin=admin, max_bit_rate=0)

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

    def remove(self, name: str) -> None:
        self._require(name)
        self.db.table("users").delete(name)

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
