"""Near-duplicates: the same recording in any format matches; different songs do not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from beetcrate import media
from beetcrate.fingerprints import TooShort, decode_fingerprint, fingerprint
from beetcrate.media import MediaError
from beetcrate.synth.tunes import RATE, tune
from beetsplug.dupes.fingerprint import compare, judge
from beetsplug.dupes.index import candidate_pairs
from beetsplug.dupes.model import Relation

SILENCE = np.zeros((2, int(1.7 * RATE)), np.float32)


def _relation(tmp_path: Path, a: np.ndarray, b: np.ndarray, **encode: object) -> str | None:
    media.write_audio(tmp_path / "a.flac", a, RATE)
    suffix = encode.pop("suffix", "flac")
    media.write_audio(tmp_path / f"b.{suffix}", b, encode.pop("rate", RATE), **encode)
    fa, fb = fingerprint(tmp_path / "a.flac"), fingerprint(tmp_path / f"b.{suffix}")
    return judge(compare(fa.values, fb.values), fa.duration, fb.duration).relation


@pytest.mark.parametrize(
    "encode",
    [
        {"suffix": "mp3", "bit_rate": 128_000},
        {"suffix": "mp3", "bit_rate": 320_000},
        {"suffix": "opus", "bit_rate": 64_000},
        {"suffix": "ogg"},
        {"suffix": "m4a", "bit_rate": 128_000},
    ],
    ids=lambda e: f"{e['suffix']}-{e.get('bit_rate', 'q')}",
)
def test_reencoding_is_the_same_recording(tmp_path: Path, encode: dict) -> None:
    x = tune(1, 8)
    assert _relation(tmp_path, x, x, **encode) == Relation.SAME


def test_resampled_copy_is_the_same_recording(tmp_path: Path) -> None:
    x = tune(1, 8)
    assert _relation(tmp_path, x, x[:, ::2].copy(), suffix="mp3", rate=RATE // 2) == Relation.SAME


def test_silence_added_and_gain_changed_is_the_same_recording(tmp_path: Path) -> None:
    x = tune(1, 8)
    padded = np.concatenate([SILENCE, 0.5 * x, SILENCE[:, :1000]], axis=1)
    assert _relation(tmp_path, x, padded, suffix="mp3", bit_rate=192_000) == Relation.SAME


def test_different_song_in_the_same_key_and_tempo_does_not_match(tmp_path: Path) -> None:
    assert _relation(tmp_path, tune(1, 8), tune(2, 8), suffix="mp3") is None


def test_extended_version_is_related_not_the_same(tmp_path: Path) -> None:
    radio = tune(1, 8)
    extended = np.concatenate([tune(5, 6), radio, tune(6, 6)], axis=1)
    assert _relation(tmp_path, radio, extended) == Relation.RELATED


def test_songs_sharing_an_identical_intro_do_not_match(tmp_path: Path) -> None:
    intro = tune(9, 3)
    a = np.concatenate([intro, tune(10, 8)], axis=1)
    b = np.concatenate([intro, tune(11, 8)], axis=1)
    assert _relation(tmp_path, a, b) is None


def test_fingerprint_is_chromaprint_base64_with_audible_duration(tmp_path: Path) -> None:
    path = tmp_path / "padded.flac"
    media.write_audio(path, np.concatenate([SILENCE, tune(1, 6), SILENCE], axis=1), RATE)
    fp = fingerprint(path)
    assert fp.encoded.startswith("AQAA")
    assert fp.values.dtype == np.uint32
    # 1.7 s of silence at each end is not counted.
    assert fp.duration == pytest.approx(tune(1, 6).shape[1] / RATE, abs=0.1)
    assert 20 < fp.values.size < 60


def test_silent_file_has_no_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "silence.flac"
    media.write_audio(path, SILENCE, RATE)
    with pytest.raises(MediaError, match="no audible audio"):
        fingerprint(path)


def test_index_finds_noisy_shifted_copies_among_many_without_all_pairs() -> None:
    rng = np.random.default_rng(3)
    originals = [rng.integers(0, 2**32, 600, dtype=np.uint64).astype(np.uint32) for _ in range(500)]
    flips = np.left_shift(np.uint32(1), rng.integers(0, 32, 600).astype(np.uint32))
    noisy = originals[7] ^ np.where(rng.random(600) < 0.2, flips, np.uint32(0))
    fingerprints = [*originals, noisy[5:]]
    pairs = candidate_pairs(fingerprints)
    assert pairs == [(7, 500)]
    match = compare(fingerprints[7], fingerprints[500])
    assert match.offset == -5  # a[i] lines up with b[i + offset]
    assert match.coverage_b == 1.0
    assert candidate_pairs(fingerprints, new=[3]) == []


def test_index_finds_copies_of_short_tracks_whatever_their_values() -> None:
    rng = np.random.default_rng(5)
    # A jingle whose values all have low bits set: content sampling alone would index none.
    jingle = rng.integers(0, 2**30, 40, dtype=np.uint64).astype(np.uint32) << 2 | 1
    others = [rng.integers(0, 2**32, 40, dtype=np.uint64).astype(np.uint32) for _ in range(50)]
    assert candidate_pairs([jingle, *others, jingle.copy()]) == [(0, 51)]


def test_a_fingerprint_of_no_sub_fingerprints_decodes_to_none() -> None:
    import base64

    empty = base64.urlsafe_b64encode(bytes([1, 0, 0, 0])).decode().rstrip("=")
    assert decode_fingerprint(empty).size == 0


@pytest.mark.parametrize("seconds", [0.1, 0.5, 0.9, 1.0, 1.5, 2.0, 2.5, 3.0])
def test_short_tracks_fingerprint_or_are_too_short_with_a_reason(
    tmp_path: Path, seconds: float
) -> None:
    """1.0-2.5 s once crashed Chromaprint's decoding of an empty fingerprint (an IndexError)."""
    path = tmp_path / "short.flac"
    media.write_audio(path, tune(5, 4.0)[:, : int(seconds * RATE)], RATE)
    try:
        found = fingerprint(path)
    except TooShort as exc:
        assert str(exc) in (
            f"less than a second of audio in {path}",
            f"too little audio to fingerprint in {path}",
        )
    else:
        assert found.values.size > 0
