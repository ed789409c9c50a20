"""Songs whose files went bad after the catalog listed them, and a cache deleted under the
server: each endpoint that opens a file answers a Subsonic error or a placeholder, never an
"Internal server error", and no message a client reads holds an absolute server path.

The tests run as root in CI, where permission bits do not stop reading; what root cannot read
either stands in for an unreadable file: a symlink loop (``stat`` fails with ELOOP, the
``OSError`` branch an unreadable file takes), a folder and a named pipe in the file's place.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from beets.library import Item
from flask import Flask
from mutagen.flac import FLAC, Picture

from beetcrate import media
from beetcrate.settings import Settings
from beetcrate.synth.tones import RATE, noisy_chord
from subsonic.app import create_app
from tests.helper import BeetsHome, wait_for
from tests.subsonic.conftest import ADMIN, ADMIN_PASSWORD, Api, png_bytes

BROKEN_AFTER_LISTING = ("vanished", "folder", "pipe", "loop")


@dataclass
class Served:
    app: Flask
    settings: Settings
    home: BeetsHome
    items: dict[str, Item]

    def song(self, name: str) -> str:
        return f"tr-{self.items[name].id}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    """Good songs, broken ones, and songs whose files went bad once the catalog listed them."""
    from beetcrate import sidecar
    from subsonic.store import Users, load_key

    root = tmp_path_factory.mktemp("bad-files")
    home = BeetsHome(root)
    items: dict[str, Item] = {}
    source = root / "source.flac"
    media.write_audio(source, noisy_chord(2.0), RATE)
    for name in ("good", *BROKEN_AFTER_LISTING):
        items[name] = home.add_file(source, f"Artist/Album/{name}.flac", title=name)
    (home.music / "Artist" / "Album" / "cover.png").write_bytes(png_bytes((10, 120, 60)))
    for name, size in (("truncated", 200), ("cut", 16000)):  # the headers; a few bad frames
        cut = root / f"{name}.flac"
        cut.write_bytes(source.read_bytes()[:size])
        items[name] = home.add_file(cut, f"Broken/{name}.flac", title=name)
    empty = root / "empty.flac"
    empty.touch()
    items["empty"] = home.add_file(empty, "Broken/empty.flac", title="empty")
    corrupt = root / "corrupt.flac"
    shutil.copyfile(source, corrupt)
    tags = FLAC(corrupt)
    picture = Picture()
    picture.type, picture.mime, picture.data = 3, "image/jpeg", b"\xff\xd8\xff not a jpeg"
    tags.add_picture(picture)
    tags.save()
    items["corrupt_art"] = home.add_file(corrupt, "Broken/corrupt art.flac", title="corrupt art")
    for item in items.values():
        item.update({"artist": "Artist", "album": "Album"})
        item.store()
    home.close()

    settings = home.server_settings(cache_dir=home.dir / "beetcrate-cache")
    Users(sidecar.connect(settings.db), load_key(settings.secret_key_file)).add(
        ADMIN, ADMIN_PASSWORD, admin=True
    )
    app = create_app(settings)  # the catalog lists every file as it is now

    def path(name: str) -> Path:
        return Path(items[name].path.decode())

    path("vanished").unlink()
    path("folder").unlink()
    path("folder").mkdir()
    path("pipe").unlink()
    os.mkfifo(path("pipe"))
    path("loop").unlink()
    path("loop").symlink_to(path("loop"))
    return Served(app, settings, home, items)


@pytest.fixture
def api(served: Served) -> Api:
    return Api(served.app.test_client())


def failure(api: Api, method: str, **params: str) -> dict:
    """The error a method answers, checked against the spec in XML and JSON."""
    api.error(method, **params)
    return api.get(method, f="json", **params).json["subsonic-response"]["error"]


def assert_no_server_path(served: Served, message: str) -> None:
    for server_path in (served.home.dir, served.home.music, served.settings.cache_dir):
        assert str(server_path) not in message
    assert " /" not in message and "'/" not in message, message


@pytest.mark.parametrize("method", ["stream", "download"])
def test_a_vanished_file_is_error_70_naming_the_song(api: Api, served: Served, method: str) -> None:
    error = failure(api, method, id=served.song("vanished"))
    assert error["code"] == 70
    assert error["message"] == (
        f"The file of song {served.song('vanished')} (Artist/Album/vanished.flac) "
        "is missing from the library"
    )


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("folder", "it is not a regular file"),
        ("pipe", "it is not a regular file"),
        ("loop", "Too many levels of symbolic links"),
    ],
)
@pytest.mark.parametrize("method", ["stream", "download"])
def test_an_unreadable_file_is_error_0_with_the_reason(
    api: Api, served: Served, method: str, name: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="subsonic.library_files")
    error = failure(api, method, id=served.song(name), format="mp3")
    assert error["code"] == 0
    assert error["message"] == (
        f"The server cannot read the file of song {served.song(name)} "
        f"(Artist/Album/{name}.flac): {reason}"
    )
    assert str(served.home.music / "Artist" / "Album" / f"{name}.flac") in caplog.text
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("name", BROKEN_AFTER_LISTING)
def test_cover_and_lyrics_of_a_bad_file_are_a_placeholder_and_none(
    api: Api, served: Served, name: str
) -> None:
    """The album's folder art stands in for the song's own; a named pipe is never opened."""
    cover = api.get("getCoverArt", id=served.song(name), size=64)
    assert cover.status_code == 200 and cover.mimetype == "image/jpeg"
    lyrics = api.ok("getLyricsBySongId", id=served.song(name))
    assert lyrics["lyricsList"] == {"structuredLyrics": []}
    assert api.ok("getLyrics", artist="Artist", title=name)["lyrics"]["value"] == ""


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("truncated", "cannot open Broken/truncated.flac: [Errno 541478725] End of file"),
        ("cut", "cannot transcode Broken/cut.flac"),
        ("empty", "no audio stream in Broken/empty.flac"),
    ],
)
@pytest.mark.parametrize("format", ["opus", "mp3"])
def test_a_broken_file_that_cannot_be_transcoded_names_it_relative_to_the_music_folder(
    api: Api, served: Served, name: str, reason: str, format: str
) -> None:
    error = failure(api, "stream", id=served.song(name), format=format)
    assert error["code"] == 0
    assert error["message"].startswith(f"Cannot transcode song {served.song(name)}: {reason}")
    assert_no_server_path(served, error["message"])


def test_a_corrupt_embedded_cover_gives_way_to_the_placeholder_and_is_logged(
    api: Api, served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="subsonic.covers")
    cover = api.get("getCoverArt", id=served.song("corrupt_art"), size=64)
    assert cover.status_code == 200 and cover.mimetype == "image/jpeg"
    assert f"cover art of {served.song('corrupt_art')} skipped" in caplog.text


def test_transcodes_and_covers_go_on_when_the_cache_folder_is_deleted(
    api: Api, served: Served, tmp_path: Path
) -> None:
    transcoder = served.app.extensions["beetcrate"].transcoding.transcoder
    cache = served.settings.cache_dir
    for bit_rate in ("96", "64", "48"):
        shutil.rmtree(cache, ignore_errors=True)
        response = api.get("stream", id=served.song("good"), format="mp3", maxBitRate=bit_rate)
        assert response.status_code == 200 and response.mimetype == "audio/mpeg"
        (tmp_path / "out.mp3").write_bytes(response.data)
        assert media.probe(tmp_path / "out.mp3").duration == pytest.approx(2.0, abs=0.1)
        wait_for(lambda: transcoder.active_encoders() == 0)
        assert len(transcoder.cache.entries()) == 1  # the transcode is cached again
        shutil.rmtree(cache)
        cover = api.get("getCoverArt", id=served.song("good"), size=int(bit_rate))
        assert cover.status_code == 200 and cover.mimetype == "image/jpeg"
        assert len([p for p in (cache / "covers").rglob("*") if p.is_file()]) == 1
