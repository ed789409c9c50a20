"""Media over HTTP as players fetch it: streams resumed with Range, HEAD for the length, covers
asked for by many threads at once, and failures answered as Subsonic errors."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from PIL import Image

from tests.subsonic.clients.expected import song_file
from tests.subsonic.server import HttpApi, RunningServer

pytestmark = pytest.mark.integration


def test_stream_range_resumes_with_206_and_content_range(
    server: RunningServer, http: HttpApi, song_ids: dict[str, str]
) -> None:
    original = song_file(server, "blue3")
    size = len(original)
    params = {**http.credentials(), "id": song_ids["Blue Song 3"]}
    url = f"{server.url}/rest/stream"

    whole = requests.get(url, params=params, timeout=30)
    assert whole.status_code == 200
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.content == original

    resumed = requests.get(url, params=params, headers={"Range": "bytes=1000-"}, timeout=30)
    assert resumed.status_code == 206
    assert resumed.headers["Content-Range"] == f"bytes 1000-{size - 1}/{size}"
    assert int(resumed.headers["Content-Length"]) == size - 1000
    assert resumed.content == original[1000:]

    first = requests.get(url, params=params, headers={"Range": "bytes=0-99"}, timeout=30)
    assert (first.status_code, first.content) == (206, original[:100])
    tail = requests.get(url, params=params, headers={"Range": "bytes=-100"}, timeout=30)
    assert (tail.status_code, tail.content) == (206, original[-100:])

    # Resuming a download that had already finished: nothing left to send.
    beyond = requests.get(url, params=params, headers={"Range": f"bytes={size}-"}, timeout=30)
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{size}"


def test_stream_head_gives_the_length_without_a_body(
    server: RunningServer, http: HttpApi, song_ids: dict[str, str]
) -> None:
    params = {**http.credentials(), "id": song_ids["Blue Song 3"]}
    head = requests.head(f"{server.url}/rest/stream.view", params=params, timeout=30)
    assert head.status_code == 200
    assert int(head.headers["Content-Length"]) == len(song_file(server, "blue3"))
    assert head.headers["Content-Type"] == "audio/flac"
    assert head.content == b""


def test_concurrent_first_requests_for_a_cover_size_all_get_the_image(
    server: RunningServer, http: HttpApi, album_ids: dict[str, str]
) -> None:
    # A client opening an album grid asks for the same new thumbnail size many times at once.
    # Sixteen sizes nobody asked for before, each by eight threads at the same moment.
    url = f"{server.url}/rest/getCoverArt"
    cover = album_ids["Double Trouble"]

    def fetch(size: int) -> tuple[int, str, bytes]:
        params = {**http.credentials(), "id": cover, "size": size}
        answer = requests.get(url, params=params, timeout=30)
        return size, answer.headers["Content-Type"], answer.content

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(fetch, [size for size in range(200, 216) for _ in range(8)]))
    failures = [(size, kind, body[:200]) for size, kind, body in answers if "image" not in kind]
    assert failures == []
    for size, _, body in answers:
        assert Image.open(io.BytesIO(body)).size == (size, size)


@pytest.mark.parametrize("method", ["stream", "download", "getCoverArt"])
def test_binary_endpoints_answer_failures_as_subsonic_errors(
    http: HttpApi, song_ids: dict[str, str], method: str
) -> None:
    # py-sonic and py-opensonic look at the Content-Type to tell an error from the media.
    missing = "tr-999999"
    assert http.error(method, id=missing) == 70
    if method != "getCoverArt":
        assert http.error(method, id=song_ids["Ghost Track"]) == 70
