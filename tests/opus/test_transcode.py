"""The transcoder: choosing an encoding, the LRU cache, shared encoders, limits, disconnects."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from beetcrate import media
from beetcrate.transcode import (
    Job,
    Profile,
    TooBusy,
    TranscodeCache,
    TranscodeConfig,
    Transcoder,
    estimate_length,
    fit_to_length,
)
from tests.helper import BeetsHome, wait_for
from tests.opus.conftest import BROKEN, decoded

OPUS = Profile("opus", 128)
MP3 = Profile("mp3", 192)


def make_config(**overrides: object) -> TranscodeConfig:
    values: dict = {"profiles": {"opus": OPUS, "mp3": MP3}, "default": "opus"} | overrides
    return TranscodeConfig(**values)


def test_config_is_read_from_the_opus_stream_section(beets_home: BeetsHome) -> None:
    from beetcrate.settings import read_beets_config

    beets_home.configure(opus={"stream": {"format": "mp3", "user_max_bitrate": {"alice": 64}}})
    config = TranscodeConfig.from_beets(read_beets_config())
    assert config.default == "mp3"
    assert config.profiles["opus"] == Profile("opus", 128)
    assert config.cap(0, "alice") == 64


@pytest.mark.parametrize(
    ("source", "kbps", "format", "max_bit_rate", "user", "expected"),
    [
        ("flac", 900, None, 0, None, None),  # nothing asked: the original
        ("flac", 900, None, 96, None, ("opus", 96)),  # too big for the cap: default profile
        ("mp3", 128, None, 160, None, None),  # already within the cap
        ("flac", 900, "opus", 0, None, ("opus", 128)),
        ("flac", 900, "opus", 320, None, ("opus", 128)),  # the profile's own rate is lower
        ("flac", 900, "mp3", 96, None, ("mp3", 96)),
        ("opus", 96, "opus", 128, None, None),  # client accepts the source format
        ("opus", 256, "opus", 128, None, ("opus", 128)),
        ("flac", 900, "wav", 0, None, ("opus", 128)),  # unknown format: default profile
        ("flac", 900, "raw", 64, None, None),  # raw ignores the request's cap
        ("flac", 900, "raw", 0, "bob", ("opus", 48)),  # but not the user's
        ("flac", 900, "opus", 0, "bob", ("opus", 48)),
        ("flac", 900, "opus", 0, "alice", ("opus", 128)),
    ],
)
def test_choose_caps_the_bitrate_by_request_and_user(
    source: str, kbps: int, format: str | None, max_bit_rate: int, user: str | None, expected
) -> None:
    config = make_config(user_max_bit_rate={"bob": 48})
    choice = config.choose(source, kbps, format, max_bit_rate, user)
    got = None if choice.raw else (choice.profile.name, choice.bit_rate)
    assert got == expected


def _until_the_clock_passes_every_mtime_in(directory: Path) -> None:
    """Recency in the cache is a file's mtime, and the file system's clock moves in steps: wait
    until a file touched now would be newer than every file in ``directory``."""
    newest = max(path.stat().st_mtime_ns for path in directory.rglob("*") if path.is_file())
    probe = directory.parent / "clock-probe"

    def touched_later() -> bool:
        probe.touch()
        return probe.stat().st_mtime_ns > newest

    wait_for(touched_later, timeout=2.0, interval=0.001, what="the file system clock to move")


def test_cache_evicts_least_recently_used_past_its_size(tmp_path: Path) -> None:
    cache = TranscodeCache(tmp_path / "cache", max_bytes=2500)
    for key in ["a", "b", "c"]:
        temp = cache.temp_path(key, "opus")
        temp.write_bytes(b"x" * 1000)
        cache.put(temp, key, "opus")
        _until_the_clock_passes_every_mtime_in(tmp_path / "cache")
        if key == "b":
            assert cache.get("a", "opus") is not None  # a is now more recent than b
    assert cache.get("b", "opus") is None
    assert cache.get("a", "opus") is not None
    assert cache.get("c", "opus") is not None


def test_finished_transcode_lands_in_the_cache_and_decodes(flac: Path, tmp_path: Path) -> None:
    transcoder = Transcoder(make_config(), tmp_path / "cache")
    job = Job(1, flac, OPUS, 96)
    data = b"".join(transcoder.stream(job))
    wait_for(lambda: transcoder.cached(job) is not None)
    assert transcoder.cached(job).read_bytes() == data
    info = decoded(data, tmp_path)
    assert (info["codec"], info["sample_rate"]) == ("opus", 48000)
    assert info["container_seconds"] == pytest.approx(6.0, abs=0.03)
    assert not list(transcoder.cache.tmp.iterdir())


def test_a_changed_source_gets_a_new_cache_key(flac: Path) -> None:
    before = Job(1, flac, OPUS, 96).key
    flac.write_bytes(flac.read_bytes())  # same audio, new mtime
    assert Job(1, flac, OPUS, 96).key != before
    assert Job(1, flac, OPUS, 64).key != Job(1, flac, OPUS, 96).key
    assert Job(1, flac, OPUS, 96, offset=1).key != Job(1, flac, OPUS, 96).key


def test_concurrent_identical_requests_share_one_encoder(long_source: Path, tmp_path: Path) -> None:
    transcoder = Transcoder(make_config(max_encoders=1), tmp_path / "cache")
    job = Job(1, long_source, OPUS, 64)
    first = transcoder.stream(job)
    head = next(first)
    second = transcoder.stream(job)  # would raise TooBusy if it needed a second encoder
    assert transcoder.active_encoders() == 1
    results: dict[str, bytes] = {}
    reader = threading.Thread(target=lambda: results.update(second=b"".join(second)))
    reader.start()
    results["first"] = head + b"".join(first)
    reader.join()
    assert results["first"] == results["second"]
    (tmp_path / "shared.opus").write_bytes(results["first"])
    assert media.probe(tmp_path / "shared.opus").duration == pytest.approx(300, abs=0.1)


def test_disconnect_stops_the_encoder_and_leaves_nothing(long_source: Path, tmp_path: Path) -> None:
    transcoder = Transcoder(make_config(), tmp_path / "cache")
    job = Job(1, long_source, OPUS, 64)
    threads_before = threading.active_count()
    stream = transcoder.stream(job)
    next(stream)
    assert transcoder.active_encoders() == 1
    stream.close()  # what the WSGI server does when the client hangs up
    wait_for(lambda: threading.active_count() <= threads_before, timeout=2.0)
    assert transcoder.active_encoders() == 0
    assert transcoder.cached(job) is None
    assert not list(transcoder.cache.tmp.iterdir())


def test_encoder_limits_answer_excess_requests_with_too_busy(
    long_source: Path, flac: Path, tmp_path: Path
) -> None:
    transcoder = Transcoder(make_config(max_encoders=2, max_encoders_per_user=1), tmp_path / "c")
    running = transcoder.stream(Job(1, long_source, OPUS, 64), user="alice")
    next(running)
    with pytest.raises(TooBusy, match="alice"):
        transcoder.stream(Job(2, flac, OPUS, 64), user="alice")
    other = transcoder.stream(Job(2, long_source, OPUS, 32), user="bob")
    next(other)
    with pytest.raises(TooBusy, match="transcoders are busy"):
        transcoder.stream(Job(3, flac, MP3, 64), user="carol")
    running.close()
    other.close()
    wait_for(lambda: transcoder.active_encoders() == 0)
    assert b"".join(transcoder.stream(Job(3, flac, MP3, 64), user="alice"))


@pytest.mark.parametrize("content", sorted(BROKEN))
def test_broken_source_raises_and_leaves_no_cache_entry(tmp_path: Path, content: str) -> None:
    source = tmp_path / "broken.flac"
    source.write_bytes(BROKEN[content])
    transcoder = Transcoder(make_config(), tmp_path / "cache")
    job = Job(1, source, OPUS, 64)
    with pytest.raises(media.MediaError):
        b"".join(transcoder.stream(job))
    wait_for(lambda: transcoder.active_encoders() == 0)
    assert transcoder.cached(job) is None
    assert not list(transcoder.cache.tmp.iterdir())


def test_estimated_length_is_kept_exactly_and_still_decodes(flac: Path, tmp_path: Path) -> None:
    transcoder = Transcoder(make_config(), tmp_path / "cache")
    job = Job(1, flac, OPUS, 64, constant_bit_rate=True)
    length = estimate_length(6.0, 64, "opus")
    data = b"".join(fit_to_length(transcoder.stream(job), length))
    assert len(data) == length
    info = decoded(data, tmp_path)
    assert info["decoded_seconds"] == pytest.approx(6.0, abs=0.03)


def test_fit_to_length_trims_a_longer_stream() -> None:
    assert b"".join(fit_to_length(iter([b"abc", b"def"]), 4)) == b"abcd"
    assert b"".join(fit_to_length(iter([b"ab"]), 4)) == b"ab\0\0"


@pytest.mark.parametrize("constant", [False, True])
@pytest.mark.parametrize("cap", [96, 32])
def test_an_opus_transcode_keeps_to_its_cap_ogg_pages_and_all(
    tmp_path: Path, cap: int, constant: bool
) -> None:
    from beetcrate.synth.tones import noisy_chord

    source = tmp_path / "twenty.flac"
    media.write_audio(source, noisy_chord(20.0), 44100)
    transcoder = Transcoder(make_config(), tmp_path / "cache")
    job = Job(1, source, OPUS, cap, constant_bit_rate=constant, tags=(("title", "Twenty"),))
    chunks = transcoder.stream(job)
    if constant:  # as promised with estimateContentLength: padded to the promise
        chunks = fit_to_length(chunks, estimate_length(20.0, cap, "opus"))
    data = b"".join(chunks)
    info = decoded(data, tmp_path)
    assert info["decoded_seconds"] == pytest.approx(20.0, abs=0.05)
    sent_kbps = len(data) * 8 / 20.0 / 1000
    assert cap * 0.9 <= sent_kbps <= cap
