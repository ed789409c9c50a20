"""The copies a real library holds most (issue 15): a CD rip beside store MP3s, a phone's Opus
copy, a normalised copy, a trimmed one; all one recording, and another take of it is not."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.signal

from beetcrate import fingerprints, sidecar
from beetcrate.synth.tunes import RATE, Take, tune
from beetsplug.dupes import store
from beetsplug.dupes.fingerprint import MATCH_DRIFT, Match, Verdict, compare, judge
from beetsplug.dupes.index import STABLE_PARTNERS, candidate_pairs
from beetsplug.dupes.model import Relation
from beetsplug.dupes.timing import MAX_HIT_GAP_MS, HitTimer, confirm
from tests.dupes.conftest import list_groups
from tests.helper import BeetsHome

SECONDS = 24


def test_one_songs_eight_encodings_a_trimmed_and_a_quieter_copy_are_one_group(
    beet: BeetsHome,
) -> None:
    song = tune(4, SECONDS)
    beet.add("flac-16-44k.flac", song)
    beet.add(
        "flac-24-48k.flac",
        scipy.signal.resample_poly(song, 160, 147, axis=1).astype(np.float32),
        rate=48000,
        bit_depth=24,
    )
    beet.add("mp3-320.mp3", song, bit_rate=320_000)
    beet.add("mp3-v2.mp3", song, quality=2)
    beet.add("mp3-128.mp3", song, bit_rate=128_000)
    beet.add("opus-96.opus", song, bit_rate=96_000)
    beet.add("vorbis-q5.ogg", song, quality=5)
    beet.add("aac-256.m4a", song, bit_rate=256_000)
    beet.add("trimmed.flac", song[:, 2 * RATE : -RATE].copy())
    beet.add("quieter.flac", song * 10 ** (-3 / 20))
    beet("dupes", "scan")
    groups = list_groups(beet)
    assert [g["kind"] for g in groups] == ["same-recording"]
    assert len(groups[0]["members"]) == 10


def test_another_take_at_a_slightly_different_tempo_is_not_the_same_recording(
    beet: BeetsHome,
) -> None:
    beet.add("studio.flac", tune(4, SECONDS))
    beet.add("live.flac", tune(4, SECONDS, bpm=112.0 * 0.97))
    beet("dupes", "scan")
    assert list_groups(beet) == []
    out = beet("dupes", "show", "title:studio", "--near")
    assert "the alignment drifts by" in out


def test_a_live_take_of_the_same_notes_is_apart_while_a_worse_copy_is_grouped(
    beet: BeetsHome,
) -> None:
    """The take matches more of the studio's frames than FFmpeg's Vorbis at q5 does, but its
    alignment drifts with its tempo (1 % faster, slowing down by 1 %), the copy's does not."""
    song = tune(4, SECONDS)
    beet.add("studio.flac", song)
    beet.add("vorbis-q5.ogg", song, quality=5)
    take = Take(7, tempo=1.01, drift=-0.01, jitter=0.015, dynamics=3.0)
    beet.add("live.flac", tune(4, SECONDS, take=take), title="live")
    beet("dupes", "scan")
    groups = list_groups(beet)
    assert [sorted(Path(m).name for m in g["members"]) for g in groups] == [
        ["studio.flac", "vorbis-q5.ogg"]
    ]
    near = json.loads(beet("dupes", "show", "title:live", "--near", "--json"))["nearest"]
    studio = next(n for n in near if n["path"].endswith("studio.flac"))
    assert studio["relation"] == "none"
    assert studio["similarity"] > 0.8  # closer than the Vorbis copy, which is about 0.75
    assert studio["rule"].startswith(f"the alignment drifts by {studio['drift']:.2f} frames")
    assert studio["drift"] > 1.0


