"""The dj plugin on a real beets library: fields, sidecar, queue, one writer, CLI."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from beets.library import Item, Library

from analysis.engine import ANALYSIS_VERSION
from analysis.waveform import unpack
from beetcrate import media
from beetcrate.queue import huey
from beetcrate.settings import sidecar_path
from beetsplug.dj import ledger, store
from beetsplug.dj.ledger import Failure, JobState
from beetsplug.dj.library import DjLibrary
from beetsplug.dj.tasks import USER_PRIORITY
from beetsplug.dj.worker import recover
from tests.dj.conftest import Clip
from tests.helper import BeetsHome, run_beet


def run_worker_once(dj: DjLibrary) -> None:
    """What a consumer does with the next task: Huey's own dequeue and execute."""
    task = huey.dequeue()
    assert task is not None
    huey.execute(task)


def test_analyze_now_sets_beets_fields_and_typed_flexible_attributes(
    dj: DjLibrary, add_clip: Callable[..., Item], library: Library, clips: dict[str, Clip]
) -> None:
    item = add_clip("dnb")
    summary = dj.analyze([item], now=True, jobs=1, force=False, wait=False)
    assert summary.done == 1 and not summary.failures
    item = library.get_item(item.id)
    assert item.bpm == 172
    assert item.initial_key == "F#"
    assert item.bpm_precise == pytest.approx(171.7, abs=0.1)
    assert (item.camelot, item.openkey) == ("2B", "7d")
    assert item.dj_analysis_version == ANALYSIS_VERSION
    assert -30 < item.lufs < -5
    assert item.rg_track_gain == pytest.approx(-18 - item.lufs, abs=0.01)
    assert [float(value) for value in item.timbre.split()] == list(clips["dnb"].analysis.timbre)


def test_arrays_are_stored_once_per_audio_hash_and_shared_by_copies(
    dj: DjLibrary, add_clip: Callable[..., Item], library: Library
) -> None:
    first = add_clip("house")
    dj.analyze([first], now=True, jobs=1, force=False, wait=False)
    copy = add_clip("house")
    summary = dj.analyze([copy], now=False, jobs=1, force=False, wait=False)
    # The copy is applied from the sidecar: nothing is queued.
    assert summary.done == 1 and summary.queued == 0
    assert huey.pending_count() == 0
    copy = library.get_item(copy.id)
    assert copy.dj_audio_hash == library.get_item(first.id).dj_audio_hash
    assert dj.db.execute("SELECT COUNT(*) FROM dj_analysis").fetchone()[0] == 1
    features = store.load_features(dj.db, copy.dj_audio_hash)
    assert len(features["beats"]) > 20 and features["downbeats"][0] in features["beats"]
    zooms = [unpack(store.load_waveform(dj.db, copy.dj_audio_hash, z)).points for z in range(3)]
    assert zooms[0] == 1000 and zooms[1] == zooms[2] > 1000


def test_queued_analysis_is_applied_only_by_the_writer(
    dj: DjLibrary, add_clip: Callable[..., Item], library: Library
) -> None:
    item = add_clip("breaks")
    summary = dj.analyze([item], now=False, jobs=1, force=False, wait=False)
    assert summary.queued == 1 and huey.pending_count() == 1
    run_worker_once(dj)
    # The worker computed; nothing is in beets' database until the writer collects.
    assert library.get_item(item.id).get("bpm_precise") is None
    assert dj.applier.collect() == 1
    assert library.get_item(item.id).bpm_precise == pytest.approx(133.0, abs=0.05)
    assert ledger.counts(dj.db)[JobState.DONE] == 1


def _analysed_then_again(
    dj: DjLibrary, library: Library, item: Item, fields: dict[str, object]
) -> Item:
    """The item after an analysis, ``fields`` set on it, and a forced analysis again."""
    dj.analyze([item], now=True, jobs=1, force=False, wait=False)
    item = library.get_item(item.id)
    item.update(fields)
    item.store()
    dj.analyze([item], now=True, jobs=1, force=True, wait=False)
    return library.get_item(item.id)


def test_a_tempo_and_key_the_user_corrected_survive_a_new_analysis(
    dj: DjLibrary, add_clip: Callable[..., Item], library: Library
) -> None:
    # The DJ hears it at half tempo and in the relative minor (beet modify bpm=86 ...).
    item = _analysed_then_again(dj, library, add_clip("dnb"), {"bpm": 86, "initial_key": "D#m"})
    assert (item.bpm, item.initial_key) == (86, "D#m")
    # The analysis' own reading is stored beside it, as measured.
    assert item.bpm_precise == pytest.approx(171.7, abs=0.1)
    assert item.camelot == "2B"


