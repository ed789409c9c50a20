"""knuckles against the served library: GET or form POST, salted token or plain ``p`` passwords
(non-ASCII ones too), ``requests`` underneath."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import knuckles
import pytest
import requests

from tests.subsonic.clients.expected import (
    ALBUM_TRACKS,
    ARTISTS,
    GENRES,
    RED_COVER,
    close_to,
    dominant_colour,
    song_file,
)
from tests.subsonic.conftest import ADMIN, ADMIN_PASSWORD, LISTENER, LISTENER_PASSWORD
from tests.subsonic.server import RunningServer

pytestmark = pytest.mark.integration


def knuckles_client(
    server: RunningServer, user: str = ADMIN, password: str = ADMIN_PASSWORD, **options: Any
) -> knuckles.Subsonic:
    return knuckles.Subsonic(
        f"127.0.0.1:{server.port}", user, password, "knuckles-test", use_https=False, **options
    )


def test_knuckles_sees_an_opensubsonic_server(server: RunningServer) -> None:
    # knuckles' own get_open_subsonic_extensions() cannot be used: it calls .items() on the
    # extension list, which the spec (and beetcrate) send as a JSON array. A client bug.
    answer = knuckles_client(server).system.ping()
    assert answer.status == "ok"
    assert answer.open_subsonic is True
    assert answer.version == "1.16.1"


def test_knuckles_logs_in_with_a_plain_non_ascii_password(server: RunningServer) -> None:
    client = knuckles_client(server, LISTENER, LISTENER_PASSWORD, use_token=False)
    assert client.system.ping().status == "ok"


def test_knuckles_logs_in_with_a_salted_token_of_a_non_ascii_password(
    server: RunningServer,
) -> None:
    # The token is md5 over the password's UTF-8 bytes and the salt.
    client = knuckles_client(server, LISTENER, LISTENER_PASSWORD)
    assert [artist.name for artist in client.browsing.get_artists()] == ARTISTS


def test_knuckles_gets_an_album_in_disc_and_track_order(
    server: RunningServer, album_ids: dict[str, str]
) -> None:
    album = knuckles_client(server).browsing.get_album(album_ids["Double Trouble"])
    assert album.name == "Double Trouble"
    assert album.song_count == 4
    assert [song.title for song in album.songs] == ALBUM_TRACKS["Double Trouble"]
    assert [song.suffix for song in album.songs] == ["mp3"] * 4


def test_knuckles_gets_an_artists_albums(server: RunningServer) -> None:
    client = knuckles_client(server)
    testers = next(a for a in client.browsing.get_artists() if a.name == "The Testers")
    artist = client.browsing.get_artist(testers.id)
    assert [album.name for album in artist.albums] == ["Blue Album"]


def test_knuckles_search_matches_word_prefixes(server: RunningServer) -> None:
    result = knuckles_client(server).searching.search(query="chans")
    assert sorted(song.title for song in result.songs) == ["Chanson 1", "Chanson 2"]


def test_knuckles_random_songs_honour_genre_and_years(server: RunningServer) -> None:
    client = knuckles_client(server)
    jazz = client.lists.get_random_songs(num_of_songs=50, genre_name="Jazz")
    assert sorted(song.title for song in jazz) == ["Chanson 1", "Chanson 2"]
    decade = client.lists.get_random_songs(num_of_songs=50, from_year=2000, to_year=2010)
    expected = ALBUM_TRACKS["Blue Album"] + ALBUM_TRACKS["Double Trouble"]
    assert sorted(song.title for song in decade) == sorted(expected)


def test_knuckles_stream_url_resumes_at_the_requested_byte(
    server: RunningServer, song_ids: dict[str, str]
) -> None:
    url = knuckles_client(server).media_retrieval.stream(song_ids["Disc 1 Track 1"])
    original = song_file(server, "double1")
    answer = requests.get(url, headers={"Range": "bytes=500-"}, timeout=30)
    assert answer.status_code == 206
    assert answer.content == original[500:]


def test_knuckles_downloads_embedded_cover_art(
    server: RunningServer, album_ids: dict[str, str], tmp_path: Path
) -> None:
    path = knuckles_client(server).media_retrieval.get_cover_art(
        album_ids["Double Trouble"], tmp_path
    )
    assert close_to(dominant_colour(path.read_bytes()), RED_COVER)


def test_knuckles_form_post_with_a_plain_non_ascii_password(server: RunningServer) -> None:
    # The form body is UTF-8, percent-encoded: "ü" must arrive as "ü", not as two Latin-1 chars.
    client = knuckles_client(
        server,
        LISTENER,
        LISTENER_PASSWORD,
        use_token=False,
        request_method=knuckles.RequestMethod.POST,
    )
    genres = client.browsing.get_genres()
    assert {genre.value: (genre.song_count, genre.album_count) for genre in genres} == GENRES
