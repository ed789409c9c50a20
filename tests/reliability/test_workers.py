"""The real queue workers over broken files, and killed mid-job.

Each test has a library of its own: the workers change it.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import sqlite_utils
from beets.library import Library

from beetcrate.synth.tones import sine
from beetsplug.dj import ledger
from beetsplug.dj.ledger import JobState
from tests.helper import BeetsHome, run_process, start_process, stop_process, wait_for
from tests.reliability.library import BAD, GOOD, build

pytestmark = pytest.mark.xdist_group("reliability-workers")

# Good audio too short for a DJ analysis (under half a second).
TOO_SHORT_FOR_DJ = {"short 0.2 s.flac"}


def _env(home: BeetsHome) -> dict[str, str]:
    return {**os.environ, "BEETSDIR": str(home.dir)}


def test_a_queued_dupes_scan_whose_worker_is_killed_is_finished_by_the_next_worker(
    beets_home: BeetsHome, tmp_path: Path
) -> None:
    # A short lease, so the next worker soon sees the killed worker's batch as lost.
    beets_home.configure(
        plugins=["dupes"], beetcrate={"queue": {"lease_seconds": 2}}, dupes={"trash": "trash"}
    )
    good = 120  # three batches; 30 groups of two exact copies
    for n in range(good // 2):
        item = beets_home.add(f"a{n:03d}.flac", sine(0.2, 200.0 + 5 * n), title=f"a{n:03d}")
        beets_home.add_file(Path(os.fsdecode(item.path)), f"b{n:03d}.flac", title=f"b{n:03d}")
    bad = tmp_path / "random.flac"
    bad.write_bytes(os.urandom(20_000))
    beets_home.add_file(bad, "random.flac")
    beets_home.close()
    sidecar = sqlite_utils.Database(beets_home.sidecar)

    queued = run_process("beet", "dupes", "scan", "--queue", env=_env(beets_home))
    assert "queued 121 items in 3 batches" in queued.stdout

    def remaining() -> int:
        row = sidecar.execute("SELECT remaining FROM dupes_jobs").fetchone()
        return row[0] if row else 0

    def job_ended() -> bool:
        return sidecar.execute("SELECT 1 FROM dupes_jobs").fetchone() is None

    first = start_process("beetcrate", "worker", "-w", "1", env=_env(beets_home))
    try:
        wait_for(lambda: remaining() < 3, 60, what="the first batch")
    finally:
        stop_process(first, signal.SIGKILL)
    assert remaining() > 0, "the job ended before its worker was killed"

    second = start_process("beetcrate", "worker", "-w", "1", env=_env(beets_home))
    try:
        # The job's row goes once its last batch has regrouped (remaining reaches 0 first).
        wait_for(job_ended, 60, what="the next worker to finish the job")
    finally:
        output = stop_process(second)
    assert "Traceback" not in output, output

    lib = Library(str(beets_home.library_path), str(beets_home.music))
    hashed = {Path(os.fsdecode(i.path)).name: bool(i.get("audio_hash")) for i in lib.items()}
    lib._close()
    assert [name for name, done in hashed.items() if not done] == ["random.flac"]
    listed = run_process("beet", "dupes", "list", env=_env(beets_home))
    assert f"{good // 2} groups" in listed.stdout
    members = sidecar.execute("SELECT COUNT(*), COUNT(DISTINCT item_id) FROM dupes_members")
    assert members.fetchone() == (good, good)


# Loaded by a worker's interpreter as it starts (a sitecustomize module): the worker kills
# itself the moment its batch counts as the job's last, before it regroups.
DIE_BEFORE_THE_REGROUP = """
import os
import signal

from beetsplug.dupes import store

count = store.finish_batch


def finish_batch(*args, **kwargs):
    last = count(*args, **kwargs)
    if last:
        os.kill(os.getpid(), signal.SIGKILL)
    return last


