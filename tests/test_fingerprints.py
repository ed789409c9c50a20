"""A file's fingerprint is computed once: the duplicate finder and the identify stage share it."""

from __future__ import annotations

from pathlib import Path

import pytest

from beetcrate import audiohash, fingerprints, media, sidecar
from beetcrate.synth.tunes import RATE, tune
from tests.helper import BeetsHome


def _song(path: Path) -> Path:
    media.write_audio(path, tune(3, seconds=12.0), RATE)
    return path


def test_a_stored_fingerprint_is_returned_without_reading_the_file(tmp_path: Path) -> None:
    db = sidecar.connect(tmp_path / "beetcrate.db")
    fingerprints.prepare(db)
    song = _song(tmp_path / "song.flac")
    first = fingerprints.fingerprint_of(db, song)

    audio_hash = audiohash.audio_hash(song)
    song.unlink()

    assert fingerprints.fingerprint_of(db, song, audio_hash) == first
    assert fingerprints.stored(db, audio_hash) == first


def test_a_fingerprint_of_an_older_algorithm_is_not_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = sidecar.connect(tmp_path / "beetcrate.db")
    fingerprints.prepare(db)
    song = _song(tmp_path / "song.flac")
    fingerprints.fingerprint_of(db, song)

    monkeypatch.setattr(fingerprints, "ALGORITHM", fingerprints.ALGORITHM + 1)

    assert fingerprints.stored(db, audiohash.audio_hash(song)) is None


def test_the_duplicate_scan_reuses_a_fingerprint_another_stage_computed(
    beets_home: BeetsHome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    beets_home.configure(plugins=["dupes"], dupes={})
    item = beets_home.add_file(_song(tmp_path / "song.flac"), "song")
    db = sidecar.connect(beets_home.sidecar)
    fingerprints.prepare(db)
    earlier = fingerprints.fingerprint_of(db, item.path.decode())

    def no_second_computation(path: object, max_seconds: float = 0.0) -> None:
        raise AssertionError(f"{path} fingerprinted twice")

    monkeypatch.setattr(fingerprints, "fingerprint", no_second_computation)
    beets_home("dupes", "scan")

    assert beets_home.lib.get_item(item.id)["acoustid_fingerprint"] == earlier.encoded
