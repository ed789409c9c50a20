"""beetcrate under real gunicorn, started the way a user starts it, for the integration tests.

``running_server`` builds a library with ``build_library`` (its beets home holds the config),
starts ``beetcrate -c CONFIG serve --bind 127.0.0.1:PORT`` in a process of its own with its
stdout and stderr (the access log and the error log) captured in a file, waits until ``ping``
answers, and stops gunicorn when the block ends, also when the tests failed.
``HttpApi`` talks to it over HTTP with ``requests`` and checks answers against the spec.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.helper import run_process, start_process, stop_process, wait_for
from tests.subsonic import spec
from tests.subsonic.conftest import ADMIN, ADMIN_PASSWORD, MusicLibrary, build_library

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it; gunicorn binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    """A gunicorn serving ``library`` at ``url``; ``log`` holds everything it printed."""

    library: MusicLibrary
    port: int
    log_file: Path
    env: dict[str, str]
    process: subprocess.Popen

    @property
    def config(self) -> Path:
        """The beets configuration it serves (``beetcrate -c CONFIG serve``)."""
        return self.library.home.config_file

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def cli(self, *args: str) -> str:
        """Run a ``beetcrate -c CONFIG …`` command against the served library; its stdout."""
        return run_process("beetcrate", "-c", str(self.config), *args, env=self.env).stdout


def _answers_ping(server: RunningServer) -> bool:
    if server.process.poll() is not None:
        raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log()}")
    try:
        answer = HttpApi(server.url).get("ping", f="json").json()
    except requests.ConnectionError:
        return False
    return answer["subsonic-response"]["status"] == "ok"


@contextmanager
def running_server(
    root: Path, configure: Callable[[MusicLibrary], None] | None = None
) -> Iterator[RunningServer]:
    """Build a library under ``root`` and serve it with gunicorn until the block ends;
    ``configure`` may change the library and its configuration before the server starts."""
    library = build_library(root / "library")
    if configure is not None:
        configure(library)
    # An empty BEETSDIR: the developer's own beets configuration must not leak into the test.
    beetsdir = root / "beetsdir"
    beetsdir.mkdir()
    env = {**os.environ, "BEETSDIR": str(beetsdir), "PYTHONUNBUFFERED": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("BEETCRATE_")}
    port = free_port()
    log_file = root / "gunicorn.log"
    with log_file.open("wb") as log:
        process = start_process(
            "beetcrate",
            "-c",
            str(library.home.config_file),
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            env=env,
            stdout=log,
        )
    server = RunningServer(library, port, log_file, env, process)
    try:
        wait_for(
            lambda: _answers_ping(server),
            timeout=STARTUP_TIMEOUT,
            interval=0.1,
            what=lambda: f"gunicorn to answer ping:\n{server.log()}",
        )
        yield server
    finally:
        # SIGTERM is gunicorn's graceful shutdown; the session (gunicorn and its workers) is
        # killed if the master hangs.
        stop_process(process, timeout=STOP_TIMEOUT)


class HttpApi:
    """Calls the API over HTTP as a client would; ``ok``/``error`` also check the spec."""

    def __init__(self, url: str, user: str = ADMIN, password: str = ADMIN_PASSWORD) -> None:
        self.url = url
        self.user = user
        self.password = password
        self.session = requests.Session()

    def credentials(self) -> dict[str, str]:
        salt = os.urandom(6).hex()
        token = hashlib.md5((self.password + salt).encode()).hexdigest()
        return {"u": self.user, "t": token, "s": salt, "v": "1.16.1", "c": "pytest-http"}

    def get(self, method: str, auth: bool = True, **params: Any) -> requests.Response:
        query = {**(self.credentials() if auth else {}), **params}
        return self.session.get(f"{self.url}/rest/{method}", params=query, timeout=30)

    def post(self, method: str, auth: bool = True, **params: Any) -> requests.Response:
        form = {**(self.credentials() if auth else {}), **params}
        return self.session.post(f"{self.url}/rest/{method}", data=form, timeout=30)

    def both(self, method: str, auth: bool = True, **params: Any) -> dict:
        """The answer in XML (validated against the XSD) and in JSON (validated against the
        OpenSubsonic schema); returns the JSON ``subsonic-response``."""
        xml = self.get(method, auth=auth, **params)
        assert xml.status_code == 200, xml.text[:300]
        assert xml.headers["Content-Type"].startswith("text/xml"), xml.headers
        spec.validate_xml(xml.content)
        answer = self.get(method, auth=auth, f="json", **params)
        assert answer.status_code == 200, answer.text[:300]
        assert answer.headers["Content-Type"].startswith("application/json"), answer.headers
        document = answer.json()
        spec.validate_json(method, document)
        return document["subsonic-response"]

    def ok(self, method: str, auth: bool = True, **params: Any) -> dict:
        body = self.both(method, auth=auth, **params)
        assert body["status"] == "ok", body
        return body

    def error(self, method: str, auth: bool = True, **params: Any) -> int:
        body = self.both(method, auth=auth, **params)
        assert body["status"] == "failed", body
        assert body["error"]["message"]
        return body["error"]["code"]
