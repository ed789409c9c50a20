"""The gunicorn servers real clients talk to, and what they find on them.

``server`` is one gunicorn for the whole session (each xdist worker has its own), started with
``beetcrate -c CONFIG serve`` as a user would (tests/subsonic/server.py), serving the test
library of tests/subsonic/conftest.py. Tests only read from it: a test that changes the
library, a user or the catalog takes ``own_server``, a gunicorn of its own, so no test depends
on another having run, or not, before it.

Every request a test makes must leave no error in the server's log: a handler that raised
leaves a traceback there even when the client saw a tidy error. ``no_error_in_the_server_log``
checks the part of the log each test wrote, and the whole log when a server stops.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.subsonic.conftest import LISTENER
from tests.subsonic.server import HttpApi, RunningServer, running_server


def tracebacks(log: str) -> list[str]:
    """Each Python traceback in a log: the header, its indented lines and the exception line."""
    found: list[str] = []
    current: list[str] | None = None
    for line in log.splitlines():
        if line.startswith("Traceback (most recent call last):"):
            current = [line]
            continue
        if current is None:
            continue
        current.append(line)
        # Frames are indented; chained exceptions continue with a note and a new traceback.
        chained = not line or line.startswith(("During handling", "The above exception"))
        if not line.startswith((" ", "\t")) and not chained:
            found.append("\n".join(current))
            current = None
    return found


def assert_no_errors(log: str) -> None:
    assert tracebacks(log) == []
    assert not re.search(r"\[(ERROR|CRITICAL)\]", log), log[-3000:]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The shared, read-only gunicorn."""
    with running_server(tmp_path_factory.mktemp("gunicorn")) as running:
        yield running
        assert_no_errors(running.log())


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[RunningServer]:
    """A gunicorn of the test's own, with a library of its own, for tests that change them."""
    with running_server(tmp_path) as running:
        yield running
        assert_no_errors(running.log())


@pytest.fixture(autouse=True)
def no_error_in_the_server_log(request: pytest.FixtureRequest) -> Iterator[None]:
    """Nothing a test made the shared gunicorn do was logged as an error."""
    if "server" not in request.fixturenames:
        yield
        return
    server: RunningServer = request.getfixturevalue("server")
    before = len(server.log())
    yield
    assert_no_errors(server.log()[before:])


@pytest.fixture(scope="session")
def http(server: RunningServer) -> HttpApi:
    return HttpApi(server.url)


@pytest.fixture(scope="session")
def album_ids(http: HttpApi) -> dict[str, str]:
    """Album name -> id, as a client discovers them."""
    albums = http.ok("getAlbumList2", type="alphabeticalByName", size=500)["albumList2"]["album"]
    return {album["name"]: album["id"] for album in albums}


@pytest.fixture(scope="session")
def song_ids(http: HttpApi, album_ids: dict[str, str]) -> dict[str, str]:
    """Song title -> id, as a client discovers them."""
    titles = {}
    for album_id in album_ids.values():
        for song in http.ok("getAlbum", id=album_id)["album"]["song"]:
            titles[song["title"]] = song["id"]
    return titles


@pytest.fixture(scope="session")
def bob_api_key(server: RunningServer) -> str:
    # Issued while the server runs, as an admin would: no restart may be needed.
    return server.cli("user", "apikey", LISTENER).strip()