store.finish_batch = finish_batch
"""


def test_a_queued_dupes_scan_whose_worker_dies_before_the_regroup_is_regrouped_by_the_next(
    beets_home: BeetsHome, tmp_path: Path
) -> None:
    beets_home.configure(
        plugins=["dupes"], beetcrate={"queue": {"lease_seconds": 2}}, dupes={"fingerprint": False}
    )
    for n in range(3):  # three groups of two exact copies
        item = beets_home.add(f"a{n}.flac", sine(0.2, 200.0 + 5 * n), title=f"a{n}")
        beets_home.add_file(Path(os.fsdecode(item.path)), f"b{n}.flac", title=f"b{n}")
    beets_home.close()
    sidecar = sqlite_utils.Database(beets_home.sidecar)
    queued = run_process("beet", "dupes", "scan", "--queue", env=_env(beets_home))
    assert "queued 6 items in 1 batches" in queued.stdout
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(DIE_BEFORE_THE_REGROUP)
    dying = _env(beets_home)
    dying["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hook), dying.get("PYTHONPATH")]))

    first = start_process("beetcrate", "worker", "-w", "1", env=dying)
    try:
        assert first.wait(timeout=60) == -signal.SIGKILL
    finally:
        stop_process(first)
    assert sidecar.execute("SELECT remaining FROM dupes_jobs").fetchall() == [(0,)]
    assert sidecar.execute("SELECT COUNT(*) FROM dupes_groups").fetchone() == (0,)

    second = start_process("beetcrate", "worker", "-w", "1", env=_env(beets_home))
    try:
        wait_for(
            lambda: sidecar.execute("SELECT 1 FROM dupes_jobs").fetchone() is None,
            60,
            what="the next worker to regroup the job",
        )
    finally:
        output = stop_process(second)
    assert "re-queued the regroup" in output
    assert "Traceback" not in output, output
    listed = run_process("beet", "dupes", "list", env=_env(beets_home))
    assert "3 groups" in listed.stdout


def test_the_dj_worker_analyses_the_good_files_and_fails_each_bad_one_and_runs_on(
    tmp_path: Path,
) -> None:
    library = build(tmp_path)
    queued = library.beet("dj", "analyze")
    assert "Traceback" not in queued.output and "beet dj worker" in queued.stdout
    sidecar = sqlite_utils.Database(library.home.sidecar)

    worker = start_process("beet", "dj", "worker", "-w", "1", env=_env(library.home))
    try:
        wait_for(
            lambda: ledger.counts(sidecar)[JobState.QUEUED] == 0,
            120,
            what="the worker to finish the queue",
        )
        assert worker.poll() is None, "the worker stopped"
    finally:
        output = stop_process(worker)
    assert "Traceback" not in output, output

    failing = set(BAD) | TOO_SHORT_FOR_DJ
    analysed = set(GOOD) - TOO_SHORT_FOR_DJ
    assert ledger.counts(sidecar) == {
        JobState.QUEUED: 0,
        JobState.DONE: len(analysed),
        JobState.FAILED: len(failing),
    }
    status = library.beet("dj", "status")
    assert "Traceback" not in status.output and status.returncode == 0
    lines = [line for line in status.stdout.splitlines() if line.startswith("  failed: ")]
    for name in [*GOOD, *BAD]:
        naming = [line for line in lines if f"/{name}: " in line]
        assert len(naming) == (name in failing), f"{name}: {naming}\n{status.stdout}"
    assert all(line.split(": ", 2)[2].strip() for line in lines), status.stdout

    lib = library.home.lib
    hashes = {
        name: lib.get_item(item_id).get("dj_audio_hash")
        for name, item_id in library.item_ids().items()
    }
    assert {name for name, digest in hashes.items() if digest} == analysed
    stored = {row[0] for row in sidecar.execute("SELECT audio_hash FROM dj_analysis")}
    assert stored == {digest for digest in hashes.values() if digest}