def test_the_same_notes_played_again_at_the_same_tempo_are_apart_by_the_timing_of_their_hits(
    beet: BeetsHome,
) -> None:
    """A take at the studio's own tempo, each note 12 ms early or late (standard deviation),
    passes every fingerprint rule; its hits do not line up with the studio's, while an Opus, an
    MP3 128k, a trimmed and a 6 dB quieter copy keep the studio's timing and stay grouped."""
    song = tune(4, SECONDS)
    beet.add("studio.flac", song)
    beet.add("opus-96.opus", song, bit_rate=96_000)
    beet.add("mp3-128.mp3", song, bit_rate=128_000)
    beet.add("trimmed.flac", song[:, 2 * RATE : -RATE].copy())
    beet.add("quieter.flac", song * 10 ** (-6 / 20))
    take = Take(11, tempo=1.0, drift=0.0, jitter=0.012, dynamics=3.0)
    beet.add("live.flac", tune(4, SECONDS, take=take), title="live")
    beet("dupes", "scan")
    groups = list_groups(beet)
    assert [sorted(Path(m).name for m in g["members"]) for g in groups] == [
        ["mp3-128.mp3", "opus-96.opus", "quieter.flac", "studio.flac", "trimmed.flac"]
    ]
    near = json.loads(beet("dupes", "show", "title:live", "--near", "--json"))["nearest"]
    studio = next(n for n in near if n["path"].endswith("studio.flac"))
    assert studio["relation"] == "none"
    assert studio["drift"] < MATCH_DRIFT  # the fingerprints alone would group it
    assert studio["hit_gap"] > MAX_HIT_GAP_MS
    assert studio["rule"] == (
        f"the hits are {studio['hit_gap']:.1f} ms apart (median; limit {MAX_HIT_GAP_MS:.1f}"
        " ms): another performance"
    )
    copies = json.loads(beet("dupes", "show", "title:studio", "--near", "--json"))["nearest"]
    assert len(copies) == 5
    assert all(n["hit_gap"] <= MAX_HIT_GAP_MS for n in copies if n["relation"] == "same")
    assert "the hits are" in next(n for n in copies if n["path"].endswith("live.flac"))["rule"]


def test_a_pair_whose_file_cannot_be_read_keeps_the_fingerprints_verdict_and_says_so(
    tmp_path: Path,
) -> None:
    verdict = Verdict(Relation.SAME, Match(0.98, 0, 1.0, 1.0), "the same recording")
    missing = str(tmp_path / "gone.flac")
    gap = HitTimer({"a": missing}).gap("a", "b", 0)
    assert gap.milliseconds is None
    kept = confirm(verdict, gap)
    assert kept.relation is Relation.SAME
    assert kept.rule.startswith("the same recording (the hits were not timed: cannot open ")
    assert missing in kept.rule


def test_a_copy_that_keeps_no_whole_value_is_found_by_the_stable_halves() -> None:
    rng = np.random.default_rng(8)
    originals = [rng.integers(0, 2**32, 900, dtype=np.uint64).astype(np.uint32) for _ in range(40)]
    # Flip one of the lower bits of every frame's two-bit codes: no value survives whole.
    lower = np.left_shift(np.uint32(1), (2 * rng.integers(0, 16, 900)).astype(np.uint32))
    mangled = originals[3] ^ lower
    fingerprints = [*originals, mangled]
    durations = [111.0] * len(fingerprints)
    assert candidate_pairs(fingerprints) == []
    pairs = candidate_pairs(fingerprints, durations)
    assert (3, 40) in pairs
    # Random values share a few halves by chance: each track asks for few comparisons still.
    assert len(pairs) <= STABLE_PARTNERS * len(fingerprints)
    assert judge(compare(originals[3], mangled), 111.0, 111.0).relation is not None


