"""``beet opus sync`` and ``status`` on a real beets library, run as the user runs them."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import beets.plugins
import pytest
from beets import ui
from beets.library import Library
from mediafile import MediaFile

from beetcrate import media
from beetcrate.audiohash import audio_hash
from beetcrate.queue import huey, open_queue
from beetcrate.settings import QueueSettings
from beetcrate.synth.tones import RATE, sine
from beetsplug.opus.config import MirrorConfig
from beetsplug.opus.mirror import Result
from beetsplug.opus.plan import sources
from beetsplug.opus.state import MirrorFile, MirrorState, servable
from tests.opus.conftest import decoded


@pytest.fixture
def album_and_single(library: Library, make_item, tmp_path: Path):
    """Two album tracks with a cover file, and a singleton."""
    tracks = [
        make_item(albumartist="Artist", year=2020, title="One"),
        make_item(albumartist="Artist", year=2020, title="Two", freq=660.0),
    ]
    for number, item in enumerate(tracks, start=1):
        item.update({"album": "Blue", "track": number})  # make_item's album= takes an Album
        item.store()
        item.write()
    first, second = tracks
    album = library.add_album(tracks)
    cover = tmp_path / "cover.png"
    cover.write_bytes(_png())
    album.artpath = str(cover)
    album.store()
    single = make_item(title="Loose", artist="Solo", suffix="mp3", freq=330.0)
    return first, second, single


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return buffer.getvalue()


def mirrored(mirror_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(mirror_dir)) for p in mirror_dir.rglob("*") if p.is_file())


def test_sync_builds_the_mirror_with_layout_tags_and_art(
    beet, album_and_single, mirror_dir: Path, tmp_path: Path
) -> None:
    out = beet("opus", "sync", "--jobs", "2")
    assert "3 encoded" in out
    assert mirrored(mirror_dir) == [
        "Artist/Blue (2020)/01 - One.opus",
        "Artist/Blue (2020)/02 - Two.opus",
        "Solo/singles/Loose.opus",
    ]
    path = mirror_dir / "Artist/Blue (2020)/01 - One.opus"
    info = decoded(path, tmp_path)
    assert (info["codec"], info["format"], info["sample_rate"]) == ("opus", "ogg", 48000)
    assert info["container_seconds"] == pytest.approx(2.0, abs=0.03)
    tags = MediaFile(str(path))
    assert (tags.title, tags.artist, tags.album, tags.year) == ("One", "Artist", "Blue", 2020)
    assert tags.images and tags.images[0].data == _png()


def test_no_change_resync_touches_nothing(beet, album_and_single, mirror_dir: Path) -> None:
    beet("opus", "sync", "--jobs", "1")
    before = {p: p.stat().st_mtime_ns for p in mirror_dir.rglob("*.opus")}
    assert "3 unchanged" in beet("opus", "sync", "--jobs", "1")
    assert {p: p.stat().st_mtime_ns for p in mirror_dir.rglob("*.opus")} == before


def test_tags_keys_match_those_earlier_mirrors_stored(
    library: Library, album_and_single, mirror_dir: Path
) -> None:
    """A mirror made by an earlier version re-syncs as unchanged only if the key each record
    stores is computed the same way: a sha256 over the stored rows, rebuilt here by hand."""
    first, second, single = album_and_single
    first["mood"] = "calm"  # flexible attributes of an item and of its album count too
    first.store()
    album = first.get_album()
    album["edition"] = "deluxe"
    album.store()
    config = MirrorConfig(
        root=mirror_dir,
        bitrate=96,
        library=Path(library.path),
        music_directory=Path(library.directory.decode()),
        db=mirror_dir / "unused.db",
        paths=(("default", "$title"),),
    )
    keys = {source.item_id: source.tags_key for source in sources(library, config)}
    assert keys == {
        item.id: _earlier_tags_key(library, item.id, config.paths)
        for item in (first, second, single)
    }


def _earlier_tags_key(library: Library, item_id: int, paths: tuple) -> str:
    untagged = {"id", "path", "mtime", "added", "album_id"}
    conn = sqlite3.connect(library.path)
    conn.row_factory = sqlite3.Row

    def stored(table: str, row_id: int) -> tuple[tuple, sqlite3.Row]:
        row = conn.execute(f"SELECT * FROM {table}s WHERE id = ?", [row_id]).fetchone()
        flex = conn.execute(
            f"SELECT key, value FROM {table}_attributes WHERE entity_id = ?", [row_id]
        ).fetchall()
        fixed = sorted((k, v) for k, v in dict(row).items() if k not in untagged)
        return (fixed, sorted(tuple(f) for f in flex)), row

    item, row = stored("item", item_id)
    album = None
    if row["album_id"] is not None:
        fields, album_row = stored("album", row["album_id"])
        art = os.path.join(library.directory.decode(), os.fsdecode(album_row["artpath"]))
        album = (fields, os.stat(art).st_mtime_ns)
    conn.close()
    return hashlib.sha256(repr((item, album, paths)).encode()).hexdigest()[:32]


def test_retag_rewrites_tags_and_moves_without_reencoding(
    beet, album_and_single, mirror_dir: Path
) -> None:
    first, second, _ = album_and_single
    beet("opus", "sync", "--jobs", "1")
    old = mirror_dir / "Artist/Blue (2020)/01 - One.opus"
    audio_before = audio_hash(old)
    first.title = "Uno"
    first.store()
    first.write()  # the source file changes too; its audio does not
    second.genres = ["Jazz"]
    second.store()  # a database-only change
    out = beet("opus", "sync", "--jobs", "1")
    assert "1 moved" in out and "1 retagged" in out and "encoded" not in out
    new = mirror_dir / "Artist/Blue (2020)/01 - Uno.opus"
    assert not old.exists()
    assert MediaFile(str(new)).title == "Uno"
    assert audio_hash(new) == audio_before
    assert MediaFile(str(mirror_dir / "Artist/Blue (2020)/02 - Two.opus")).genres == ["Jazz"]


def test_audio_change_reencodes(beet, album_and_single, mirror_dir: Path) -> None:
    _, second, _ = album_and_single
    beet("opus", "sync", "--jobs", "1")
    target = mirror_dir / "Artist/Blue (2020)/02 - Two.opus"
    audio_before = audio_hash(target)
    media.write_audio(second.path.decode(), sine(3.0, 880.0), RATE)
    second.write()
    assert "1 encoded" in beet("opus", "sync", "--jobs", "1")
    assert audio_hash(target) != audio_before
    assert media.probe(target).duration == pytest.approx(3.0, abs=0.03)


def test_items_gone_from_the_library_leave_the_mirror(
    beet, album_and_single, mirror_dir: Path
) -> None:
    _, _, single = album_and_single
    beet("opus", "sync", "--jobs", "1")
    single.remove()
    assert "1 deleted" in beet("opus", "sync", "--jobs", "1")
    assert not (mirror_dir / "Solo").exists()  # emptied folders are pruned too
    assert len(mirrored(mirror_dir)) == 2


def test_duplicates_get_a_mirror_file_each(beet, make_item, mirror_dir: Path) -> None:
    first = make_item(title="Same", artist="Twins")
    second = make_item(title="Same", artist="Twins")
    assert "2 encoded" in beet("opus", "sync", "--jobs", "1")
    assert mirrored(mirror_dir) == ["Twins/singles/Same [2].opus", "Twins/singles/Same.opus"]
    assert "2 unchanged" in beet("opus", "sync", "--jobs", "1")
    first.remove()
    assert "1 deleted" in beet("opus", "sync", "--jobs", "1")
    assert mirrored(mirror_dir) == ["Twins/singles/Same [2].opus"]
    assert second.id == 2


def test_partial_sync_by_query_deletes_nothing(beet, album_and_single, mirror_dir: Path) -> None:
    assert "1 encoded" in beet("opus", "sync", "--jobs", "1", "title:Loose")
    assert mirrored(mirror_dir) == ["Solo/singles/Loose.opus"]


def test_changing_the_bitrate_is_refused_unless_rebuilding(
    beet, album_and_single, mirror_dir: Path, tmp_path: Path
) -> None:
    beet("opus", "sync", "--jobs", "2")
    beet.configure(opus={"bitrate": 48})
    with pytest.raises(ui.UserError, match=r"encoded at 96 kbps.*--rebuild"):
        beet("opus", "sync", "--jobs", "2")
    assert "3 encoded" in beet("opus", "sync", "--jobs", "2", "--rebuild")
    noise_free = decoded(mirror_dir / "Solo/singles/Loose.opus", tmp_path)
    assert noise_free["kbps"] < 70
    assert "3 unchanged" in beet("opus", "sync", "--jobs", "2")


def test_bad_sources_fail_with_a_reason_are_retried_then_given_up(
    beet, make_item, mirror_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_item(title="Good")
    broken = make_item(title="Broken")
    Path(broken.path.decode()).write_bytes(b"")
    gone = make_item(title="Gone")
    os.unlink(gone.path)

    def failing_sync() -> str:
        """The sync's output; it ends with the exit status 1 of a sync that left items out."""
        with pytest.raises(ui.UserError, match=r"^opus sync: 2 item\(s\) not mirrored"):
            beet("opus", "sync", "--jobs", "2")
        return capsys.readouterr().out

    out = failing_sync()
    assert "1 encoded" in out and "2 failed" in out
    assert "Broken" in out and "Gone" in out
    assert mirrored(mirror_dir) == ["Artist/singles/Good.opus"]
    status = beet("opus", "status")
    assert "1 of 3 items mirrored" in status and "failed: Artist - Broken" in status
    assert "2 failed" in failing_sync()
    assert "2 failed" in failing_sync()
    assert "2 given up" in failing_sync()  # retries: 3
    assert good.id is not None


