"""``stream`` over HTTP from the real gunicorn: a full transcode, a promised length, a hang-up."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from beets.library import Item, Library

from tests.helper import wait_for
from tests.opus.conftest import decoded
from tests.subsonic.server import HttpApi, RunningServer, running_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("opus-gunicorn")) as running:
        yield running


@pytest.fixture(scope="module")
def long_song(server: RunningServer, long_source: Path) -> str:
    """A five-minute track added with beets while the server runs; its song id once served."""
    settings = server.library.settings
    target = settings.music_directory / "long.mp3"
    shutil.copyfile(long_source, target)
    lib = Library(str(settings.beets_library), str(settings.music_directory))
    item = Item.from_path(str(target))
    item.update({"title": "Long Tone", "artist": "Tester"})
    lib.add(item)
    lib._close()
    song_id = f"tr-{item.id}"
    http = HttpApi(server.url)

    def served() -> bool:
        answer = http.get("getSong", id=song_id, f="json").json()
        return answer["subsonic-response"]["status"] == "ok"

    wait_for(served, timeout=20, interval=0.2, what="the server to pick up the new item")
    return song_id


def transcodes(server: RunningServer) -> Path:
    return server.library.settings.cache_dir / "transcodes"


def listing(folder: Path) -> set[Path]:
    """What a folder holds; nothing when it is not there (a test deletes the cache)."""
    return set(folder.iterdir()) if folder.is_dir() else set()


def cached(server: RunningServer) -> set[Path]:
    """The finished transcodes: the files of the cache folder (its ``tmp`` and ``slots``
    folders, made again when needed, are not entries)."""
    return {path for path in listing(transcodes(server)) if path.is_file()}


def test_an_opus_stream_over_http_decodes_and_keeps_its_promised_length(
    server: RunningServer, tmp_path: Path
) -> None:
    song = server.library.items["blue1"]
    response = HttpApi(server.url).get(
        "stream", id=f"tr-{song.id}", format="opus", maxBitRate=64, estimateContentLength="true"
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "audio/ogg"
    assert int(response.headers["Content-Length"]) == len(response.content)
    info = decoded(response.content, tmp_path)
    assert (info["codec"], info["sample_rate"]) == ("opus", 48000)
    assert info["decoded_seconds"] == pytest.approx(1.0, abs=0.03)


def test_hanging_up_stops_the_encoder_in_the_server(server: RunningServer, long_song: str) -> None:
    http = HttpApi(server.url)
    cached_before = cached(server)
    query = {**http.credentials(), "id": long_song, "format": "opus"}
    with http.session.get(f"{server.url}/rest/stream", params=query, stream=True, timeout=30) as r:
        assert next(r.iter_content(4096)).startswith(b"OggS")
        assert listing(transcodes(server) / "tmp")  # an encoder is at work
    # A stopped encoder leaves nothing behind; one that went on would finish its five minutes
    # of audio and leave them in the cache, which the last assertion would see. The wait is
    # generous for a loaded machine: it is not what the test measures.
    wait_for(
        lambda: not listing(transcodes(server) / "tmp"),
        timeout=20,
        what="the encoder to stop after the client left",
    )
    assert cached(server) == cached_before  # and nothing half-made cached
    assert "Traceback" not in server.log()


def test_transcodes_and_covers_go_on_when_the_cache_is_deleted_under_gunicorn(
    server: RunningServer, tmp_path: Path
) -> None:
    """Each worker made its slot and cache folders at start; deleting them all (as
    docs/configuration.md allows) must not fail the next transcode in any worker."""
    http = HttpApi(server.url)
    song = f"tr-{server.library.items['blue2'].id}"
    album = f"al-{server.library.albums['blue']}"
    for bit_rate in (96, 80, 64, 56):  # a new transcode each time, in whichever worker
        shutil.rmtree(server.library.settings.cache_dir, ignore_errors=True)
        response = http.get("stream", id=song, format="mp3", maxBitRate=bit_rate)
        assert response.headers["Content-Type"] == "audio/mpeg", response.text[:300]
        info = decoded(response.content, tmp_path, suffix="mp3")
        assert info["decoded_seconds"] == pytest.approx(1.0, abs=0.1)
        cover = http.get("getCoverArt", id=album, size=bit_rate)
        assert cover.headers["Content-Type"] == "image/jpeg"
    wait_for(lambda: any(transcodes(server).glob("*.mp3")), what="the transcode to be cached")
    assert "Traceback" not in server.log()
