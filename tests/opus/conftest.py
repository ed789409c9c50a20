"""Fixtures for the Opus tests: short real audio files, a broken one, and a long one."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from beetcrate import media
from beetcrate.synth.tones import RATE, noisy_chord, sine
from tests.helper import BeetsHome


def decoded(data_or_path: bytes | Path, tmp_path: Path, suffix: str = "opus") -> dict:
    """Decode a whole stream with PyAV: codec, rate, channels, duration, bitrate."""
    path = data_or_path
    if isinstance(data_or_path, bytes):
        path = tmp_path / f"decoded-{len(data_or_path)}.{suffix}"
        path.write_bytes(data_or_path)
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        rate = stream.codec_context.sample_rate
        size = Path(path).stat().st_size
        return {
            "codec": stream.codec_context.name,
            "format": container.format.name,
            "sample_rate": rate,
            "channels": stream.codec_context.channels,
            "decoded_seconds": samples / rate,
            "container_seconds": media.probe(path).duration,
            "kbps": size * 8 / (samples / rate) / 1000,
        }


@pytest.fixture
def flac(tmp_path: Path) -> Path:
    path = tmp_path / "source.flac"
    media.write_audio(path, noisy_chord(6.0), RATE)
    return path


@pytest.fixture(scope="session")
def long_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five minutes that decode fast (8 kHz mono) but take seconds to encode to Opus."""
    path = tmp_path_factory.mktemp("long") / "long.mp3"
    media.write_audio(path, sine(300.0, rate=8000)[:1], 8000, bit_rate=16000)
    return path


@pytest.fixture
def truncated(flac: Path, tmp_path: Path) -> Path:
    path = tmp_path / "truncated.flac"
    path.write_bytes(flac.read_bytes()[: flac.stat().st_size // 3])
    return path


BROKEN = {
    "empty": b"",
    "garbage": b"this is not audio" * 500,
}


@pytest.fixture
def mirror_dir(tmp_path: Path) -> Path:
    return tmp_path / "mirror"


@pytest.fixture
def beet(beets_home: BeetsHome, mirror_dir: Path, tmp_path: Path) -> BeetsHome:
    """The test's beets home with the opus plugin: a mirror in ``mirror_dir`` at 96 kbps and a
    queue of its own; ``beet("opus", "sync")`` runs the command as the command line does."""
    beets_home.configure(
        plugins=["opus"],
        opus={"directory": str(mirror_dir), "bitrate": 96},
        beetcrate={"queue": {"path": str(tmp_path / "queue.db")}},
    )
    return beets_home


@pytest.fixture(scope="session")
def served_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("served-audio")
    media.write_audio(folder / "song.flac", noisy_chord(6.0), RATE)
    media.write_audio(folder / "lossy.mp3", noisy_chord(4.0), RATE, bit_rate=128_000)
    return folder


@pytest.fixture
def served(tmp_path: Path, served_audio: Path, long_source: Path):
    """A beets library served by the real Flask app: a 6 s FLAC, a 128k MP3, a broken file, a
    truncated one and a five-minute track. Returns (app, items by name, settings)."""
    from dataclasses import replace

    from beetcrate import sidecar
    from beetcrate.transcode import TranscodeConfig
    from subsonic.app import create_app
    from subsonic.store import Users, load_key

    home = BeetsHome(tmp_path)
    items = {}
    for name in ("song.flac", "lossy.mp3"):
        items[Path(name).stem] = home.add_file(served_audio / name, name)
    broken = tmp_path / "broken.flac"
    broken.write_bytes(b"fLaC" + b"\0" * 4000)
    items["broken"] = home.add_file(broken, "broken.flac", length=5.0, bitrate=900_000)
    truncated = tmp_path / "truncated.flac"
    whole = (served_audio / "song.flac").read_bytes()
    truncated.write_bytes(whole[: len(whole) // 2])
    items["truncated"] = home.add_file(truncated, "truncated.flac")
    items["long"] = home.add_file(long_source, "long.mp3")
    for name, item in items.items():
        item.update({"title": name, "artist": "Artist", "album": "Album"})
        item.store()
    home.close()

    settings = home.server_settings(
        cache_dir=tmp_path / "cache",
        transcode=replace(TranscodeConfig.defaults(), max_encoders=4, max_encoders_per_user=2),
    )
    Users(sidecar.connect(settings.db), load_key(settings.secret_key_file)).add(
        "alice", "open sesame", admin=True
    )
    return create_app(settings), items, settings