def test_interrupted_sync_leaves_whole_files_and_resumes(
    beet, make_item, mirror_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(5):
        make_item(title=f"T{n}")
    real_encode = media.encode_file
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            real_encode(*args, **kwargs)  # a temp file is written, then Ctrl-C arrives
            raise KeyboardInterrupt
        return real_encode(*args, **kwargs)

    monkeypatch.setattr(media, "encode_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        beet("opus", "sync", "--jobs", "1")
    # The interrupted file is gone; the one already running when it came may have finished.
    done = mirrored(mirror_dir)
    assert len(done) in (2, 3) and "Artist/singles/T2.opus" not in done
    for name in done:
        assert media.probe(mirror_dir / name).duration == pytest.approx(2.0, abs=0.03)
    monkeypatch.setattr(media, "encode_file", real_encode)
    out = beet("opus", "sync", "--jobs", "1")
    assert f"{5 - len(done)} encoded" in out and f"{len(done)} unchanged" in out
    assert len(mirrored(mirror_dir)) == 5


def test_sync_queues_encodes_for_a_worker(beet, album_and_single, tmp_path: Path) -> None:
    out = beet("opus", "sync")
    assert "3 queued" in out and "beetcrate worker" in out
    assert huey.pending_count() == 3
    assert "0 of 3 items mirrored" in beet("opus", "status")


def test_sync_wait_shows_progress_until_a_worker_is_done(
    beet, album_and_single, mirror_dir: Path, tmp_path: Path
) -> None:
    open_queue(QueueSettings(path=tmp_path / "queue.db"))
    handlers = {
        sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    consumer = huey.create_consumer(workers=2, worker_type="thread", periodic=False)
    consumer.start()
    try:
        out = beet("opus", "sync", "--wait")
    finally:
        consumer.stop(graceful=True)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert "3 encoded" in out
    assert len(mirrored(mirror_dir)) == 3
    assert "3 of 3 items mirrored (100.0%)" in beet("opus", "status")


def test_import_hook_queues_new_items_when_auto(beet, library: Library, make_item) -> None:
    beet.configure(opus={"auto": True})
    beet.load_plugins()
    item = make_item(title="Fresh")
    beets.plugins.send("item_imported", lib=library, item=item)
    beets.plugins.send("import", lib=library, paths=[item.path])
    assert huey.pending_count() == 1
    assert "1 encoded" in beet("opus", "sync", "--jobs", "1")
    queued = huey.dequeue()
    huey.execute(queued)  # the queued encode finds the work done
    assert huey.result(queued.id).result is Result.UNCHANGED


def test_servable_only_while_the_source_is_unchanged(
    beet, album_and_single, mirror_dir: Path
) -> None:
    first, _, _ = album_and_single
    beet("opus", "sync", "--jobs", "1")
    state = MirrorState(beet.sidecar)
    source = Path(first.path.decode())
    assert servable(state, first.id, source) == MirrorFile(
        mirror_dir / "Artist/Blue (2020)/01 - One.opus", 96
    )
    source.write_bytes(source.read_bytes())
    os.utime(source, ns=(1, 1))
    assert servable(state, first.id, source) is None


def test_status_refuses_the_options_of_sync(beet) -> None:
    with pytest.raises(ui.UserError, match="--rebuild"):
        beet("opus", "status", "--rebuild")


def test_the_server_imports_the_state_without_the_plugin() -> None:
    """subsonic imports beetsplug.opus.state: that must not load beets' UI, Huey or PyAV."""
    code = (
        "import sys, beetsplug.opus.state; "
        "print(sorted(m for m in sys.modules if m.startswith(('beets.ui', 'huey', 'av', 'tqdm'))"
        " or m.startswith('beetsplug.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['beetsplug.opus', 'beetsplug.opus.state']"


def test_a_mirror_needs_a_directory(beet) -> None:
    beet.configure(opus={"directory": ""})
    with pytest.raises(ui.UserError, match=r"set opus\.directory"):
        beet("opus", "sync")


def test_leftovers_of_a_killed_sync_are_removed_but_not_a_running_writers(
    tmp_path: Path,
) -> None:
    import fcntl

    from beetsplug.opus.mirror import TEMP_MARK, remove_stale_temps

    folder = tmp_path / "mirror" / "Artist"
    folder.mkdir(parents=True)
    left = folder / f".01 - One.opus.1234abcd{TEMP_MARK}"
    written = folder / f".02 - Two.opus.5678abcd{TEMP_MARK}"
    finished = folder / "03 - Three.opus"
    for path in (left, written, finished):
        path.write_bytes(b"OggS")
    with open(written, "rb") as writer:  # a writer holds the lock while it writes
        fcntl.flock(writer, fcntl.LOCK_EX)
        assert remove_stale_temps(tmp_path / "mirror") == 1
    assert not left.exists() and written.exists() and finished.exists()


def test_status_counts_a_mirror_file_deleted_by_hand_as_not_mirrored(
    beet, make_item, mirror_dir: Path
) -> None:
    make_item(title="Kept")
    make_item(title="Deleted")
    beet("opus", "sync", "--jobs", "1")
    assert "2 of 2 items mirrored" in beet("opus", "status")
    (mirror_dir / "Artist/singles/Deleted.opus").unlink()
    status = beet("opus", "status")
    assert "1 of 2 items mirrored" in status and "1 not mirrored yet" in status
    assert "1 encoded" in beet("opus", "sync", "--jobs", "1")
    assert "2 of 2 items mirrored" in beet("opus", "status")


def test_rebuild_re_encodes_every_file_at_the_same_bitrate_too(
    beet, album_and_single, mirror_dir: Path
) -> None:
    beet("opus", "sync", "--jobs", "2")
    before = {path: (mirror_dir / path).stat().st_mtime_ns for path in mirrored(mirror_dir)}
    assert "3 encoded" in beet("opus", "sync", "--jobs", "2", "--rebuild")
    after = {path: (mirror_dir / path).stat().st_mtime_ns for path in mirrored(mirror_dir)}
    assert after.keys() == before.keys()
    assert all(after[path] != before[path] for path in before)
    assert "3 unchanged" in beet("opus", "sync", "--jobs", "2")
