"""``beet dupes`` end to end on a real beets library with real files."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from beets import ui
from beets.library import Item
from beets.ui import UserError

from beetcrate.synth.tunes import RATE, tune
from beetsplug.dupes import store
from beetsplug.dupes.fingerprint import MATCH_DRIFT, MATCH_SIMILARITY
from beetsplug.dupes.timing import MAX_HIT_GAP_MS
from tests.dupes.conftest import list_groups
from tests.helper import BeetsHome


def test_scan_list_json_groups_retagged_and_reencoded_copies(beet: BeetsHome) -> None:
    x = tune(1, 8)
    flac = beet.add("a/Song.flac", x)
    retagged = beet.add("b/Other title.flac", x, title="Totally different")
    mp3 = beet.add("c/song.mp3", x, bit_rate=128_000)
    beet.add("d/unrelated.flac", tune(2, 8))
    out = beet("dupes", "scan")
    assert "scanned 4" in out
    groups = list_groups(beet)
    by_kind = {g["kind"]: g for g in groups}
    assert set(by_kind) == {"exact-audio", "same-recording"}
    exact = by_kind["exact-audio"]
    assert exact["similarity"] == 1.0
    assert sorted(exact["members"]) == sorted([os.fsdecode(flac.path), os.fsdecode(retagged.path)])
    same = by_kind["same-recording"]
    assert set(same["members"]) == {os.fsdecode(i.path) for i in (flac, retagged, mp3)}
    assert same["canonical"] != os.fsdecode(mp3.path)
    assert all(os.path.isabs(p) for p in same["members"])
    assert set(groups[0]) == {"kind", "similarity", "canonical", "members"}


def test_scan_stores_typed_attributes_and_acoustid_fingerprint(beet: BeetsHome) -> None:
    item = beet.add("song.flac", tune(1, 6))
    beet("dupes", "scan")
    item = beet.lib.get_item(item.id)
    assert len(item["audio_hash"]) == 32
    assert isinstance(item["audio_hash_mtime"], float)
    assert item["audio_hash_size"] == os.path.getsize(item.path)
    assert item.acoustid_fingerprint.startswith("AQAA")


def test_a_copy_of_fingerprinted_audio_gets_the_fingerprint_the_core_keeps(beet: BeetsHome) -> None:
    """The encoded fingerprint is kept once, in the core's table: a new copy of the audio gets
    it from there, and when the core lacks it (a sidecar older than the core's table) the scan
    fingerprints the audio again rather than leave the copy without one."""
    first = beet.add("song.flac", tune(1, 6))
    beet("dupes", "scan")
    encoded = beet.lib.get_item(first.id).acoustid_fingerprint
    copy = beet.add_file(Path(os.fsdecode(first.path)), "copy.flac")
    beet("dupes", "scan")
    assert beet.lib.get_item(copy.id).acoustid_fingerprint == encoded

    db = store.open_store(beet.sidecar)
    with db.conn:
        db.execute("DELETE FROM fingerprints")
    again = beet.add_file(Path(os.fsdecode(first.path)), "again.flac")
    beet("dupes", "scan")
    assert beet.lib.get_item(again.id).acoustid_fingerprint == encoded
    assert db.execute("SELECT encoded FROM fingerprints").fetchall() == [(encoded,)]
    db.conn.close()


def test_second_scan_skips_unchanged_files_and_rescans_retagged_ones(beet: BeetsHome) -> None:
    item = beet.add("song.flac", tune(1, 6))
    beet("dupes", "scan")
    first_hash = beet.lib.get_item(item.id)["audio_hash"]
    assert "scanned 0, unchanged 1" in beet("dupes", "scan")
    item = beet.lib.get_item(item.id)
    item.title = "Retagged"
    item.write()
    assert "scanned 1, unchanged 0" in beet("dupes", "scan")
    assert beet.lib.get_item(item.id)["audio_hash"] == first_hash


def test_bad_files_get_one_message_each_and_the_scan_goes_on(
    beet: BeetsHome, capsys: pytest.CaptureFixture[str]
) -> None:
    good = beet.add("good.flac", tune(1, 6))
    broken = []
    for name, content in [("empty.mp3", b""), ("junk.flac", b"fLaC" + b"\xff" * 40)]:
        path = beet.music / name
        path.write_bytes(content)
        broken.append(path)
    truncated = beet.add("truncated.ogg", tune(3, 6))
    data = truncated.path
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) // 2)
    for path in broken:
        beet.lib.add(Item(path=os.fsencode(path), title=path.stem))
    vanished = beet.add("vanished.flac", tune(4, 6))
    os.unlink(vanished.path)
    with pytest.raises(ui.UserError, match=r"^dupes scan: 4 file\(s\) could not be scanned"):
        beet("dupes", "scan")
    out = capsys.readouterr().out
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 4
    assert any("empty file" in e for e in errors)
    assert any("truncated" in e for e in errors)
    assert any("vanished.flac" in e for e in errors)
    assert "scanned 1" in out
    assert beet.lib.get_item(good.id)["audio_hash"]


def test_show_explains_the_canonical_pick(beet: BeetsHome) -> None:
    x = tune(1, 8)
    beet.add("song.mp3", x, bit_rate=128_000)
    beet.add("song.flac", x)
    beet("dupes", "scan")
    out = beet("dupes", "show", "1")
    assert "same-recording" in out
    assert "lossless: FLAC (lossless) vs MP3 (lossy)" in out


def test_show_reports_an_extended_version_as_related_not_duplicate(beet: BeetsHome) -> None:
    x = tune(1, 8)
    beet.add("radio.flac", x)
    beet.add("radio.mp3", x, bit_rate=192_000)
    beet.add("extended.flac", np.concatenate([tune(7, 8), x, tune(8, 8)], axis=1))
    beet("dupes", "scan")
    groups = list_groups(beet)
    assert len(groups) == 1
    assert not any(p.endswith("extended.flac") for p in groups[0]["members"])
    assert "related (not a duplicate)" in beet("dupes", "show", "1")


def test_unknown_action_and_group_are_one_line_user_errors(beet: BeetsHome) -> None:
    with pytest.raises(UserError, match="unknown action 'frobnicate'"):
        beet("dupes", "frobnicate")
    beet("dupes", "scan")
    with pytest.raises(UserError, match="no group 42"):
        beet("dupes", "show", "42")


def test_hidden_item_ids_are_the_non_canonical_exact_copies(beet: BeetsHome) -> None:
    x = tune(1, 6)
    a = beet.add("a.flac", x)
    b = beet.add("b.flac", x)
    beet.add("c.mp3", x, bit_rate=128_000)
    beet("dupes", "scan")
    db = store.open_store(beet.sidecar)
    hidden = store.hidden_item_ids(db)
    assert len(hidden) == 1
    assert hidden <= {a.id, b.id}


def test_without_fingerprints_only_prescreen_collisions_are_hashed_in_full(beet: BeetsHome) -> None:
    beet.configure(dupes={"fingerprint": False})
    x = tune(1, 6)
    a = beet.add("a.flac", x)
    unique = beet.add("unique.flac", tune(2, 6))
    beet("dupes", "scan")
    assert not beet.lib.get_item(a.id).get("audio_hash")
    assert beet.lib.get_item(unique.id)["audio_prescreen"]
    assert "scanned 0, unchanged 2" in beet("dupes", "scan")

    b = beet.add("b.flac", x, title="Retagged copy")
    beet("dupes", "scan")
    assert beet.lib.get_item(a.id)["audio_hash"] == beet.lib.get_item(b.id)["audio_hash"]
    assert not beet.lib.get_item(unique.id).get("audio_hash")
    assert [g["kind"] for g in list_groups(beet)] == ["exact-audio"]


def test_list_query_keeps_groups_with_a_matching_member_and_reads_well(beet: BeetsHome) -> None:
    beet.add("a.flac", tune(1, 6), artist="Alpha")
    beet.add("a.mp3", tune(1, 6), bit_rate=128_000, artist="Alpha")
    beet.add("b.flac", tune(2, 6), artist="Beta")
    beet.add("b.ogg", tune(2, 6), artist="Beta")
    beet("dupes", "scan")
    assert len(list_groups(beet)) == 2
    out = beet("dupes", "list", "artist:Beta")
    assert "1 groups" in out
    assert "b.flac" in out and "a.flac" not in out
    assert out.splitlines()[1].startswith("  * ") and out.splitlines()[1].endswith("b.flac")


def test_scan_writes_its_groups_to_the_sidecar_beetcrate_db_names(
    beet: BeetsHome, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere" / "server.db"
    monkeypatch.setenv("BEETCRATE_DB", str(elsewhere))
    x = tune(1, 8)
    beet.add("a/Song.flac", x)
    beet.add("b/Copy.flac", x, title="Copy")
    beet("dupes", "scan")
    assert len(store.load_groups(store.open_store(elsewhere))) == 1
    assert not beet.sidecar.exists()


def test_tracks_too_short_to_fingerprint_are_hashed_and_their_exact_copies_grouped(
    beet: BeetsHome,
) -> None:
    for seed, seconds, name in ((3, 0.5, "half"), (4, 1.5, "jingle"), (5, 2.5, "skit")):
        x = tune(seed, 4)[:, : int(seconds * RATE)].copy()
        beet.add(f"a/{name}.flac", x)
        beet.add(f"b/{name} copy.flac", x, title=f"{name} copy")
    out = beet("dupes", "scan")
    assert "errors 0" in out
    assert all(item.get("audio_hash") for item in beet.lib.items())
    groups = list_groups(beet)
    assert sorted(len(g["members"]) for g in groups if g["kind"] == "exact-audio") == [2, 2, 2]


def _near(out: str) -> dict[str, str]:
    """``show --near`` output as {file name: the line after it (the rule)}."""
    lines = out.splitlines()
    return {
        os.path.basename(line.rsplit(": ", 1)[1]): lines[n + 1].strip()
        for n, line in enumerate(lines)
        if line.startswith("  score ")
    }


def test_show_near_lists_the_nearest_items_with_the_rule_that_kept_them_apart(
    beet: BeetsHome,
) -> None:
    x = tune(1, 16)
    beet.add("song.flac", x)
    beet.add("song.mp3", x, bit_rate=128_000)
    beet.add("retagged.flac", x, title="Retagged")
    beet.add("trimmed.flac", x[:, : 12 * RATE].copy(), title="Trimmed")
    beet.add("other.flac", tune(2, 16), title="Other")
    beet.add("jingle.flac", tune(3, 4)[:, : RATE // 2].copy(), title="Jingle")
    beet("dupes", "scan")
    out = beet("dupes", "show", "path:" + str(beet.music / "song.flac"), "--near")
    near = _near(out)
    assert list(near)[:2] == ["retagged.flac", "song.mp3"]  # nearest first: the exact copy
    assert re.match(r"grouped in group \d+ \(exact-audio\).*same audio hash", near["retagged.flac"])
    assert re.match(r"grouped in group \d+ \(same-recording\)", near["song.mp3"])
    assert "fingerprints and durations match" in near["song.mp3"]
    assert near["trimmed.flac"] == (
        "related, not a duplicate: one lies inside the other: 75% of the longer matches (needs 80%)"
    )
    below = rf"fingerprint similarity 0\.\d{{3}} below the threshold {MATCH_SIMILARITY:.2f}"
    assert re.match(below, near["other.flac"])
    assert near["jingle.flac"].startswith("no fingerprint: it has none (too short")
    assert re.search(r"score 1\.000: .*retagged\.flac", out)


def test_show_near_count_and_a_query_naming_no_single_item(beet: BeetsHome) -> None:
    for seed in range(1, 5):
        beet.add(f"song{seed}.flac", tune(seed, 8), title=f"Song {seed}")
    beet("dupes", "scan")
    assert len(_near(beet("dupes", "show", "title:Song 1", "--near", "--count", "2"))) == 2
    with pytest.raises(UserError, match="a query naming one item; it matches 4"):
        beet("dupes", "show", "title:Song", "--near")


def test_show_near_json_gives_scores_groups_and_rules_for_scripts(beet: BeetsHome) -> None:
    x = tune(1, 12)
    beet.add("song.flac", x)
    beet.add("song.mp3", x, bit_rate=128_000)
    beet.add("other.flac", tune(2, 12), title="Other")
    beet("dupes", "scan")
    out = beet("dupes", "show", "path:" + str(beet.music / "song.flac"), "--near", "--json")
    shown = json.loads(out)
    assert shown["item"]["path"] == str(beet.music / "song.flac")
    first, second = shown["nearest"]
    assert first["path"] == str(beet.music / "song.mp3")
    assert first["relation"] == "same" and first["similarity"] > 0.8
    assert [g["kind"] for g in first["groups"]] == ["same-recording"]
    assert first["rule"].startswith("grouped in group")
    assert second["relation"] == "none" and second["groups"] == []
    assert "below the threshold" in second["rule"] or "too little" in second["rule"]
    assert set(first) == {
        "id",
        "path",
        "score",
        "relation",
        "similarity",
        "coverage",
        "drift",
        "hit_gap",
        "groups",
        "rule",
    }
    assert 0 <= first["drift"] < MATCH_DRIFT
    assert 0 <= first["hit_gap"] <= MAX_HIT_GAP_MS
    assert first["rule"].endswith(f"the hits {first['hit_gap']:.1f} ms apart (median)")


def test_show_json_without_near_is_a_one_line_error(beet: BeetsHome) -> None:
    with pytest.raises(UserError, match="--json goes with --near"):
        beet("dupes", "show", "1", "--json")
