"""Streaming and downloading originals, and cover art."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from tests.subsonic.conftest import Api, MusicLibrary


def _song(music_library: MusicLibrary, key: str) -> tuple[str, bytes]:
    item = music_library.items[key]
    return f"tr-{item.id}", Path(item.path.decode()).read_bytes()


def test_stream_sends_the_original_file(api: Api, music_library: MusicLibrary) -> None:
    song_id, original = _song(music_library, "blue1")
    response = api.get("stream", id=song_id)
    assert response.status_code == 200
    assert response.mimetype == "audio/flac"
    assert response.headers["Content-Length"] == str(len(original))
    assert response.data == original


def test_range_request_resumes_with_206(api: Api, music_library: MusicLibrary) -> None:
    song_id, original = _song(music_library, "double1")
    response = api.get("stream", id=song_id, headers={"Range": "bytes=1000-"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 1000-{len(original) - 1}/{len(original)}"
    assert response.data == original[1000:]


def test_head_gives_length_without_body(api: Api, music_library: MusicLibrary) -> None:
    song_id, original = _song(music_library, "single1")
    response = api.request("HEAD", "stream", id=song_id)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(original))
    assert response.data == b""


def test_download_is_an_attachment(api: Api, music_library: MusicLibrary) -> None:
    song_id, original = _song(music_library, "blue2")
    response = api.get("download", id=song_id)
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.data == original


@pytest.mark.parametrize("bad_id", ["tr-999999", "al-1", "../../etc/passwd", "tr-1/../../x", ""])
def test_stream_of_an_unknown_or_malformed_id_is_error_70_or_10(api: Api, bad_id: str) -> None:
    assert api.error("stream", id=bad_id) in (10, 70)


def test_stream_of_a_vanished_file_is_error_70(api: Api, music_library: MusicLibrary) -> None:
    assert api.error("stream", id=f"tr-{music_library.items['ghost'].id}") == 70


def _image(response) -> Image.Image:
    assert response.status_code == 200 and response.mimetype.startswith("image/")
    return Image.open(io.BytesIO(response.data))


def test_folder_art_is_served_and_resized(api: Api, music_library: MusicLibrary) -> None:
    album_id = f"al-{music_library.albums['blue']}"
    assert _image(api.get("getCoverArt", id=album_id)).size == (600, 600)
    small = _image(api.get("getCoverArt", id=album_id, size=64))
    assert small.size == (64, 64)
    assert small.getpixel((32, 32))[2] > 150  # the blue cover stays blue


def test_embedded_art_is_found_for_album_song_and_artist(
    api: Api, music_library: MusicLibrary
) -> None:
    album_id = f"al-{music_library.albums['double']}"
    song_id = f"tr-{music_library.items['double1'].id}"
    artist_id = api.ok("getAlbum", id=album_id)["album"]["artistId"]
    for cover_id in (album_id, song_id, artist_id):
        image = _image(api.get("getCoverArt", id=cover_id, size=32))
        assert image.getpixel((16, 16))[0] > 150  # the red embedded cover


def test_resized_covers_are_cached_on_disk(api: Api, music_library: MusicLibrary) -> None:
    cache = music_library.settings.cache_dir / "covers"
    api.get("getCoverArt", id=f"al-{music_library.albums['blue']}", size=48)
    before = {p for p in cache.rglob("*") if p.is_file()}
    api.get("getCoverArt", id=f"al-{music_library.albums['blue']}", size=48)
    assert before and {p for p in cache.rglob("*") if p.is_file()} == before


def test_corrupt_cover_is_error_70_with_a_reason(api: Api, music_library: MusicLibrary) -> None:
    assert api.error("getCoverArt", id=f"al-{music_library.albums['broken']}", size=100) == 70
    assert api.error("getCoverArt", id=f"al-{music_library.albums['broken']}") == 70


def test_album_without_any_art_is_error_70(api: Api, music_library: MusicLibrary) -> None:
    assert api.error("getCoverArt", id=f"al-{music_library.albums['hits']}") == 70
