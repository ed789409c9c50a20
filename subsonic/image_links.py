"""Links to cover art that carry no credentials: signed, expiring, for one cover and size.

``getArtistInfo2`` and ``getAlbumInfo2`` answer with image URLs that clients fetch as plain
URLs, without adding their credentials. A link that carried the caller's token or API key
would hand a reusable login to anything that sees it (a cache, a log, a shared screenshot), so
a link names one cover at one size until it expires, signed with HMAC-SHA256 under a key the
server derives from its key file (``beetcrate.key``). ``/beetcrate/image/<token>`` checks the
signature and the expiry and serves that cover, and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

# Clients cache info answers for a while; a week is longer than any of them keeps one.
LIFETIME_SECONDS = 7 * 24 * 3600
_SIGNATURE_BYTES = 16


class InvalidLink(Exception):
    """The link was not made by this server, names another cover, or has expired."""


@dataclass(frozen=True)
class ImageLink:
    cover_id: str
    size: int
    expires: int  # epoch seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ImageLinks:
    """Signs and checks image links with a key of their own, derived from the server's key."""

    def __init__(self, server_key: bytes) -> None:
        # Derived, so that a link's signature tells nothing about the key that encrypts
        # passwords.
        self._key = hmac.new(server_key, b"beetcrate image links", hashlib.sha256).digest()

    def _signature(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]

    def token(self, cover_id: str, size: int, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + LIFETIME_SECONDS)
        payload = f"{cover_id}:{size}:{expires}".encode()
        return f"{_b64(payload)}.{_b64(self._signature(payload))}"

    def check(self, token: str, now: float | None = None) -> ImageLink:
        try:
            encoded, signature = token.split(".")
            payload = _unb64(encoded)
            given = _unb64(signature)
            cover_id, size, expires = payload.decode().rsplit(":", 2)
            link = ImageLink(cover_id, int(size), int(expires))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidLink("not an image link of this server") from exc
        if not hmac.compare_digest(given, self._signature(payload)):
            raise InvalidLink("not an image link of this server")
        if link.expires < (now if now is not None else time.time()):
            raise InvalidLink("the image link has expired")
        return link
