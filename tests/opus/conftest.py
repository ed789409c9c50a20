"""Fixtures for the Opus tests: short real audio files, a broken one, and a long one."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from beetcrate import media
from beetcrate.synth.tones import RATE, noisy_chord, sine


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
def beet(library, mirror_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """Run ``beet opus …`` on the test library with the plugin loaded; returns the output.

    The configuration is set in memory, as beets' own plugin tests do: the global ``config``
    may have been read before this test's BEETSDIR existed.
    """
    import beets
    import beets.plugins

    from beetsplug.opus import OpusPlugin

    beets.config.clear()
    beets.config.read(user=False, defaults=True)
    beets.config.set(
        {
            "library": str(library.path),
            "directory": library.directory.decode(),
            "opus": {"directory": str(mirror_dir), "bitrate": 96},
            "beetcrate": {"queue": {"path": str(tmp_path / "queue.db")}},
        }
    )
    command = OpusPlugin().commands()[0]

    def run(name: str, *args: str) -> str:
        assert name == "opus"
        capsys.readouterr()
        options, rest = command.parser.parse_args(list(args))
        command.func(library, options, rest)
        return capsys.readouterr().out

    yield run
    beets.plugins.BeetsPlugin.listeners.clear()
    beets.plugins.BeetsPlugin._raw_listeners.clear()
    beets.config.clear()
    beets.config.read(user=False, defaults=True)


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
    import shutil

    import beets
    from beets.library import Item, Library

    from beetcrate import sidecar
    from beetcrate.settings import Settings
    from subsonic.app import create_app
    from subsonic.store import Users, load_key

    music_dir = tmp_path / "music"
    music_dir.mkdir()
    lib = Library(str(tmp_path / "library.db"), str(music_dir))
    items = {}
    for name in ("song.flac", "lossy.mp3"):
        shutil.copyfile(served_audio / name, music_dir / name)
        items[Path(name).stem] = Item.from_path(str(music_dir / name))
    broken = music_dir / "broken.flac"
    broken.write_bytes(b"fLaC" + b"\0" * 4000)
    items["broken"] = Item(path=str(broken), title="broken", length=5.0, bitrate=900_000)
    whole = (served_audio / "song.flac").read_bytes()
    (music_dir / "truncated.flac").write_bytes(whole[: len(whole) // 2])
    items["truncated"] = Item.from_path(str(music_dir / "truncated.flac"))
    shutil.copyfile(long_source, music_dir / "long.mp3")
    items["long"] = Item.from_path(str(music_dir / "long.mp3"))
    for name, item in items.items():
        item.update({"title": name, "artist": "Artist", "album": "Album"})
        lib.add(item)
    lib._close()

    beets.config.clear()
    beets.config.read(user=False, defaults=True)
    beets.config["opus"]["stream"].set({"max_encoders": 4, "max_encoders_per_user": 2})
    settings = Settings(
        beets_library=tmp_path / "library.db",
        music_directory=music_dir,
        db=tmp_path / "beetcrate.db",
        secret_key_file=tmp_path / "beetcrate.key",
        cache_dir=tmp_path / "cache",
        refresh_interval=0.0,
    )
    Users(sidecar.connect(settings.db), load_key(settings.secret_key_file)).add(
        "alice", "open sesame", admin=True
    )
    yield create_app(settings), items, settings
    beets.config.clear()
    beets.config.read(user=False, defaults=True)
