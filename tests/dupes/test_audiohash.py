"""The audio-only hash: same audio, same hash, whatever the tags; a clear error otherwise."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from mutagen.apev2 import APEv2

from beetcrate.audiohash import (
    _payload_spans,
    audio_hash,
    payload_size,
    prescreen,
    whole_file_hash,
)
from beetcrate.media import MediaError
from beetcrate.synth.tagging import FORMATS, add_mp3_tag_containers, retag
from tests.dupes.conftest import copy

Tone = Callable[..., Path]


@pytest.mark.parametrize("suffix", FORMATS)
def test_retagged_copy_with_cover_art_hashes_the_same(tone: Tone, suffix: str) -> None:
    original = tone(suffix)
    retagged = copy(original, "retagged")
    retag(retagged, "A completely different title " * 20)
    assert whole_file_hash(original) != whole_file_hash(retagged)
    assert audio_hash(original) == audio_hash(retagged)
    assert prescreen(original) == prescreen(retagged)


@pytest.mark.parametrize("suffix", FORMATS)
def test_different_audio_hashes_differently(tone: Tone, suffix: str) -> None:
    a = tone(suffix, freq=440.0, name="a")
    b = tone(suffix, freq=441.0, name="b")
    assert audio_hash(a) != audio_hash(b)


@pytest.mark.parametrize("suffix", FORMATS)
def test_payload_excludes_the_tags(tone: Tone, suffix: str) -> None:
    path = tone(suffix)
    before = payload_size(path)
    retag(path, "title", art=True)
    assert payload_size(path) == before
    assert 0 < before <= path.stat().st_size


def test_every_mp3_tag_container_is_skipped(tone: Tone) -> None:
    plain = tone("mp3")
    wrapped = copy(plain, "wrapped")
    add_mp3_tag_containers(wrapped)
    assert wrapped.stat().st_size > plain.stat().st_size + 300
    assert audio_hash(wrapped) == audio_hash(plain)
    assert payload_size(wrapped) == payload_size(plain)


def test_prescreen_tells_different_audio_apart(tone: Tone) -> None:
    assert prescreen(tone("flac", freq=440.0, name="a")) != prescreen(
        tone("flac", freq=880.0, name="b")
    )


def test_hash_is_hex_xxh3_128(tone: Tone) -> None:
    digest = audio_hash(tone("flac"))
    assert len(digest) == 32
    int(digest, 16)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"plain text, not audio\n" * 50, "unknown audio format"),
        (b"OggS" + b"\0" * 10, "Ogg page"),
        (b"\0\0\0\x14ftypM4A " + b"\0" * 8, "no audio payload"),
        (b"fLaC\x00\x00\x00\x22" + b"\0" * 10, "FLAC"),
    ],
)
def test_bad_input_raises_a_one_line_media_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.mp3"
    path.write_bytes(content)
    with pytest.raises(MediaError, match=message) as error:
        audio_hash(path)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("suffix", ["ogg", "opus", "m4a"])
def test_truncated_file_raises_media_error(tone: Tone, suffix: str) -> None:
    path = tone(suffix)
    data = path.read_bytes()
    # m4a files from PyAV put moov after mdat: cutting the tail leaves a box past the end.
    path.write_bytes(data[: len(data) // 2] if suffix != "m4a" else data[:-100])
    with pytest.raises(MediaError, match="truncated"):
        audio_hash(path)


def test_missing_file_raises_media_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="cannot open"):
        audio_hash(tmp_path / "gone.flac")


@pytest.mark.parametrize("suffix", ["mp3", "ogg"])
def test_hashing_a_large_file_keeps_memory_constant(tone: Tone, suffix: str) -> None:
    path = tone(suffix, seconds=4.0)
    with path.open("rb") as f:
        start = next(iter(_payload_spans(f, path)))[0]
    data = path.read_bytes()
    if suffix == "ogg":
        start = data.rfind(b"OggS", 0, start)  # repeat whole pages: the parser walks them
    big = path.with_name(f"big.{suffix}")
    big.write_bytes(data[:start] + data[start:] * ((40 << 20) // len(data)))
    tracemalloc.start()
    audio_hash(big)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert big.stat().st_size > 30 << 20
    assert peak < 4 << 20


@pytest.mark.parametrize("suffix", ["flac", "ogg", "opus"])
def test_id3_and_ape_tags_wrapped_around_flac_and_ogg_are_skipped(tone: Tone, suffix: str) -> None:
    plain = tone(suffix)
    wrapped = copy(plain, "wrapped")
    id3v2 = b"ID3\x03\x00\x00\x00\x00\x00\x10" + b"TIT2\x00\x00\x00\x06\x00\x00\x00Song\x00\x00"
    wrapped.write_bytes(id3v2 + plain.read_bytes())
    ape = APEv2()
    ape["Title"] = "Song in APE"
    ape.save(str(wrapped))
    with wrapped.open("ab") as f:
        f.write(b"TAG" + b"Song".ljust(125, b"\0"))
    assert audio_hash(wrapped) == audio_hash(plain)