def test_a_tempo_and_key_an_older_analysis_wrote_are_replaced_by_the_new_one(
    dj: DjLibrary, add_clip: Callable[..., Item], library: Library
) -> None:
    # An older engine had read half the tempo and the relative minor, and written both.
    older = {"bpm": 86, "bpm_precise": 85.85, "initial_key": "D#m", "camelot": "2A"}
    item = _analysed_then_again(dj, library, add_clip("dnb"), older)
    assert (item.bpm, item.initial_key) == (172, "F#")


def test_already_analysed_items_are_skipped_unless_forced(
    dj: DjLibrary, add_clip: Callable[..., Item], library: Library
) -> None:
    item = add_clip("dnb")
    dj.analyze([item], now=True, jobs=1, force=False, wait=False)
    item = library.get_item(item.id)
    assert dj.analyze([item], now=False, jobs=1, force=False, wait=False).skipped == 1
    assert dj.analyze([item], now=False, jobs=1, force=True, wait=False).queued == 1


def test_an_explicit_request_runs_before_the_import_backlog(
    dj: DjLibrary, add_clip: Callable[..., Item]
) -> None:
    backlog = add_clip("house")
    wanted = add_clip("dnb")
    dj.enqueue(backlog, None, 0)
    dj.enqueue(wanted, None, USER_PRIORITY)
    first = huey.dequeue()
    assert first.args[0].path == os.fsdecode(wanted.path)


def test_missing_file_closes_its_job_with_that_reason(
    dj: DjLibrary, add_clip: Callable[..., Item]
) -> None:
    item = add_clip("house")
    dj.analyze([item], now=False, jobs=1, force=True, wait=False)
    os.remove(item.path)
    run_worker_once(dj)
    dj.applier.collect()
    assert ledger.failures(dj.db) == [
        Failure(os.fsdecode(item.path), f"file not found: {os.fsdecode(item.path)}")
    ]


def test_corrupt_file_fails_and_stores_nothing(
    dj: DjLibrary, add_clip: Callable[..., Item], bad_files: dict[str, Path], library: Library
) -> None:
    item = add_clip("corrupt", source=bad_files["corrupt"])
    summary = dj.analyze([item], now=True, jobs=1, force=False, wait=False)
    assert summary.done == 0 and len(summary.failures) == 1
    assert dj.db.execute("SELECT COUNT(*) FROM dj_analysis").fetchone()[0] == 0
    assert library.get_item(item.id).get("bpm_precise") is None


def test_a_task_lost_with_a_killed_worker_is_queued_again(
    dj: DjLibrary, add_clip: Callable[..., Item], library: Library
) -> None:
    item = add_clip("dnb")
    dj.analyze([item], now=False, jobs=1, force=False, wait=False)
    huey.dequeue()  # taken by a worker that is then killed: the task is gone from the queue
    assert huey.pending_count() == 0
    assert recover(dj.db, dj.preferred, 60.0) == 1
    run_worker_once(dj)
    dj.applier.collect()
    assert library.get_item(item.id).bpm == 172


def test_wait_collects_results_from_a_running_consumer(
    dj: DjLibrary, add_clip: Callable[..., Item], library: Library
) -> None:
    items = [add_clip("house"), add_clip("dnb")]
    consumer = huey.create_consumer(workers=2, worker_type="thread", periodic=False)
    consumer.start()
    try:
        summary = dj.analyze(items, now=False, jobs=1, force=False, wait=True)
    finally:
        consumer.stop(graceful=True)
    assert summary.done == 2 and not summary.failures
    assert [library.get_item(item.id).bpm for item in items] == [127, 172]


def test_sidecar_and_queue_live_beside_the_library(dj: DjLibrary, beets_home: BeetsHome) -> None:
    from beets import config

    assert sidecar_path(config) == beets_home.sidecar
    assert Path(huey.storage.filename) == beets_home.dir / "beetcrate-queue.db"