def test_an_import_is_offered_exactly_the_pairs_a_full_run_offers_it() -> None:
    """Matching new tracks sieves the index to the values they hold: the same pairs result."""
    rng = np.random.default_rng(9)
    originals = [rng.integers(0, 2**32, 300, dtype=np.uint64).astype(np.uint32) for _ in range(60)]
    flips = np.left_shift(np.uint32(1), rng.integers(0, 32, 300).astype(np.uint32))
    copies = [o ^ np.where(rng.random(300) < 0.1, flips, np.uint32(0)) for o in originals[:20]]
    fingerprints = [*originals, *copies]
    everything = candidate_pairs(fingerprints)
    assert {(i, i + 60) for i in range(20)} <= set(everything)
    for new in (5, 65, 70):
        assert candidate_pairs(fingerprints, new=[new]) == [p for p in everything if new in p]
    durations = [200.0] * len(fingerprints)
    assert (5, 65) in candidate_pairs(fingerprints, durations, new=[65])


def test_a_sidecar_matched_under_the_old_rules_is_matched_again(tmp_path: Path) -> None:
    """Edges stored before these rules would keep old decisions; the migration drops them and
    the next regroup matches every fingerprint again."""
    db_path = tmp_path / "old.db"
    old = sidecar.connect(db_path)
    sidecar.migrate(old, "dupes", store.MIGRATIONS[:2])
    with old.conn:
        old.execute(
            "INSERT INTO dupes_fingerprints (audio_hash, encoded, fingerprint, duration, matched)"
            " VALUES ('x', '', X'00000000', 1.0, 1)"
        )
        old.execute("INSERT INTO dupes_edges VALUES ('x', 'y', 'related', 0.9)")
    old.conn.close()
    db = store.open_store(db_path)
    assert db.execute("SELECT count(*) FROM dupes_edges").fetchone()[0] == 0
    assert db.execute("SELECT matched FROM dupes_fingerprints").fetchall() == [(0,)]
    db.conn.close()


def test_a_sidecar_matched_before_the_hits_were_timed_is_matched_again(tmp_path: Path) -> None:
    """A live take merged under the fingerprint rules alone is an edge the hits' timing would
    refuse: the migration drops it, and the next regroup times the hits of every pair."""
    db_path = tmp_path / "old.db"
    old = sidecar.connect(db_path)
    sidecar.migrate(old, "dupes", store.MIGRATIONS[:-1])
    with old.conn:
        old.execute(
            "INSERT INTO dupes_fingerprints (audio_hash, fingerprint, duration, matched)"
            " VALUES ('x', X'00000000', 1.0, 1)"
        )
        old.execute("INSERT INTO dupes_edges VALUES ('x', 'take', 'same', 0.9)")
    old.conn.close()
    db = store.open_store(db_path)
    assert db.execute("SELECT count(*) FROM dupes_edges").fetchone()[0] == 0
    assert db.execute("SELECT matched FROM dupes_fingerprints").fetchall() == [(0,)]
    db.conn.close()


def test_a_sidecar_that_kept_encoded_fingerprints_twice_keeps_them_once_in_the_core(
    tmp_path: Path,
) -> None:
    """Before, dupes kept Chromaprint's encoded string beside the core's copy of it; the
    migration moves any the core lacks into the core's table and drops the column."""
    db_path = tmp_path / "old.db"
    old = sidecar.connect(db_path)
    sidecar.migrate(old, "dupes", store.MIGRATIONS[:5])
    fingerprints.prepare(old)
    with old.conn:
        old.execute(
            "INSERT INTO dupes_fingerprints (audio_hash, encoded, fingerprint, duration)"
            " VALUES ('only-here', 'AQAAAA', X'00000000', 1.0), ('both', 'AQAAAB', X'00', 2.0)"
        )
        old.execute("INSERT INTO fingerprints VALUES ('both', 1, 'AQAAAB', 2.0)")
    old.conn.close()
    db = store.open_store(db_path)
    assert "encoded" not in db["dupes_fingerprints"].columns_dict
    assert db.execute("SELECT * FROM fingerprints ORDER BY audio_hash").fetchall() == [
        ("both", 1, "AQAAAB", 2.0),
        ("only-here", 1, "AQAAAA", 1.0),
    ]
    assert store.has_fingerprint(db, "only-here")
    db.conn.close()
