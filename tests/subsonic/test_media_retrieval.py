"""Streaming and downloading originals, and cover art."""

from __future__ import annotations

import io
import logging
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


def test_a_corrupt_cover_gives_way_to_a_placeholder_and_the_reason_is_logged(
    api: Api, music_library: MusicLibrary, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="subsonic.covers")
    cover_id = f"al-{music_library.albums['broken']}"
    image = _image(api.get("getCoverArt", id=cover_id, size=100))
    assert image.size == (100, 100)
    assert f"cover art of {cover_id} skipped" in caplog.text


def test_every_cover_id_a_listing_shows_is_served_art_or_a_placeholder(
    api: Api, music_library: MusicLibrary
) -> None:
    # The compilation has no art, the singles none of their own: placeholders, not error 70.
    albums = api.ok("getAlbumList2", type="alphabeticalByName", size=500)["albumList2"]["album"]
    songs = [
        song for album in albums for song in api.ok("getAlbum", id=album["id"])["album"]["song"]
    ]
    for cover_id in {item["coverArt"] for item in albums + songs if "coverArt" in item}:
        assert _image(api.get("getCoverArt", id=cover_id, size=64)).size[0] > 0
    hits = _image(api.get("getCoverArt", id=f"al-{music_library.albums['hits']}"))
    assert hits.size == (600, 600)


def test_a_cover_id_that_names_nothing_is_error_70(api: Api) -> None:
    assert api.error("getCoverArt", id="al-999999") == 70
    assert api.error("getCoverArt", id="tr-999999") == 70
