"""What strict clients trip over in every answer: ids that must be strings, integers that must
fit in int32, links a song names that must open, and ``isDir`` on album folders."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.subsonic import spec
from tests.subsonic.clients.expected import ALBUM_TRACKS
from tests.subsonic.conftest import ADMIN
from tests.subsonic.server import HttpApi

pytestmark = pytest.mark.integration


ID_FIELDS = {"id", "parent", "albumId", "artistId", "coverArt"}


def crawl(http: HttpApi, album_ids: dict[str, str], song_ids: dict[str, str]) -> Iterator[dict]:
    """The JSON answer of every read endpoint (each also validated in XML and JSON)."""
    artists = http.ok("getArtists")
    yield artists
    for index in artists["artists"]["index"]:
        for artist in index["artist"]:
            yield http.ok("getArtist", id=artist["id"])
            yield http.ok("getMusicDirectory", id=artist["id"])
    for album_id in album_ids.values():
        yield http.ok("getAlbum", id=album_id)
        yield http.ok("getMusicDirectory", id=album_id)
    yield http.ok("getSong", id=song_ids["Blue Song 1"])
    yield http.ok("getMusicFolders")
    yield http.ok("getIndexes")
    yield http.ok("getGenres")
    yield http.ok("getSongsByGenre", genre="Electronic")
    yield http.ok("getAlbumList", type="alphabeticalByArtist", size=500)
    yield http.ok("getAlbumList2", type="newest", size=500)
    yield http.ok("getRandomSongs", size=500)
    yield http.ok("search2", query="", artistCount=500, albumCount=500, songCount=500)
    yield http.ok("search3", query="", artistCount=500, albumCount=500, songCount=500)
    yield http.ok("getUser", username=ADMIN)
    yield http.ok("getUsers")
    yield http.ok("getScanStatus")
    yield http.ok("getLicense")
    yield http.ok("getOpenSubsonicExtensions")


@pytest.fixture(scope="module")
def every_answer(http: HttpApi, album_ids: dict[str, str], song_ids: dict[str, str]) -> list[dict]:
    return list(crawl(http, album_ids, song_ids))


def walk(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (key path, value) of a JSON document, lists flattened into their key."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for value in node:
            yield from walk(value, path)
    else:
        yield path, node


def test_every_id_in_json_is_a_string(every_answer: list[dict]) -> None:
    ids = [
        (path, value)
        for answer in every_answer
        for path, value in walk(answer)
        if path[-1] in ID_FIELDS
        # The one exception, by both specs: MusicFolder ids are integers (xs:int).
        and path[-2:] != ("musicFolder", "id")
    ]
    assert len(ids) > 100
    assert [(path, value) for path, value in ids if not isinstance(value, str)] == []


def test_every_artist_and_album_id_a_song_names_can_be_opened(
    http: HttpApi, every_answer: list[dict]
) -> None:
    # Clients open a song's artist, album and folder straight from the song: a dangling id
    # there is a dead link in the UI (e.g. the track artists of a compilation).
    links: set[tuple[str, str]] = set()
    for answer in every_answer:
        for path, value in walk(answer):
            if path[-1] == "artistId" or path[-2:] in {("artists", "id"), ("albumArtists", "id")}:
                links.add(("getArtist", value))
            elif path[-1] == "albumId":
                links.add(("getAlbum", value))
            elif path[-2:] == ("song", "parent"):
                links.add(("getMusicDirectory", value))
    album_artists = {
        artist["id"]
        for index in http.ok("getArtists")["artists"]["index"]
        for artist in index["artist"]
    }
    track_artists = {link for method, link in links if method == "getArtist"} - album_artists
    assert len(track_artists) == 2  # Singer One and Singer Two, of Summer Hits
    for method, link in sorted(links):
        http.ok(method, id=link)


def xsd_long_attributes() -> set[str]:
    """Attributes the XSD types as xs:long (size, lastModified…): allowed beyond int32."""
    xsd = spec.XSD.read_text()
    return set(re.findall(r'<xs:attribute name="(\w+)" type="xs:long"', xsd))


def test_every_integer_fits_in_int32_unless_the_xsd_says_long(every_answer: list[dict]) -> None:
    longs = xsd_long_attributes()
    assert {"size", "lastModified"} <= longs
    numbers = [
        (path, value)
        for answer in every_answer
        for path, value in walk(answer)
        if isinstance(value, int) and not isinstance(value, bool) and path[-1] not in longs
    ]
    assert len(numbers) > 50
    assert [(p, v) for p, v in numbers if not -(2**31) <= v < 2**31] == []


def test_album_children_of_an_artist_directory_are_dirs(http: HttpApi) -> None:
    for index in http.ok("getIndexes")["indexes"]["index"]:
        for artist in index["artist"]:
            directory = http.ok("getMusicDirectory", id=artist["id"])["directory"]
            assert directory["child"], artist
            assert {child["isDir"] for child in directory["child"]} == {True}
            # And XML clients read the same flag from the attribute.
            xml = http.get("getMusicDirectory", id=artist["id"]).text
            assert xml.count('isDir="true"') == len(directory["child"])
            for album in directory["child"]:
                songs = http.ok("getMusicDirectory", id=album["id"])["directory"]["child"]
                assert {song["isDir"] for song in songs} == {False}


def test_album_list_children_are_dirs(http: HttpApi) -> None:
    albums = http.ok("getAlbumList", type="alphabeticalByName", size=50)["albumList"]["album"]
    assert len(albums) == len(ALBUM_TRACKS)
    assert {album["isDir"] for album in albums} == {True}
