"""The two servers under test, each started the way its users start it.

beetcrate: ``beetcrate -c CONFIG scan``, ``user add``, then ``beetcrate -c CONFIG serve --bind``
(gunicorn with the shipped configuration). Beetstream 1.4.0: a beets plugin, so it gets a
virtualenv of its own with beets 2.5 (it does not run on newer beets, and it needs the absolute
paths that beets 2.5 stores), a beets library of its own built by that beets, and is started
with ``beet -c CONFIG beetstream`` (Flask's threaded development server, which is how
Beetstream serves). Both libraries are built from the same metadata and point at the same
audio files.

Every process gets ``BEETSDIR`` set to its own folder, so nobody's personal beets configuration
leaks into the benchmark.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from speed.generate import Generated

BUILDER = Path(__file__).with_name("build_library.py")
BEETSTREAM_REQUIREMENTS = ["beetstream==1.4.0", "beets==2.5.*"]
USER, PASSWORD = "bench", "bench-password"
STARTUP_TIMEOUT = 180.0


@dataclass
class Server:
    """A running server and how to address it: its URL, credentials and id formats."""

    name: str
    port: int
    process: subprocess.Popen
    log: Path
    auth: dict[str, str] = field(default_factory=dict)
    album_prefix: str = ""
    song_prefix: str = ""

    def album_id(self, beets_id: int) -> str:
        return f"{self.album_prefix}{beets_id}"

    def song_id(self, beets_id: int) -> str:
        return f"{self.song_prefix}{beets_id}"

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the server and its children (gunicorn's workers), or None.

        Read from /proc (Linux) for every process in the server's process group. Unlike
        latency, it hardly changes when other processes compete for the CPUs.
        """
        total_ticks = 0
        try:
            stats = list(Path("/proc").glob("[0-9]*/stat"))
        except OSError:
            return None
        for stat in stats:
            try:
                # Fields after the command name, which may itself contain spaces and brackets.
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue  # the process ended meanwhile
            if int(fields[2]) == self.process.pid:
                total_ticks += int(fields[11]) + int(fields[12])
        return total_ticks / os.sysconf("SC_CLK_TCK") if stats else None

    def stop(self) -> None:
        """Stop the server and every process it started (gunicorn's workers too)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def token_auth(user: str, password: str) -> dict[str, str]:
    """Subsonic token authentication, as most clients send it."""
    salt = "5a1t"
    token = hashlib.md5((password + salt).encode()).hexdigest()
    return {"u": user, "t": token, "s": salt, "v": "1.16.1", "c": "bench", "f": "json"}


def _run(command: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("a") as out:
        result = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed; see {log}")


def _build_library(python: Path, generated: Generated, library_db: Path, log: Path) -> None:
    """Build into a temporary name first, so an interrupted build is never taken as done."""
    if library_db.exists():
        return
    partial = library_db.with_name(library_db.name + ".partial")
    partial.unlink(missing_ok=True)
    print(f"  building {library_db} with {python}")
    env = {**os.environ, "BEETSDIR": str(library_db.parent)}
    command = [str(python), str(BUILDER), str(generated.metadata), str(partial)]
    _run([*command, str(generated.music)], env, log)
    partial.rename(library_db)


def _start(name: str, command: list[str], env: dict[str, str], log: Path, port: int) -> Server:
    out = log.open("a")
    # A session of its own, so that stop() can signal the server and all of its children.
    process = subprocess.Popen(
        command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    out.close()
    return Server(name=name, port=port, process=process, log=log)


def _wait_until_up(server: Server) -> None:
    query = urllib.parse.urlencode(server.auth)
    url = f"http://127.0.0.1:{server.port}/rest/ping.view?{query}"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited at startup; see {server.log}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"{server.name} did not answer within {STARTUP_TIMEOUT:.0f}s")


def beetcrate_command() -> list[str]:
    """The ``beetcrate`` console script of the Python running the benchmark."""
    script = Path(sys.executable).with_name("beetcrate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "beetcrate.cli"]


# Writes user data into a freshly scanned sidecar (``speed.seed``): the sidecar, the number of
# tracks, the benchmark's user; returns a line saying what it wrote.
Seeder = Callable[[sqlite3.Connection, int, str], str]


def start_beetcrate(
    generated: Generated, home: Path, seeders: Sequence[Seeder] = ()
) -> tuple[Server, float, list[str]]:
    """Build beetcrate's library if needed, scan it, seed its user data, and serve it; also
    returns the scan time and what the seeders wrote."""
    home.mkdir(parents=True, exist_ok=True)
    log = home / "server.log"
    library_db = home / "library.db"
    _build_library(Path(sys.executable), generated, library_db, home / "build.log")
    config = home / "config.yaml"
    config.write_text(
        f"directory: {generated.music}\nlibrary: {library_db}\nplugins: []\n"
        "beetcrate:\n  refresh_interval: 2.0\n"
    )
    env = {**os.environ, "BEETSDIR": str(home)}
    beetcrate = [*beetcrate_command(), "-c", str(config)]
    # A fresh sidecar every run: its catalog schema is the code's under test, and the scan
    # below is then a full first scan, timed.
    for stale in home.glob("beetcrate.db*"):
        stale.unlink()
    started = time.perf_counter()
    _run([*beetcrate, "scan"], env, log)
    scan_seconds = time.perf_counter() - started
    _run([*beetcrate, "user", "add", USER, "--password", PASSWORD, "--admin"], env, log)
    conn = sqlite3.connect(home / "beetcrate.db")
    try:
        seeded = [seeder(conn, generated.tracks, USER) for seeder in seeders]
    finally:
        conn.close()
    port = free_port()
    server = _start(
        "beetcrate", [*beetcrate, "serve", "--bind", f"127.0.0.1:{port}"], env, log, port
    )
    server.auth = token_auth(USER, PASSWORD)
    server.album_prefix, server.song_prefix = "al-", "tr-"
    _wait_until_up(server)
    return server, scan_seconds, seeded


def beetstream_venv(work: Path) -> Path:
    """Beetstream's own virtualenv (created once); returns its bin directory."""
    venv = work / "beetstream-venv"
    bin_dir = venv / "bin"
    if not (bin_dir / "beet").exists() or not (venv / ".complete").exists():
        print(f"  creating {venv} with {' '.join(BEETSTREAM_REQUIREMENTS)}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(bin_dir / "pip"), "install", "--quiet", *BEETSTREAM_REQUIREMENTS], check=True
        )
        (venv / ".complete").touch()
    return bin_dir


def start_beetstream(generated: Generated, home: Path, bin_dir: Path) -> Server:
    """Build Beetstream's library with beets 2.5 if needed, and serve it."""
    home.mkdir(parents=True, exist_ok=True)
    library_db = home / "library.db"
    _build_library(bin_dir / "python", generated, library_db, home / "build.log")
    port = free_port()
    config = home / "config.yaml"
    config.write_text(
        f"directory: {generated.music}\nlibrary: {library_db}\nplugins: [beetstream]\n"
        f"beetstream:\n  host: 127.0.0.1\n  port: {port}\n"
    )
    env = {**os.environ, "BEETSDIR": str(home)}
    command = [str(bin_dir / "beet"), "-c", str(config), "beetstream"]
    server = _start("Beetstream", command, env, home / "server.log", port)
    # Beetstream ignores credentials; the same ones are sent anyway, as a client would.
    server.auth = token_auth(USER, PASSWORD)
    server.album_prefix, server.song_prefix = "2", "3"
    _wait_until_up(server)
    return server
