"""Timing Subsonic requests over real HTTP, one client, one request at a time.

A keep-alive ``http.client`` connection per server keeps the client's own overhead small and
equal for both servers (Beetstream's development server closes the connection after each
answer; ``http.client`` then reconnects, which is part of what its users pay too). A latency is
from sending the request to having read the whole answer, or, for ``stream``, its first byte.
"""

from __future__ import annotations

import http.client
import json
import math
import random
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from speed.servers import Server

# Beetstream answers in seconds at 100k tracks; a single request may take this long.
REQUEST_TIMEOUT = 300.0


@dataclass
class Endpoint:
    """One row of the table: a Subsonic method and the parameters of its i-th request."""

    label: str
    method: str
    params: Callable[[Server, int], dict[str, str]]
    first_byte: bool = False


@dataclass
class Result:
    """The latencies of one endpoint on one server; ``note`` says why there are none."""

    seconds: list[float] = field(default_factory=list)
    # Server CPU seconds spent on the timed requests, all of them together.
    cpu: float | None = None
    note: str = ""

    @property
    def cpu_per_request(self) -> float | None:
        return self.cpu / len(self.seconds) if self.cpu is not None and self.seconds else None

    def percentile(self, p: float) -> float | None:
        """Nearest-rank percentile; ``None`` when too few samples make it meaningless."""
        if not self.seconds or (p > 95 and len(self.seconds) < 100):
            return None
        ordered = sorted(self.seconds)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class RequestFailed(Exception):
    """The server answered with an HTTP error or a Subsonic ``failed`` status."""


class Client:
    """One keep-alive connection to a server, sending its credentials with every request."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_TIMEOUT)

    def url(self, method: str, params: dict[str, str]) -> str:
        return f"/rest/{method}.view?{urllib.parse.urlencode({**self.server.auth, **params})}"

    def get(
        self, method: str, params: dict[str, str], first_byte: bool = False
    ) -> tuple[float, dict | None]:
        """(seconds, the parsed ``subsonic-response``, or None for audio); or RequestFailed."""
        started = time.perf_counter()
        try:
            self.conn.request("GET", self.url(method, params))
            response = self.conn.getresponse()
            if first_byte:
                response.read(1)
                elapsed = time.perf_counter() - started
                body = response.read()
            else:
                body = response.read()
                elapsed = time.perf_counter() - started
        except (OSError, http.client.HTTPException):
            # A broken keep-alive connection: reconnect before the next request.
            self.conn.close()
            raise
        if response.status != 200:
            raise RequestFailed(f"HTTP {response.status}")
        if first_byte:
            if not response.getheader("Content-Type", "").startswith("audio/"):
                raise RequestFailed(f"not audio: {body[:200]!r}")
            return elapsed, None
        document = json.loads(body)["subsonic-response"]
        if document.get("status") != "ok":
            raise RequestFailed(str(document.get("error")))
        return elapsed, document

    def close(self) -> None:
        self.conn.close()


def run_endpoint(
    client: Client,
    endpoint: Endpoint,
    requests: int,
    warmup: int,
    budget: float | None = None,
) -> Result:
    """``warmup`` untimed requests, then up to ``requests`` timed ones.

    With a ``budget`` (seconds), the count is cut so the timed requests take about that long,
    judged by the warm-up's latency, but never below 3: that is how a slow peer is bounded.
    """
    result = Result()
    try:
        slowest = 0.0
        for i in range(warmup):
            params = endpoint.params(client.server, -1 - i)
            seconds, _ = client.get(endpoint.method, params, first_byte=endpoint.first_byte)
            slowest = max(slowest, seconds)
        if budget is not None and slowest > 0:
            affordable = max(3, int(budget / slowest))
            if affordable < requests:
                result.note = f"{affordable} of {requests} requests (time budget)"
                requests = affordable
        cpu_before = client.server.cpu_seconds()
        for i in range(requests):
            params = endpoint.params(client.server, i)
            seconds, _ = client.get(endpoint.method, params, first_byte=endpoint.first_byte)
            result.seconds.append(seconds)
        cpu_after = client.server.cpu_seconds()
        if cpu_before is not None and cpu_after is not None:
            result.cpu = cpu_after - cpu_before
    except http.client.HTTPException as exc:
        result.note = f"failed: {exc!r}"
    except RequestFailed as exc:
        # Beetstream answers methods it lacks with 404: the table shows them as n/a.
        result.note = "n/a" if "HTTP 404" in str(exc) else f"failed: {exc}"
    except TimeoutError:
        result.note = f"timed out after {REQUEST_TIMEOUT:.0f}s"
    except OSError as exc:
        result.note = f"failed: {exc!r}"
    return result


@dataclass
class SyncResult:
    seconds: float | None = None
    pages: int = 0
    songs: int = 0
    unique: int = 0
    # Server CPU seconds for the whole sync.
    cpu: float | None = None
    note: str = ""

    @property
    def exact(self) -> bool:
        return self.songs == self.unique


def full_sync(
    client: Client, expected: int, page: int = 500, budget: float | None = None
) -> SyncResult:
    """Page search3's empty query to the end, as syncing clients do; check each song comes once.

    With a ``budget``, the sync is skipped when the first page shows it would take longer; the
    note then gives the estimate.
    """
    params = {"query": "", "artistCount": "0", "albumCount": "0", "songCount": str(page)}
    result = SyncResult()
    ids: list[str] = []
    cpu_before = client.server.cpu_seconds()
    started = time.perf_counter()
    offset = 0
    while True:
        try:
            seconds, document = client.get("search3", {**params, "songOffset": str(offset)})
        except (RequestFailed, OSError, http.client.HTTPException) as exc:
            result.note = f"failed at offset {offset}: {exc}"
            return result
        songs = document["searchResult3"].get("song", [])
        ids.extend(song["id"] for song in songs)
        result.pages += 1
        if budget is not None and offset == 0:
            estimate = seconds * math.ceil(expected / page)
            if estimate > budget:
                result.note = f"skipped: about {estimate:.0f}s ({seconds:.1f}s per page)"
                return result
        if len(songs) < page:
            break
        offset += page
    result.seconds = time.perf_counter() - started
    cpu_after = client.server.cpu_seconds()
    if cpu_before is not None and cpu_after is not None:
        result.cpu = cpu_after - cpu_before
    result.songs, result.unique = len(ids), len(set(ids))
    if result.songs != expected:
        result.note = f"{result.songs} songs returned, {expected} expected"
    return result


def sample_ids(count: int, population: int, seed: int) -> list[int]:
    """The same pseudo-random beets ids for both servers."""
    rng = random.Random(seed)
    return [rng.randint(1, population) for _ in range(count)]
