"""The beetcrate command: user management, settings from the beets config, clear errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from beetcrate import sidecar
from beetcrate.cli import main
from beetcrate.settings import load_settings
from subsonic.store import ROLE_NAMES, Users, load_key
from subsonic.userdata.writer import Writer
from tests.helper import run_process


@pytest.fixture
def config(tmp_path: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"directory: {tmp_path / 'music'}\n"
        f"library: {tmp_path / 'library.db'}\n"
        "beetcrate:\n"
        f"  db: {tmp_path / 'state' / 'server.db'}\n"
        f"  secret_key_file: {tmp_path / 'secrets' / 'server.key'}\n"
        "  bind: 127.0.0.1:4999\n"
    )
    return config


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """``beetcrate ARGS`` in a process of its own, as a user runs it."""
    return run_process("beetcrate", *args, stdin=stdin, timeout=60, check=False)


def test_users_are_added_listed_given_api_keys_and_removed(
    config: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["-c", str(config), "user", "add", "ann", "--password", "pw1", "--admin"]) == 0
    assert main(["-c", str(config), "user", "add", "ben", "--password", "pw2"]) == 0
    assert main(["-c", str(config), "user", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == ["ann  admin", "ben"]
    assert main(["-c", str(config), "user", "apikey", "ben"]) == 0
    assert len(capsys.readouterr().out.strip()) >= 40
    assert main(["-c", str(config), "user", "remove", "ben"]) == 0
    assert main(["-c", str(config), "user", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "ann  admin"


def test_roles_are_given_at_creation_and_changed_later(
    config: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["-c", str(config), "user", "add", "ann", "--password", "pw", "--no-download"]) == 0
    assert main(["-c", str(config), "user", "show", "ann"]) == 0
    shown = capsys.readouterr().out
    assert "roles:        settings, stream, playlist, comment\n" in shown
    assert "admin:        no" in shown
    change = ["--download", "--no-stream", "--max-bit-rate", "192", "--email", "ann@example.org"]
    assert main(["-c", str(config), "user", "set", "ann", *change]) == 0
    settings = load_settings(config)
    ann = Users(sidecar.connect(settings.db), load_key(settings.secret_key_file)).get("ann")
    assert ann is not None
    assert (ann.roles.download, ann.roles.stream, ann.roles.playlist) == (True, False, True)
    assert (ann.max_bit_rate, ann.email, ann.admin) == (192, "ann@example.org", False)


def test_every_role_has_an_option(config: Path) -> None:
    usage = run("-c", str(config), "user", "set", "--help").stdout
    for role in ROLE_NAMES:
        option = role.replace("_", "-")
        assert f"--{option}, --no-{option}" in usage


def test_removing_a_user_removes_their_data_and_no_one_elses(config: Path) -> None:
    for name in ("ann", "ben"):
        assert main(["-c", str(config), "user", "add", name, "--password", "pw"]) == 0
    settings = load_settings(config)
    writer = Writer(settings.db)
    with writer.transaction() as conn:
        for name in ("ann", "ben"):
            conn.execute(
                "INSERT INTO user_annotations (user, target, kind, rating)"
                " VALUES (?, 'tr-1', 'song', 5)",
                [name],
            )
            conn.execute("INSERT INTO play_queues (user, changed) VALUES (?, 0)", [name])
    assert main(["-c", str(config), "user", "remove", "ann"]) == 0
    counts = {
        name: [
            writer.db.execute(f"SELECT count(*) FROM {table} WHERE user = ?", [name]).fetchone()[0]
            for table in ("user_annotations", "play_queues")
        ]
        for name in ("ann", "ben")
    }
    assert counts == {"ann": [0, 0], "ben": [1, 1]}


def test_passwords_are_encrypted_at_rest_with_a_separate_key(config: Path, tmp_path: Path) -> None:
    assert main(["-c", str(config), "user", "add", "ann", "--password", "correct horse"]) == 0
    database = (tmp_path / "state" / "server.db").read_bytes()
    key_file = tmp_path / "secrets" / "server.key"
    assert b"correct horse" not in database
    assert key_file.stat().st_mode & 0o077 == 0
    assert key_file.read_bytes().strip() not in database


def test_passwd_reads_the_new_password_from_stdin(config: Path) -> None:
    assert run("-c", str(config), "user", "add", "ann", "--password", "old").returncode == 0
    assert run("-c", str(config), "user", "passwd", "ann", stdin="new\n").returncode == 0
    settings = load_settings(config)
    users = Users(sidecar.connect(settings.db), load_key(settings.secret_key_file))
    assert users.check_password("ann", "new") and not users.check_password("ann", "old")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user", "remove", "nobody"], "no user named 'nobody'"),
        (["user", "passwd", "nobody", "--password", "x"], "no user named 'nobody'"),
    ],
)
def test_user_errors_are_one_line(config: Path, args: list[str], message: str) -> None:
    result = run("-c", str(config), *args)
    assert result.returncode == 1
    assert result.stderr.strip() == f"beetcrate: {message}"


def test_adding_a_user_twice_is_refused(config: Path) -> None:
    run("-c", str(config), "user", "add", "ann", "--password", "x")
    result = run("-c", str(config), "user", "add", "ann", "--password", "y")
    assert result.returncode == 1 and "already exists" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_come_from_the_beetcrate_section_and_the_environment(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEETCRATE_THREADS", "7")
    result = run("-c", str(config), "user", "list")
    assert result.returncode == 0
    settings = load_settings(config)
    assert settings.bind == "127.0.0.1:4999"
    assert settings.threads == 7
    assert settings.db == config.parent / "state" / "server.db"
    assert settings.cache_dir == config.parent / "beetcrate-cache"


def test_help_lists_every_command() -> None:
    result = run("--help")
    for command in ("serve", "demo", "scan", "worker", "user"):
        assert command in result.stdout


def test_serve_without_a_beets_library_says_so_in_one_line_before_starting(config: Path) -> None:
    result = run("-c", str(config), "serve")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "no beets library at" in result.stderr and "Traceback" not in result.stderr


def test_serve_on_an_address_in_use_says_so_in_one_line(config: Path, tmp_path: Path) -> None:
    import socket

    from beets.library import Library

    Library(str(tmp_path / "library.db"), str(tmp_path / "music"))._close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("-c", str(config), "serve", "--bind", f"127.0.0.1:{port}")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "already in use" in result.stderr and "--bind" in result.stderr


def test_a_demo_on_an_address_in_use_says_so_before_building_anything(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("demo", "--dir", str(tmp_path / "demo"), "--bind", f"127.0.0.1:{port}")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "already in use" in result.stderr and "--bind" in result.stderr
    assert not (tmp_path / "demo").exists()


def test_the_sidecar_path_follows_beetcrate_db_for_the_server_and_every_plugin(
    config: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from beets import config as beets_config

    from beetcrate.settings import sidecar_path

    monkeypatch.setenv("BEETCRATE_DB", str(tmp_path / "elsewhere.db"))
    assert load_settings(config).db == tmp_path / "elsewhere.db"
    assert sidecar_path(beets_config) == tmp_path / "elsewhere.db"


def test_an_empty_beetcrate_db_variable_leaves_the_configured_sidecar(
    config: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BEETCRATE_DB", "")
    assert load_settings(config).db == tmp_path / "state" / "server.db"


def test_a_bad_transcode_profile_is_a_one_line_settings_error(config: Path) -> None:
    with config.open("a") as text:
        text.write("opus:\n  stream:\n    profiles: {opus: 96}\n")
    result = run("-c", str(config), "user", "list")
    assert result.returncode == 1
    assert result.stderr.startswith("beetcrate: setting opus.stream:"), result.stderr
    assert "Traceback" not in result.stderr