def test_cli_analyzes_shows_json_queries_by_numeric_range_and_draws_the_waveform(
    dj_config: Callable[..., None], add_clip: Callable[..., Item], tmp_path: Path
) -> None:
    add_clip("house")
    add_clip("dnb")
    run_beet("dj", "analyze", "--jobs", "2")
    shown = json.loads(run_beet("dj", "show", "--json"))
    assert {
        "path",
        "bpm",
        "key",
        "camelot",
        "openkey",
        "key_strength",
        "beats",
        "downbeats",
        "lufs",
        "energy",
        "danceability",
        "cues",
    } <= set(shown[0])
    assert [record["key"] for record in shown] == ["A minor", "F# major"]
    assert run_beet("ls", "-f", "$title", "bpm_precise:120..130").split() == ["house"]
    assert run_beet("ls", "-f", "$title", "camelot:2B").split() == ["dnb"]
    picture = tmp_path / "house.png"
    run_beet("dj", "waveform", "title:house", "-o", str(picture))
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_status_counts_queued_done_and_failed_with_reasons(
    dj: DjLibrary, add_clip: Callable[..., Item], bad_files: dict[str, Path]
) -> None:
    dj.analyze([add_clip("dnb")], now=True, jobs=1, force=False, wait=False)
    dj.analyze(
        [add_clip("empty", source=bad_files["empty"])], now=True, jobs=1, force=False, wait=False
    )
    dj.analyze([add_clip("house")], now=False, jobs=1, force=False, wait=False)
    status = dj.status().splitlines()
    assert status[0] == "queue: 1 waiting, 0 to retry, 0 running"
    assert status[1] == "tracks: 1 queued, 1 done, 1 failed"
    assert status[2].startswith("  failed: ") and "empty" in status[2]


def test_bpm_and_key_tags_are_written_to_the_file_when_beets_writes(
    library: Library, dj_config: Callable[..., None], add_clip: Callable[..., Item]
) -> None:
    from beets import config
    from mediafile import MediaFile

    dj_config("import:\n  write: yes\n")
    dj = DjLibrary.from_config(library, config, config["dj"])
    item = add_clip("house")
    dj.analyze([item], now=True, jobs=1, force=False, wait=False)
    tags = MediaFile(item.path)
    assert (tags.bpm, tags.initial_key) == (127, "Am")


def test_a_track_whose_tags_cannot_be_written_is_reported_failed_not_done(
    library: Library,
    dj_config: Callable[..., None],
    add_clip: Callable[..., Item],
    clips: dict[str, Clip],
    tmp_path: Path,
) -> None:
    import av
    import numpy as np
    from beets import config

    # Raw ADTS AAC: it decodes and analyses, but beets cannot write tags into it.
    samples, rate = media.decode(clips["house"].path)
    aac = tmp_path / "house.aac"
    with av.open(str(aac), "w", format="adts") as container:
        stream = container.add_stream("aac", rate=rate)
        stream.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32), format="fltp", layout="stereo"
        )
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    dj_config("import:\n  write: yes\n")
    dj = DjLibrary.from_config(library, config, config["dj"])
    item = add_clip("house", source=aac)
    dj.analyze([item], now=False, jobs=1, force=False, wait=False)
    run_worker_once(dj)
    assert dj.applier.collect() == 1
    assert ledger.counts(dj.db)[JobState.DONE] == 0
    (failure,) = ledger.failures(dj.db)
    assert "tags could not be written" in failure.reason


def test_files_are_left_alone_when_beets_does_not_write(
    library: Library, dj_config: Callable[..., None], add_clip: Callable[..., Item]
) -> None:
    from beets import config
    from mediafile import MediaFile

    dj_config("import:\n  write: no\n")
    dj = DjLibrary.from_config(library, config, config["dj"])
    item = add_clip("house")
    dj.analyze([item], now=True, jobs=1, force=False, wait=False)
    assert MediaFile(item.path).bpm in (None, 0)


def test_a_cue_label_near_the_end_is_drawn_left_of_its_marker_inside_the_picture(
    tmp_path: Path,
) -> None:
    import numpy as np
    from PIL import Image

    from analysis.waveform import Waveform
    from beetsplug.dj.render import render_waveform

    bands = np.zeros((1000, 3), dtype=np.uint8)
    waveform = Waveform(seconds_per_point=0.01, scale=1.0, bands=bands)
    picture = tmp_path / "end.png"
    cues = [{"time": 9.95, "kind": "outro_start", "bar": 1}]
    render_waveform(waveform, [], [], cues, picture, width=400, height=80)
    image = Image.open(picture).convert("RGB")
    background = image.getpixel((5, 40))
    drawn = [
        x
        for x in range(image.width - 6)
        for y in range(12, 30)
        if image.getpixel((x, y)) != background
    ]
    # The label sits left of the marker at x = 398, whole: it starts well inside the picture.
    assert drawn and min(drawn) > 300 and max(drawn) < 396
