"""Every ``beet`` command of every plugin over one library of good and broken files.

The commands run in order on the same library (``BrokenLibrary``), each in a real ``beet``
process: a bad file is one line naming it and the command's exit status 1; good files are fully
processed; nothing is written for a failed item; a rerun retries only what failed.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from beetcrate import media
from tests.reliability.library import BAD, CAN_MAKE_UNREADABLE, GOOD, BrokenLibrary, Done, build

pytestmark = pytest.mark.xdist_group("reliability-broken-library")

# What a file holds up to a clean cut is audio to the duplicate finder, which hashes and
# fingerprints what is there; the Opus mirror and the DJ analysis refuse the cut track.
HASHABLE_BAD = {"truncated.mp3"}
# Good audio too short for a DJ analysis (under half a second).
TOO_SHORT_FOR_DJ = {"short 0.2 s.flac"}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokenLibrary]:
    with pytest.MonkeyPatch.context() as patch:
        root = tmp_path_factory.mktemp("broken-library")
        patch.setenv("BEETSDIR", str(root / "beets"))
        yield build(root)


def sidecar(library: BrokenLibrary) -> sqlite3.Connection:
    return sqlite3.connect(library.home.sidecar)


def assert_failed_exactly(done: Done, failing: set[str]) -> None:
    """No traceback; exit 1 with one line naming each failing file, and no line naming the
    others (the commands name only what failed)."""
    assert "Traceback" not in done.output, done.output
    assert done.returncode == (1 if failing else 0), done.output
    lines = done.output.splitlines()
    for name in [*GOOD, *BAD]:
        naming = [line for line in lines if f"/{name}" in line]
        assert len(naming) == (name in failing), f"{name}: {naming}\n{done.output}"


def assert_clean(done: Done) -> None:
    """A command that reads what the jobs stored: no traceback, no error, exit 0."""
    assert "Traceback" not in done.output, done.output
    assert done.returncode == 0 and "error" not in done.output, done.output


def _dupes_scan_scans_the_good_files_and_names_each_bad_one(library: BrokenLibrary) -> None:
    first = library.beet("dupes", "scan")
    assert_failed_exactly(first, set(BAD) - HASHABLE_BAD)
    assert f"scanned {len(GOOD) + len(HASHABLE_BAD)}, unchanged 0" in first.stdout
    assert first.stderr.strip().endswith("could not be scanned; see above")

    again = library.beet("dupes", "scan")
    assert_failed_exactly(again, set(BAD) - HASHABLE_BAD)
    assert f"scanned 0, unchanged {len(GOOD) + len(HASHABLE_BAD)}" in again.stdout

    ids = library.item_ids()
    hashed = {
        name
        for name, item_id in ids.items()
        if library.home.lib.get_item(item_id).get("audio_hash")
    }
    assert hashed == set(GOOD) | HASHABLE_BAD


def _dupes_list_show_resolve_undo_purge_work_beside_broken_files(
    library: BrokenLibrary,
) -> None:
    listed = library.beet("dupes", "list")
    assert_clean(listed)
    assert "1 groups" in listed.stdout
    group = listed.stdout.split()[1].rstrip(":")
    assert_clean(library.beet("dupes", "show", group))
    assert_clean(library.beet("dupes", "resolve", "--all"))
    applied = library.beet("dupes", "resolve", "--all", "--apply")
    assert_clean(applied)
    assert len(list(library.trash.rglob("*.flac"))) == 1
    assert_clean(library.beet("dupes", "undo"))
    assert not list(library.trash.rglob("*.flac"))
    assert_clean(library.beet("dupes", "purge", "--yes"))
    assert library.path("copy.flac").exists() and library.path("good.flac").exists()


def _opus_sync_mirrors_the_good_files_and_retries_only_the_failed(
    library: BrokenLibrary,
) -> None:
    first = library.beet("opus", "sync", "--jobs", "2")
    assert_failed_exactly(first, set(BAD))
    assert f"{len(GOOD)} encoded, {len(BAD)} failed" in first.stdout

    again = library.beet("opus", "sync", "--jobs", "2")
    assert_failed_exactly(again, set(BAD))
    assert f"{len(GOOD)} unchanged, {len(BAD)} failed" in again.stdout

    status = library.beet("opus", "status")
    assert "Traceback" not in status.output and status.returncode == 0
    assert f"{len(GOOD)} of {len(GOOD) + len(BAD)} items mirrored" in status.stdout
    assert sum("  failed: " in line for line in status.stdout.splitlines()) == len(BAD)

    files = sorted(p.name for p in library.mirror.rglob("*") if p.is_file())
    assert len(files) == len(GOOD) and all(name.endswith(".opus") for name in files)
    ids = library.item_ids()
    with sidecar(library) as db:
        rows = dict(db.execute("SELECT item_id, status FROM opus_mirror WHERE path IS NOT NULL"))
        failed = {
            r[0] for r in db.execute("SELECT item_id FROM opus_mirror WHERE status = 'failed'")
        }
    assert set(rows) == {ids[name] for name in GOOD}
    assert failed == {ids[name] for name in BAD}


def _dj_analyze_now_stores_only_what_it_analysed(library: BrokenLibrary) -> None:
    failing = set(BAD) | TOO_SHORT_FOR_DJ
    first = library.beet("dj", "analyze", "--now")
    assert_failed_exactly(first, failing)
    analysed = len(GOOD) - len(TOO_SHORT_FOR_DJ)
    assert f"analysed {analysed}, skipped 0" in first.stdout

    again = library.beet("dj", "analyze", "--now")
    assert_failed_exactly(again, failing)
    assert f"analysed 0, skipped {analysed}" in again.stdout

    status = library.beet("dj", "status")
    assert "Traceback" not in status.output and status.returncode == 0
    assert f"{len(failing)} failed" in status.stdout

    lib = library.home.lib
    hashes = {
        name: lib.get_item(item_id).get("dj_audio_hash")
        for name, item_id in library.item_ids().items()
    }
    assert {name for name, digest in hashes.items() if digest} == set(GOOD) - TOO_SHORT_FOR_DJ
    with sidecar(library) as db:
        stored = {row[0] for row in db.execute("SELECT audio_hash FROM dj_analysis")}
    assert stored == {digest for digest in hashes.values() if digest}


def _dj_show_and_waveform_answer_for_good_and_failed_tracks(
    library: BrokenLibrary, tmp_path: Path
) -> None:
    shown = library.beet("dj", "show")
    assert_clean(shown)
    assert shown.stdout.count("not analysed") == len(BAD) + len(TOO_SHORT_FOR_DJ)
    png = tmp_path / "good.png"
    drawn = library.beet("dj", "waveform", "-o", str(png), "title:good", "format:FLAC")
    assert_clean(drawn)
    assert png.read_bytes().startswith(b"\x89PNG")
    refused = library.beet("dj", "waveform", "-o", str(tmp_path / "x.png"), "path::empty.flac$")
    assert refused.returncode == 1 and "Traceback" not in refused.output
    assert refused.stderr.strip().splitlines() == [
        f"error: not analysed yet: {library.path('empty.flac')}"
    ]


def _dj_analyze_queued_names_each_file_it_cannot_hash(library: BrokenLibrary) -> None:
    """Queued, the files that cannot even be read fail at once; the rest wait for a worker."""
    queued = library.beet("dj", "analyze", "--force")
    assert "Traceback" not in queued.output and queued.returncode == 1
    assert "error: dj analyze:" in queued.stderr
    assert "(run `beet dj worker` to process the queue)" in queued.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("crate", "list"),
        ("crate", "show", "all"),
        ("crate", "refresh"),
        ("crate", "export", "all"),
        ("crate", "next", "id:1"),
        ("crate", "path", "id:1", "id:2"),
        ("crate", "sessions"),
    ],
)
def test_crate_commands_list_every_item_broken_or_not(
    library: BrokenLibrary, args: tuple[str, ...]
) -> None:
    assert_clean(library.beet(*args))


def test_crate_refresh_evaluates_the_other_crates_past_a_broken_one(
    library: BrokenLibrary,
) -> None:
    broken = library.crates / "broken.yaml"
    broken.write_text("all:\n  - is: {no_such_field: 1}\n")
    try:
        done = library.beet("crate", "refresh")
    finally:
        broken.unlink()
    assert "Traceback" not in done.output and done.returncode == 1
    assert f"all: {len(GOOD) + len(BAD)} tracks" in done.stdout
    assert [line for line in done.stderr.splitlines() if "broken.yaml" in line]
    assert done.stderr.strip().endswith("crate refresh: 1 crate(s) failed; see above")


def test_the_unreadable_file_is_among_the_bad_ones(library: BrokenLibrary) -> None:
    if not CAN_MAKE_UNREADABLE:
        pytest.skip("running as root, who reads a chmod 000 file: no unreadable file to make")
    assert not os.access(library.path("unreadable.flac"), os.R_OK)


def _the_files_with_an_invalid_utf8_tag_are_mirrored_whole(library: BrokenLibrary) -> None:
    mirrored = [p for p in library.mirror.rglob("*.opus") if "invalid" in p.name]
    assert len(mirrored) == 3  # the FLAC, the MP3 and the Ogg file
    for path in mirrored:
        assert media.probe(path).duration == pytest.approx(1.0, abs=0.05)


# The jobs of one plugin build on each other, so each plugin's steps run in order in one test
# (the plugins' tests may run in any order: their tables and files are apart).


def test_dupes_scan_then_list_show_resolve_undo_purge(library: BrokenLibrary) -> None:
    _dupes_scan_scans_the_good_files_and_names_each_bad_one(library)
    _dupes_list_show_resolve_undo_purge_work_beside_broken_files(library)


def test_opus_sync_then_status(library: BrokenLibrary) -> None:
    _opus_sync_mirrors_the_good_files_and_retries_only_the_failed(library)
    _the_files_with_an_invalid_utf8_tag_are_mirrored_whole(library)
    assert not [p for p in library.mirror.rglob("*") if p.name.endswith(".beetcrate-tmp")]


def test_dj_analyze_then_status_show_waveform_and_queued_analyze(
    library: BrokenLibrary, tmp_path: Path
) -> None:
    _dj_analyze_now_stores_only_what_it_analysed(library)
    _dj_show_and_waveform_answer_for_good_and_failed_tracks(library, tmp_path)
    _dj_analyze_queued_names_each_file_it_cannot_hash(library)
