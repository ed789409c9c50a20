"""Resolving groups: dry run first, trash not delete, atomic per group, and undo."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from beets.ui import UserError

from beetcrate.synth.tunes import tune
from beetsplug.dupes import store
from beetsplug.dupes.journal import ActionState, Plan
from beetsplug.dupes.resolve import Resolver, move_file
from tests.dupes.conftest import list_groups
from tests.helper import BeetsHome


@pytest.fixture
def trio(beet: BeetsHome) -> dict:
    """A FLAC (canonical), its 128k MP3 with MusicBrainz ids, an unrelated song; scanned."""
    x = tune(1, 6)
    keep = beet.add("Artist/Album/01 Song.flac", x, album="")
    extra = beet.add("Other/song.mp3", x, bit_rate=128_000, album="The Album", mb_trackid="mbid-1")
    beet.add("Artist/Album/02 Other.flac", tune(2, 6))
    beet("dupes", "scan")
    return {"keep": keep, "extra": extra}


def test_dry_run_prints_the_plan_and_changes_nothing(beet: BeetsHome, trio: dict) -> None:
    extra = trio["extra"]
    out = beet("dupes", "resolve", "1")
    trash = beet.music / ".dupes-trash" / "1" / "Other" / "song.mp3"
    assert f"move {os.fsdecode(extra.path)} -> {trash}" in out
    assert "fill album='The Album'" in out
    assert "dry run: nothing changed" in out
    assert os.path.exists(extra.path)
    assert beet.lib.get_item(extra.id) is not None


def test_apply_keeps_canonical_fills_tags_trashes_others_keeping_relative_paths(
    beet: BeetsHome, trio: dict
) -> None:
    keep, extra = trio["keep"], trio["extra"]
    beet("dupes", "resolve", "1", "--apply")
    trashed = beet.music / ".dupes-trash" / "1" / "Other" / "song.mp3"
    assert trashed.exists()
    assert not os.path.exists(extra.path)
    assert beet.lib.get_item(extra.id) is None
    kept = beet.lib.get_item(keep.id)
    assert kept.album == "The Album"
    assert kept.mb_trackid == "mbid-1"
    assert list_groups(beet) == []
    db = store.open_store(beet.sidecar)
    log = db.execute("SELECT state, log FROM dupes_actions").fetchone()
    assert log[0] == "applied"
    assert "moved" in log[1]
    assert f"removed items {extra.id} from beets" in log[1]
    listed = beet("dupes", "undo", "--list")
    assert f"kept {os.fsdecode(keep.path)}, trashed 1" in listed


def test_apply_repoints_m3u_and_sidecar_playlists_and_undo_restores_them(
    beet: BeetsHome, trio: dict, tmp_path: Path
) -> None:
    keep, extra = trio["keep"], trio["extra"]
    playlists = tmp_path / "playlists"
    playlists.mkdir()
    m3u = playlists / "mix.m3u"
    m3u.write_text(f"#EXTM3U\n{os.fsdecode(extra.path)}\n")
    db = store.open_store(beet.sidecar)
    db["playlist_entries"].insert_all([{"playlist_id": 1, "item_id": extra.id}])
    beet.configure(dupes={"playlist_dirs": [str(playlists)]})
    preview = beet("dupes", "resolve", "1")
    assert f"repoint {m3u} line 2 to {os.fsdecode(keep.path)}" in preview
    assert f"repoint playlist_entries row 1: item {extra.id} -> {keep.id}" in preview
    beet("dupes", "resolve", "1", "--apply")
    assert m3u.read_text().splitlines()[1] == os.fsdecode(keep.path)
    assert [r["item_id"] for r in db["playlist_entries"].rows] == [keep.id]

    out = beet("dupes", "undo")
    assert f"restored {os.fsdecode(extra.path)}" in out
    assert m3u.read_text().splitlines()[1] == os.fsdecode(extra.path)
    assert [r["item_id"] for r in db["playlist_entries"].rows] == [extra.id]
    restored = beet.lib.get_item(extra.id)
    assert restored is not None
    assert restored.mb_trackid == "mbid-1"
    assert os.path.exists(restored.path)
    assert beet.lib.get_item(keep.id).album == ""
    assert len(list_groups(beet)) == 1


def test_an_action_journaled_in_the_first_json_shape_still_undoes(
    beet: BeetsHome, trio: dict, tmp_path: Path
) -> None:
    """Sidecars hold actions applied by earlier versions: their journal must stay readable."""
    keep, extra = trio["keep"], trio["extra"]
    keep_path, extra_path = os.fsdecode(keep.path), os.fsdecode(extra.path)
    m3u = tmp_path / "mix.m3u"
    m3u.write_text(f"#EXTM3U\n{extra_path}\n")
    db = store.open_store(beet.sidecar)
    db["playlist_entries"].insert_all([{"playlist_id": 1, "item_id": extra.id}])
    beet.configure(dupes={"playlist_dirs": [str(tmp_path)]})
    beet("dupes", "resolve", "1", "--apply")
    trashed = str(beet.music / ".dupes-trash" / "1" / "Other" / "song.mp3")
    (stored,) = db.execute("SELECT plan FROM dupes_actions").fetchone()
    # The shape the first release wrote (dataclasses.asdict of its Plan), built by hand.
    first_shape = {
        "group_id": 1,
        "keep_id": keep.id,
        "keep_path": keep_path,
        "fills": {"album": ["", "The Album", extra_path], "mb_trackid": ["", "mbid-1", extra_path]},
        "moves": [{"item_id": extra.id, "source": extra_path, "target": trashed}],
        "skipped": [],
        "items": {str(extra.id): json.loads(stored)["items"][str(extra.id)]},
        "albums": {},
        "playlists": [
            {"m3u": str(m3u), "line": 1, "old": extra_path},
            {"table": "playlist_entries", "rowid": 1, "old": extra.id},
        ],
    }
    with db.conn:
        db.execute("UPDATE dupes_actions SET plan = ?", (json.dumps(first_shape),))
    assert f"kept {keep_path}, trashed 1" in beet("dupes", "undo", "--list")
    assert f"restored {extra_path}" in beet("dupes", "undo")
    assert os.path.exists(extra_path)
    assert beet.lib.get_item(extra.id).mb_trackid == "mbid-1"
    kept = beet.lib.get_item(keep.id)
    assert (kept.album, kept.mb_trackid) == ("", "")
    assert m3u.read_text().splitlines()[1] == extra_path
    assert [r["item_id"] for r in db["playlist_entries"].rows] == [extra.id]


def test_undo_with_nothing_applied_is_a_user_error(beet: BeetsHome, trio: dict) -> None:
    with pytest.raises(UserError, match="no applied action"):
        beet("dupes", "undo")


def test_purge_asks_and_deletes_only_with_confirmation(
    beet: BeetsHome, trio: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    beet("dupes", "resolve", "--all", "--apply")
    trashed = beet.music / ".dupes-trash" / "1" / "Other" / "song.mp3"
    monkeypatch.setattr("builtins.input", lambda *_: "n")
    assert "nothing deleted" in beet("dupes", "purge")
    assert trashed.exists()
    assert f"deleted {trashed}" in beet("dupes", "purge", "--yes")
    assert not trashed.exists()
    with pytest.raises(UserError, match="no applied action"):
        beet("dupes", "undo")


def test_file_vanished_since_scan_is_skipped_with_a_message(beet: BeetsHome) -> None:
    x = tune(1, 6)
    beet.add("keep.flac", x)
    gone = beet.add("gone.mp3", x, bit_rate=128_000)
    other = beet.add("other.ogg", x)
    beet("dupes", "scan")
    os.unlink(gone.path)
    out = beet("dupes", "resolve", "--all", "--apply")
    assert f"skip {os.fsdecode(gone.path)}: file vanished since the scan" in out
    assert beet.lib.get_item(other.id) is None
    assert beet.lib.get_item(gone.id) is not None


def test_trash_on_another_filesystem_copies_then_removes(beet: BeetsHome, trio: dict) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(beet.music).st_dev:
        pytest.skip("no second filesystem at /dev/shm")
    trash = shm / f"dupes-trash-{os.getpid()}-{id(trio)}"
    try:
        beet.configure(dupes={"trash": str(trash)})
        beet("dupes", "resolve", "1", "--apply")
        assert (trash / "1" / "Other" / "song.mp3").exists()
        assert not os.path.exists(trio["extra"].path)
        beet("dupes", "undo")
        assert os.path.exists(trio["extra"].path)
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def test_failure_mid_group_moves_everything_back_and_a_rerun_succeeds(beet: BeetsHome) -> None:
    x = tune(1, 6)
    beet.add("keep.flac", x)
    first = beet.add("a/copy.mp3", x, bit_rate=128_000)
    second = beet.add("b/copy.ogg", x)
    beet("dupes", "scan")
    # A file where the trash needs a folder: the second move fails after the first succeeded.
    obstacle = beet.music / ".dupes-trash" / "1" / "b"
    obstacle.parent.mkdir(parents=True)
    obstacle.write_text("in the way")
    with pytest.raises(UserError, match="not resolved"):
        beet("dupes", "resolve", "1", "--apply")
    assert os.path.exists(first.path) and os.path.exists(second.path)
    assert beet.lib.get_item(first.id) and beet.lib.get_item(second.id)
    db = store.open_store(beet.sidecar)
    assert db.execute("SELECT state FROM dupes_actions").fetchone()[0] == "rolled back"
    obstacle.unlink()
    beet("dupes", "resolve", "1", "--apply")
    assert beet.lib.get_item(first.id) is None
    assert beet.lib.get_item(second.id) is None


def _crashed_after_first_move(beet: BeetsHome) -> tuple[Resolver, Plan, int]:
    """Leave the journal as a process killed right after moving the first file would."""
    db = store.open_store(beet.sidecar)
    resolver = Resolver(beet.lib, db, beet.music / ".dupes-trash")
    group = store.load_groups(db)[0]
    with db.conn:
        action_id = db.execute(
            "INSERT INTO dupes_actions (group_id, state, plan) VALUES (?, ?, '{}')",
            (group.id, ActionState.PENDING),
        ).lastrowid
    plan = resolver.plan(group, action_id)
    with db.conn:
        db.execute("UPDATE dupes_actions SET plan = ? WHERE id = ?", (plan.to_json(), action_id))
    move = plan.moves[0]
    move_file(Path(move.source), Path(move.target))
    return resolver, plan, action_id


def test_crash_mid_resolve_is_rolled_back_by_the_next_run(beet: BeetsHome) -> None:
    x = tune(1, 6)
    beet.add("keep.flac", x)
    beet.add("a/copy.mp3", x, bit_rate=128_000)
    beet.add("b/copy.ogg", x)
    beet("dupes", "scan")
    _, plan, action_id = _crashed_after_first_move(beet)
    assert not os.path.exists(plan.moves[0].source)
    beet("dupes", "resolve", "1")  # a dry run recovers nothing: it touches nothing
    beet("dupes", "resolve", "1", "--apply")
    db = store.open_store(beet.sidecar)
    states = dict(db.execute("SELECT id, state FROM dupes_actions").fetchall())
    assert states[action_id] == "rolled back"
    assert "applied" in states.values()
    for move in plan.moves:
        assert not os.path.exists(move.source)
        assert beet.lib.get_item(move.item_id) is None


def test_crash_after_beets_commit_is_finished_by_the_next_run_and_can_be_undone(
    beet: BeetsHome,
) -> None:
    x = tune(1, 6)
    beet.add("keep.flac", x)
    beet.add("a/copy.mp3", x, bit_rate=128_000)
    beet("dupes", "scan")
    _, plan, action_id = _crashed_after_first_move(beet)
    beet.lib.get_item(plan.moves[0].item_id).remove()  # beets had committed the removal
    beet("dupes", "resolve", "--all", "--apply")
    db = store.open_store(beet.sidecar)
    assert db.execute("SELECT state FROM dupes_actions WHERE id = ?", (action_id,)).fetchone() == (
        "applied",
    )
    beet("dupes", "undo", str(action_id))
    assert os.path.exists(plan.moves[0].source)
    assert beet.lib.get_item(plan.moves[0].item_id) is not None


def test_undo_recreates_an_album_emptied_by_the_resolution(beet: BeetsHome) -> None:
    x = tune(1, 6)
    beet.add("keep.flac", x)
    copy = beet.add("Copies/copy.mp3", x, bit_rate=128_000)
    album = beet.lib.add_album([copy])
    album.album = "Copies of everything"
    album.store()
    beet("dupes", "scan")
    beet("dupes", "resolve", "--all", "--apply")
    assert beet.lib.get_album(album.id) is None
    beet("dupes", "undo")
    restored = beet.lib.get_album(album.id)
    assert restored is not None
    assert restored.album == "Copies of everything"
    assert [i.id for i in restored.items()] == [copy.id]
