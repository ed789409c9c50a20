"""``stream`` through the real Flask app: what the server sends is decoded and checked."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from beetsplug.opus import sync
from beetsplug.opus.config import MirrorConfig
from beetsplug.opus.plan import plan
from beetsplug.opus.state import MirrorState
from tests.helper import wait_for
from tests.opus.conftest import decoded

AUTH = {"u": "alice", "p": "open sesame", "v": "1.16.1", "c": "pytest"}


def get(app, item, method: str = "GET", buffered: bool = True, headers=None, **params):
    query = {**AUTH, "id": f"tr-{item.id}", **params}
    return app.test_client().open(
        "/rest/stream", method=method, query_string=query, buffered=buffered, headers=headers
    )


def error_of(response) -> dict:
    body = json.loads(response.data)["subsonic-response"]
    assert body["status"] == "failed"
    return body["error"]


def transcoder(app):
    return app.extensions["beetcrate"].transcoding.transcoder


def test_opus_is_streamed_at_the_requested_bitrate(served, tmp_path: Path) -> None:
    app, items, _ = served
    response = get(app, items["song"], format="opus", maxBitRate="96")
    assert response.status_code == 200 and response.mimetype == "audio/ogg"
    info = decoded(response.data, tmp_path)
    assert (info["codec"], info["sample_rate"], info["channels"]) == ("opus", 48000, 2)
    assert info["container_seconds"] == pytest.approx(6.0, abs=0.03)
    assert info["kbps"] == pytest.approx(96, rel=0.3)


def test_the_users_own_max_bit_rate_caps_the_transcode(served, tmp_path: Path) -> None:
    from beetcrate import sidecar

    app, items, settings = served
    sidecar.connect(settings.db)["users"].update("alice", {"max_bit_rate": 48})
    response = get(app, items["song"], format="opus", maxBitRate="320")
    assert decoded(response.data, tmp_path)["kbps"] == pytest.approx(48, rel=0.3)
    raw = get(app, items["song"], format="raw")  # a cap is a cap, even for raw
    assert decoded(raw.data, tmp_path)["codec"] == "opus"


def test_mp3_when_asked_and_opus_for_unknown_formats(served, tmp_path: Path) -> None:
    app, items, _ = served
    mp3 = get(app, items["song"], format="mp3", maxBitRate="160")
    assert mp3.mimetype == "audio/mpeg"
    info = decoded(mp3.data, tmp_path, "mp3")
    assert info["codec"] == "mp3float" and info["kbps"] == pytest.approx(160, rel=0.05)
    other = get(app, items["song"], format="wma")
    assert decoded(other.data, tmp_path)["codec"] == "opus"


def test_raw_and_already_small_enough_sources_are_sent_as_they_are(served) -> None:
    app, items, _ = served
    original = Path(items["lossy"].path.decode()).read_bytes()
    assert get(app, items["lossy"]).data == original
    assert get(app, items["lossy"], maxBitRate="192").data == original
    assert (
        get(app, items["song"], format="raw").data == Path(items["song"].path.decode()).read_bytes()
    )
    assert get(app, items["lossy"], format="mp3", maxBitRate="320").data == original
    assert get(app, items["lossy"], maxBitRate="64").data != original


def test_time_offset_starts_the_transcode_there(served, tmp_path: Path) -> None:
    app, items, _ = served
    response = get(app, items["song"], format="opus", timeOffset="2")
    info = decoded(response.data, tmp_path)
    assert info["container_seconds"] == pytest.approx(4.0, abs=0.03)


def test_estimated_content_length_is_kept_exactly(served, tmp_path: Path) -> None:
    app, items, _ = served
    response = get(app, items["song"], format="opus", maxBitRate="64", estimateContentLength="true")
    assert int(response.headers["Content-Length"]) == len(response.data)
    info = decoded(response.data, tmp_path)
    assert info["decoded_seconds"] == pytest.approx(6.0, abs=0.03)


def test_head_promises_a_length_without_starting_an_encoder(served) -> None:
    app, items, _ = served
    response = get(app, items["song"], method="HEAD", format="opus", estimateContentLength="true")
    assert response.status_code == 200 and response.mimetype == "audio/ogg"
    assert int(response.headers["Content-Length"]) > 6 * 128_000 / 8
    assert transcoder(app).active_encoders() == 0
    assert not transcoder(app).cache.entries()


def test_a_finished_transcode_is_served_from_the_cache_with_range(served) -> None:
    app, items, _ = served
    first = get(app, items["song"], format="opus", maxBitRate="96")
    assert "Content-Length" not in first.headers
    wait_for(lambda: len(transcoder(app).cache.entries()) == 1)
    again = get(app, items["song"], format="opus", maxBitRate="96")
    assert again.data == first.data
    assert int(again.headers["Content-Length"]) == len(first.data)
    wanted = {"Range": "bytes=100-1099"}
    part = get(app, items["song"], headers=wanted, format="opus", maxBitRate="96")
    assert part.status_code == 206 and part.data == first.data[100:1100]


def test_the_mirror_is_streamed_when_it_satisfies_the_request(served, tmp_path: Path) -> None:
    app, items, settings = served
    config = MirrorConfig(
        root=tmp_path / "mirror",
        bitrate=96,
        library=settings.beets_library,
        music_directory=settings.music_directory,
        db=settings.db,
        paths=(("default", "$artist/$title"),),
    )
    from beets.library import Library

    lib = Library(str(settings.beets_library), str(settings.music_directory))
    state = MirrorState(settings.db)
    with lib.music_dir_context():
        sync.run(lib, config, state, plan(lib, config, state, "title:song"), jobs=1, progress=False)
    mirror_file = (tmp_path / "mirror/Artist/song.opus").read_bytes()
    response = get(app, items["song"], format="opus", maxBitRate="128")
    assert response.data == mirror_file
    assert int(response.headers["Content-Length"]) == len(mirror_file)
    part = get(app, items["song"], headers={"Range": "bytes=0-99"}, format="opus")
    assert part.status_code == 206 and part.data == mirror_file[:100]
    assert transcoder(app).active_encoders() == 0 and not transcoder(app).cache.entries()
    later = get(app, items["song"], format="opus", timeOffset="2")
    assert decoded(later.data, tmp_path)["container_seconds"] == pytest.approx(4.0, abs=0.03)
    assert not transcoder(app).cache.entries()  # copied from the mirror, not encoded
    smaller = get(app, items["song"], format="opus", maxBitRate="64")
    assert smaller.data != mirror_file  # the mirror is above the cap: transcoded instead


def test_broken_source_is_a_subsonic_error_and_leaves_no_cache_entry(served) -> None:
    app, items, _ = served
    response = get(app, items["broken"], format="opus", f="json")
    assert error_of(response)["code"] == 0
    assert "Cannot transcode" in error_of(response)["message"]
    wait_for(lambda: transcoder(app).active_encoders() == 0)
    assert not transcoder(app).cache.entries()


def test_truncated_source_ends_the_stream_early_and_is_not_cached(served) -> None:
    app, items, _ = served
    response = get(app, items["truncated"], format="opus", estimateContentLength="true")
    assert response.status_code == 200
    assert len(response.data) < int(response.headers["Content-Length"])  # ended, not padded
    wait_for(lambda: transcoder(app).active_encoders() == 0)
    assert not transcoder(app).cache.entries()


def test_client_hanging_up_stops_the_encoder(served) -> None:
    app, items, _ = served
    threads_before = threading.active_count()
    response = get(app, items["long"], buffered=False, format="opus")
    assert next(iter(response.response)).startswith(b"OggS")
    assert transcoder(app).active_encoders() == 1
    response.close()
    wait_for(lambda: threading.active_count() <= threads_before, timeout=2.0)
    assert transcoder(app).active_encoders() == 0
    assert not transcoder(app).cache.entries()
    assert not list(transcoder(app).cache.tmp.iterdir())


def test_too_many_encoders_per_user_is_a_clear_error(served) -> None:
    app, items, _ = served
    running = [
        get(app, items["long"], buffered=False, format="opus", timeOffset=str(n)) for n in (1, 2)
    ]
    busy = get(app, items["long"], format="opus", timeOffset="3", f="json")
    assert "alice already has 2 transcodes running" in error_of(busy)["message"]
    for response in running:
        response.close()


def test_songs_advertise_the_default_transcode_and_offsets_are_advertised(served) -> None:
    app, items, _ = served
    client = app.test_client()
    song = json.loads(
        client.get(
            "/rest/getSong", query_string={**AUTH, "id": f"tr-{items['song'].id}", "f": "json"}
        ).data
    )["subsonic-response"]["song"]
    assert (song["transcodedSuffix"], song["transcodedContentType"]) == ("opus", "audio/ogg")
    xml = client.get("/rest/getSong", query_string={**AUTH, "id": f"tr-{items['song'].id}"}).data
    assert b'transcodedSuffix="opus"' in xml
    extensions = json.loads(client.get("/rest/getOpenSubsonicExtensions?f=json").data)
    assert {"name": "transcodeOffset", "versions": [1]} in extensions["subsonic-response"][
        "openSubsonicExtensions"
    ]


@pytest.mark.parametrize("suffix", ["opus", "mp3"])
def test_a_transcode_carries_the_songs_tags(served, tmp_path: Path, suffix: str) -> None:
    import mutagen

    app, items, _ = served
    response = get(app, items["song"], format=suffix, maxBitRate="96")
    saved = tmp_path / f"saved.{suffix}"
    saved.write_bytes(response.data)
    tags = mutagen.File(saved, easy=True)
    assert tags is not None
    assert (tags["title"], tags["artist"]) == (["song"], ["Artist"])
    assert "album" not in tags  # a singleton: no "[Singles]" written into the file
