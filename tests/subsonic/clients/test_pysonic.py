"""py-sonic (``libsonic``) against the served library: form POST to ``<method>.view``, salted
token or legacy ``enc:`` passwords, browsing by folders and by tags, streams and covers."""

from __future__ import annotations

import io
from typing import Any

import libsonic
import pytest
from PIL import Image

from tests.subsonic.clients.expected import (
    ALBUM_TRACKS,
    ARTISTS,
    BLUE_COVER,
    GENRES,
    close_to,
    dominant_colour,
    song_file,
)
from tests.subsonic.conftest import ADMIN, ADMIN_PASSWORD, LISTENER, LISTENER_PASSWORD
from tests.subsonic.server import RunningServer

pytestmark = pytest.mark.integration


def pysonic(server: RunningServer, **options: Any) -> libsonic.Connection:
    options = {"username": ADMIN, "password": ADMIN_PASSWORD, **options}
    return libsonic.Connection("http://127.0.0.1", port=server.port, **options)


def test_pysonic_logs_in_with_a_salted_token_and_lists_the_artists(server: RunningServer) -> None:
    client = pysonic(server)
    assert client.ping() is True
    indexes = client.getArtists()["artists"]["index"]
    names = [artist["name"] for index in indexes for artist in index["artist"]]
    assert names == ARTISTS


def test_pysonic_logs_in_with_a_legacy_hex_encoded_password(server: RunningServer) -> None:
    client = pysonic(server, legacyAuth=True)
    assert client.getLicense()["license"]["valid"] is True


def test_pysonic_legacy_login_with_a_non_ascii_password(server: RunningServer) -> None:
    # py-sonic hexes code points, not UTF-8 bytes (the spec's reading); the server accepts both.
    client = pysonic(server, username=LISTENER, password=LISTENER_PASSWORD, legacyAuth=True)
    assert client.getLicense()["license"]["valid"] is True


def test_pysonic_wrong_password_raises_the_credentials_error(server: RunningServer) -> None:
    client = pysonic(server, password="not the password")
    with pytest.raises(libsonic.errors.CredentialError):
        client.getLicense()


def test_pysonic_browses_folders_from_the_index_down_to_the_tracks(server: RunningServer) -> None:
    client = pysonic(server)
    indexes = client.getIndexes()["indexes"]["index"]
    assert [index["name"] for index in indexes] == ["B", "E", "T", "V", "Z"]
    zeta = next(a for i in indexes for a in i["artist"] if a["name"] == "Zeta Band")
    albums = client.getMusicDirectory(zeta["id"])["directory"]["child"]
    assert [(album["title"], album["isDir"]) for album in albums] == [("Double Trouble", True)]
    album = client.getMusicDirectory(albums[0]["id"])["directory"]
    # Folder clients walk back up through ``parent``.
    assert album["parent"] == albums[0]["parent"] == zeta["id"]
    tracks = album["child"]
    assert [track["title"] for track in tracks] == ALBUM_TRACKS["Double Trouble"]
    assert {track["isDir"] for track in tracks} == {False}
    assert [(t["discNumber"], t["track"]) for t in tracks] == [(1, 1), (1, 2), (2, 1), (2, 2)]


def test_pysonic_walks_every_artist_and_album_by_tags(server: RunningServer) -> None:
    client = pysonic(server)
    seen: dict[str, list[str]] = {}
    for index in client.getArtists()["artists"]["index"]:
        for artist in index["artist"]:
            detail = client.getArtist(artist["id"])["artist"]
            assert len(detail["album"]) == artist["albumCount"]
            for album in detail["album"]:
                songs = client.getAlbum(album["id"])["album"]["song"]
                assert len(songs) == album["songCount"]
                seen[album["name"]] = [song["title"] for song in songs]
    assert seen == ALBUM_TRACKS


def test_pysonic_search3_finds_songs_and_albums_by_word(server: RunningServer) -> None:
    result = pysonic(server).search3("blue")["searchResult3"]
    assert sorted(song["title"] for song in result["song"]) == ALBUM_TRACKS["Blue Album"]
    assert [album["name"] for album in result["album"]] == ["Blue Album"]


def test_pysonic_lists_albums_alphabetically_and_genres_with_counts(server: RunningServer) -> None:
    client = pysonic(server)
    albums = client.getAlbumList2("alphabeticalByName", size=50)["albumList2"]["album"]
    names = [album["name"] for album in albums]
    assert sorted(names) == sorted(ALBUM_TRACKS)
    assert names == sorted(names, key=str.casefold)
    genres = client.getGenres()["genres"]["genre"]
    assert {g["value"]: (g["songCount"], g["albumCount"]) for g in genres} == GENRES


def test_pysonic_folder_style_search2_and_album_list(server: RunningServer) -> None:
    client = pysonic(server)
    found = client.search2("trouble")["searchResult2"]
    assert [(album["title"], album["isDir"]) for album in found["album"]] == [
        ("Double Trouble", True)
    ]
    by_year = client.getAlbumList("byYear", size=50, fromYear=2000, toYear=2015)["albumList"]
    assert [album["title"] for album in by_year["album"]] == ["Blue Album", "Double Trouble"]
    electronic = client.getSongsByGenre("Electronic", count=50)["songsByGenre"]["song"]
    assert sorted(song["title"] for song in electronic) == ALBUM_TRACKS["Double Trouble"]


def test_pysonic_streams_the_original_file(server: RunningServer, song_ids: dict[str, str]) -> None:
    answer = pysonic(server).stream(song_ids["Blue Song 1"])
    assert answer.headers["Content-Type"] == "audio/flac"
    assert answer.read() == song_file(server, "blue1")


def test_pysonic_gets_a_song_whose_file_vanished_as_not_found(
    server: RunningServer, song_ids: dict[str, str]
) -> None:
    with pytest.raises(libsonic.errors.DataNotFoundError):
        pysonic(server).stream(song_ids["Ghost Track"])


def test_pysonic_cover_art_decodes_and_resizes(
    server: RunningServer, album_ids: dict[str, str]
) -> None:
    client = pysonic(server)
    full = client.getCoverArt(album_ids["Blue Album"]).read()
    assert Image.open(io.BytesIO(full)).size == (600, 600)
    assert close_to(dominant_colour(full), BLUE_COVER)
    small = client.getCoverArt(album_ids["Blue Album"], size=100).read()
    assert Image.open(io.BytesIO(small)).size == (100, 100)


def test_pysonic_gets_a_placeholder_for_a_corrupt_cover_in_any_size(
    server: RunningServer, album_ids: dict[str, str]
) -> None:
    resized = pysonic(server).getCoverArt(album_ids["Broken Art"], size=100).read()
    assert Image.open(io.BytesIO(resized)).size == (100, 100)
    full = pysonic(server).getCoverArt(album_ids["Broken Art"]).read()
    assert Image.open(io.BytesIO(full)).format == "PNG"


def test_pysonic_gets_not_found_for_a_cover_of_nothing(server: RunningServer) -> None:
    with pytest.raises(libsonic.errors.DataNotFoundError):
        pysonic(server).getCoverArt("al-999999")
