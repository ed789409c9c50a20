"""``beet import`` with every plugin's hook over odd files, and jobs killed mid-way.

Each test has a library of its own: these change it.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from beets.library import Library

from beetcrate import media
from beetcrate.synth.tones import RATE, sine
from tests.helper import BeetsHome, run_process, start_process, stop_process, wait_for

pytestmark = pytest.mark.xdist_group("reliability-kills")


def _env(home: BeetsHome) -> dict[str, str]:
    return {**os.environ, "BEETSDIR": str(home.dir)}


def test_import_goes_on_past_a_file_its_hooks_cannot_read_and_exits_1(
    beets_home: BeetsHome, tmp_path: Path
) -> None:
    beets_home.configure(
        plugins=["dupes", "opus", "dj"],
        opus={"directory": str(tmp_path / "mirror"), "auto": True},
        dj={"auto": True},
        **{"import": {"copy": True}},
    )
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    media.write_audio(incoming / "good.flac", sine(2.0, 440.0), RATE)
    media.write_audio(incoming / "short.flac", sine(1.5, 550.0), RATE)  # the 1.5 s
    media.write_audio(incoming / "whole.flac", sine(2.0, 660.0), RATE)
    whole = (incoming / "whole.flac").read_bytes()
    (incoming / "whole.flac").unlink()
    (incoming / "truncated.flac").write_bytes(whole[: len(whole) // 2])

    done = run_process(
        "beet", "import", "-A", "-q", str(incoming), env=_env(beets_home), check=False
    )
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode == 1
    assert done.stderr.strip().endswith("error: dupes: 1 file(s) could not be scanned; see above")
    dupes = [line for line in done.stdout.splitlines() if line.startswith("dupes: ")]
    assert len(dupes) == 1 and dupes[0].startswith("dupes: cannot decode "), done.stdout
    lib = Library(str(beets_home.library_path), str(beets_home.music))
    hashed = {bool(item.get("audio_hash")): item for item in lib.items()}
    assert len(lib.items()) == 3 and sum(bool(i.get("audio_hash")) for i in lib.items()) == 2
    assert dupes[0].split(": ")[1].endswith(os.fsdecode(hashed[False].path))
    lib._close()


def _tiny_library(home: BeetsHome, count: int) -> None:
    """``count`` tiny distinct tracks: enough steps for a job to be killed in the middle."""
    for n in range(count):
        home.add(f"t{n:03d}.flac", sine(0.2, 200.0 + 5 * n), title=f"t{n:03d}")


def test_opus_sync_killed_mid_way_is_completed_by_the_next_run(
    beets_home: BeetsHome, tmp_path: Path
) -> None:
    mirror = tmp_path / "mirror"
    beets_home.configure(plugins=["opus"], opus={"directory": str(mirror)})
    _tiny_library(beets_home, 120)
    job = start_process("beet", "opus", "sync", "--jobs", "2", env=_env(beets_home))
    try:
        wait_for(lambda: len(list(mirror.rglob("*.opus"))) >= 5, 60, what="some encodes")
    finally:
        stop_process(job, signal.SIGKILL)
    assert len(list(mirror.rglob("*.opus"))) < 120, "the job ended before it was killed"

    done = run_process("beet", "opus", "sync", "--jobs", "2", env=_env(beets_home))
    assert "Traceback" not in done.stdout + done.stderr
    files = list(mirror.rglob("*"))
    assert not [p for p in files if p.is_file() and not p.name.endswith(".opus")]
    opus = [p for p in files if p.name.endswith(".opus")]
    assert len(opus) == 120
    assert all(media.probe(p).duration > 0.1 for p in opus)


def test_dupes_resolve_killed_mid_way_is_completed_by_the_next_run(
    beets_home: BeetsHome, tmp_path: Path
) -> None:
    trash = tmp_path / "trash"
    beets_home.configure(plugins=["dupes"], dupes={"trash": str(trash)})
    for n in range(60):  # 60 groups of two exact copies
        item = beets_home.add(f"a{n:03d}.flac", sine(0.2, 200.0 + 5 * n), title=f"a{n:03d}")
        beets_home.add_file(Path(os.fsdecode(item.path)), f"b{n:03d}.flac", title=f"b{n:03d}")
    beets_home.close()
    run_process("beet", "dupes", "scan", env=_env(beets_home))
    job = start_process("beet", "dupes", "resolve", "--all", "--apply", env=_env(beets_home))
    try:
        wait_for(lambda: len(list(trash.rglob("*.flac"))) >= 3, 60, what="some resolutions")
    finally:
        stop_process(job, signal.SIGKILL)
    assert len(list(trash.rglob("*.flac"))) < 60, "the job ended before it was killed"

    done = run_process("beet", "dupes", "resolve", "--all", "--apply", env=_env(beets_home))
    assert "Traceback" not in done.stdout + done.stderr
    lib = Library(str(beets_home.library_path), str(beets_home.music))
    kept = [Path(os.fsdecode(i.path)) for i in lib.items()]
    lib._close()
    trashed = list(trash.rglob("*.flac"))
    assert len(kept) == 60 and len(trashed) == 60
    assert all(p.exists() for p in kept)
    listed = run_process("beet", "dupes", "list", env=_env(beets_home))
    assert "0 groups" in listed.stdout
