"""beetcrate under real gunicorn, started the way a user starts it, for the integration tests.

``running_server`` writes a beets configuration for a library from ``build_library``, starts
``python -m beetcrate.cli -c CONFIG serve --bind 127.0.0.1:PORT`` as a subprocess with its
stdout and stderr (the access log and the error log) captured in a file, waits until ``ping``
answers, and stops gunicorn when the block ends, also when the tests failed.
``HttpApi`` talks to it over HTTP with ``requests`` and checks answers against the spec.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.subsonic import spec
from tests.subsonic.conftest import ADMIN, ADMIN_PASSWORD, MusicLibrary, build_library

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it; gunicorn binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_beets_config(library: MusicLibrary, path: Path) -> Path:
    """A beets config as a user writes it: beets' own keys plus a ``beetcrate:`` section."""
    settings = library.settings
    path.write_text(
        f"directory: {json.dumps(str(settings.music_directory))}\n"
        f"library: {json.dumps(str(settings.beets_library))}\n"
        "plugins: []\n"
        "beetcrate:\n"
        f"  db: {json.dumps(str(settings.db))}\n"
        f"  secret_key_file: {json.dumps(str(settings.secret_key_file))}\n"
        f"  cache_dir: {json.dumps(str(settings.cache_dir))}\n"
    )
    return path


@dataclass
class RunningServer:
    """A gunicorn serving ``library`` at ``url``; ``log`` holds everything it printed."""

    library: MusicLibrary
    config: Path
    port: int
    log_file: Path
    env: dict[str, str]
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def cli(self, *args: str) -> str:
        """Run a ``beetcrate -c CONFIG …`` command against the served library; its stdout."""
        done = subprocess.run(
            [sys.executable, "-m", "beetcrate.cli", "-c", str(self.config), *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def _wait_for_ping(server: RunningServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    api = HttpApi(server.url)
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log()}")
        try:
            if api.get("ping", f="json").json()["subsonic-response"]["status"] == "ok":
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer ping in {STARTUP_TIMEOUT}s:\n{server.log()}")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM is gunicorn's graceful shutdown; its workers are in its own process group, so
    if the master hangs, that group (and nothing else) is killed."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT)


@contextmanager
def running_server(root: Path) -> Iterator[RunningServer]:
    (root / "library").mkdir()
    library = build_library(root / "library")
    config = write_beets_config(library, root / "config.yaml")
    # An empty BEETSDIR: the developer's own beets configuration must not leak into the test.
    beetsdir = root / "beetsdir"
    beetsdir.mkdir()
    env = {**os.environ, "BEETSDIR": str(beetsdir), "PYTHONUNBUFFERED": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("BEETCRATE_")}
    port = free_port()
    log_file = root / "gunicorn.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "beetcrate.cli",
                "-c",
                str(config),
                "serve",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = RunningServer(library, config, port, log_file, env, process)
    try:
        _wait_for_ping(server)
        yield server
    finally:
        _stop(process)


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
