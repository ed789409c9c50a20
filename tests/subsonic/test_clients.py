"""Real Subsonic clients against beetcrate under real gunicorn, and the known client gotchas.

One gunicorn serves the test library (tests/subsonic/conftest.py) for the whole session,
started with ``beetcrate -c CONFIG serve`` as a user would (tests/subsonic/server.py). Three
client libraries log in, browse, search and stream through their public APIs:

- py-sonic (``libsonic``): form POST to ``<method>.view``, salted token or legacy ``enc:``;
- knuckles: GET (or POST), salted token or plain ``p``, ``requests`` underneath;
- py-opensonic (``libopensonic``): form POST or GET, token, ``enc:`` or ``apiKey``, aiohttp.

The second half checks, over HTTP and against the XSD and the OpenSubsonic schemas, what real
clients are known to trip over: ids that must be strings, integers that must fit in int32,
``isDir`` on album folders, resuming streams with Range, syncing by paging an empty search3,
CORS on errors and preflights, JSONP, form POST, ``.view``, error 40 on HTTP 200, apiKey,
and credentials kept out of the access log.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import knuckles
import libopensonic
import libsonic
import pytest
import requests
from PIL import Image

from tests.subsonic import spec
from tests.subsonic.conftest import ADMIN, ADMIN_PASSWORD, LISTENER, LISTENER_PASSWORD
from tests.subsonic.server import HttpApi, RunningServer, running_server

pytestmark = pytest.mark.integration

T = TypeVar("T")

# What the test library holds (see build_library), as every client must see it. Album
# artists, in index order; beetcrate gathers an artist's singletons as one "[Singles]" album.
ARTISTS = ["Broken", "Élodie", "The Testers", "Various Artists", "Zeta Band"]
ALBUM_TRACKS = {
    "Blue Album": ["Blue Song 1", "Blue Song 2", "Blue Song 3"],
    # Two discs: disc order first, then track order, though the tracks restart at 1.
    "Double Trouble": ["Disc 1 Track 1", "Disc 1 Track 2", "Disc 2 Track 1", "Disc 2 Track 2"],
    "Summer Hits": ["Hit 1", "Hit 2"],
    "Broken Art": ["Cracked"],
    "[Singles]": ["Chanson 1", "Chanson 2", "Ghost Track"],
}
SONG_COUNT = sum(len(tracks) for tracks in ALBUM_TRACKS.values())
GENRES = {  # name: (songCount, albumCount)
    "Ambient": (4, 1),
    "Dance": (2, 1),
    "Electronic": (4, 1),
    "Jazz": (2, 1),
    "Pop": (2, 1),
    "Rock": (3, 1),
}
BLUE_COVER = (20, 40, 200)  # the PNG next to the Blue Album's files
RED_COVER = (200, 30, 30)  # embedded in the first MP3 of Double Trouble


# Fixtures


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("gunicorn")) as running:
        yield running


@pytest.fixture(scope="session")
def http(server: RunningServer) -> HttpApi:
    return HttpApi(server.url)


@pytest.fixture(scope="session")
def album_ids(http: HttpApi) -> dict[str, str]:
    """Album name -> id, as a client discovers them."""
    albums = http.ok("getAlbumList2", type="alphabeticalByName", size=500)["albumList2"]["album"]
    return {album["name"]: album["id"] for album in albums}


@pytest.fixture(scope="session")
def song_ids(http: HttpApi, album_ids: dict[str, str]) -> dict[str, str]:
    """Song title -> id, as a client discovers them."""
    titles = {}
    for album_id in album_ids.values():
        for song in http.ok("getAlbum", id=album_id)["album"]["song"]:
            titles[song["title"]] = song["id"]
    return titles


@pytest.fixture(scope="session")
def bob_api_key(server: RunningServer) -> str:
    # Issued while the server runs, as an admin would: no restart may be needed.
    return server.cli("user", "apikey", LISTENER).strip()


def song_file(server: RunningServer, key: str) -> bytes:
    """The bytes on disk of a library item (keys as in build_library: blue1, double1…)."""
    return Path(server.library.items[key].path.decode()).read_bytes()


def pysonic(server: RunningServer, **options: Any) -> libsonic.Connection:
    options = {"username": ADMIN, "password": ADMIN_PASSWORD, **options}
    return libsonic.Connection("http://127.0.0.1", port=server.port, **options)


def knuckles_client(
    server: RunningServer, user: str = ADMIN, password: str = ADMIN_PASSWORD, **options: Any
) -> knuckles.Subsonic:
    return knuckles.Subsonic(
        f"127.0.0.1:{server.port}", user, password, "knuckles-test", use_https=False, **options
    )


def with_opensonic(
    server: RunningServer,
    scenario: Callable[[libopensonic.AsyncConnection], Awaitable[T]],
    **options: Any,
) -> T:
    """Run ``scenario`` with a py-opensonic connection (its async API: binary answers are
    aiohttp responses, read with ``await``), closing the connection afterwards."""
    if "api_key" not in options:
        options = {"username": ADMIN, "password": ADMIN_PASSWORD, **options}

    async def run() -> T:
        connection = libopensonic.AsyncConnection("http://127.0.0.1", port=server.port, **options)
        try:
            return await scenario(connection)
        finally:
            await connection.cleanup()

    return asyncio.run(run())


def dominant_colour(image_bytes: bytes) -> tuple[int, int, int]:
    image = Image.open(io.BytesIO(image_bytes)).convert("RGB")
    return image.getpixel((image.width // 2, image.height // 2))


def close_to(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    # JPEG re-encoding of resized covers shifts colours a little.
    return all(abs(a - b) <= 12 for a, b in zip(colour, expected, strict=True))


# py-sonic


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


def test_pysonic_gets_a_corrupt_cover_resized_as_not_found(
    server: RunningServer, album_ids: dict[str, str]
) -> None:
    with pytest.raises(libsonic.errors.DataNotFoundError):
        pysonic(server).getCoverArt(album_ids["Broken Art"], size=100)


def test_pysonic_gets_a_corrupt_cover_as_not_found(
    server: RunningServer, album_ids: dict[str, str]
) -> None:
    with pytest.raises(libsonic.errors.DataNotFoundError):
        pysonic(server).getCoverArt(album_ids["Broken Art"])


# knuckles


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


# py-opensonic


def test_opensonic_sees_the_advertised_extensions(server: RunningServer) -> None:
    async def scenario(client: libopensonic.AsyncConnection) -> list[str]:
        return [extension.name for extension in await client.get_open_subsonic_extensions()]

    names = with_opensonic(server, scenario)
    assert {"formPost", "apiKeyAuthentication"} <= set(names)


def test_opensonic_browses_indexes_directories_and_albums(server: RunningServer) -> None:
    async def scenario(client: libopensonic.AsyncConnection) -> tuple[list[str], list[str]]:
        indexes = await client.get_indexes()
        blue_artist = next(a for i in indexes.index for a in i.artist if a.name == "The Testers")
        directory = await client.get_music_directory(blue_artist.id)
        album = await client.get_album(directory.child[0].id)
        return [child.title for child in directory.child], [song.title for song in album.song]

    albums, songs = with_opensonic(server, scenario)
    assert albums == ["Blue Album"]
    assert songs == ALBUM_TRACKS["Blue Album"]


def test_opensonic_search3_finds_a_compilation_and_album_list2_lists_all(
    server: RunningServer,
) -> None:
    async def scenario(client: libopensonic.AsyncConnection) -> tuple[Any, Any]:
        hits = await client.search3("hit")
        newest = await client.get_album_list2("newest", size=50)
        return hits, newest

    hits, newest = with_opensonic(server, scenario)
    assert sorted(song.title for song in hits.song) == ["Hit 1", "Hit 2"]
    assert [album.name for album in hits.album] == ["Summer Hits"]
    assert hits.album[0].is_compilation is True
    assert sorted(album.name for album in newest) == sorted(ALBUM_TRACKS)


def test_opensonic_logs_in_with_a_legacy_password_and_gets_random_songs_by_genre(
    server: RunningServer,
) -> None:
    async def scenario(client: libopensonic.AsyncConnection) -> list[str]:
        return [song.title for song in await client.get_random_songs(size=50, genre="Rock")]

    titles = with_opensonic(server, scenario, legacy_auth=True)
    assert sorted(titles) == ALBUM_TRACKS["Blue Album"]


def test_opensonic_api_key_login(server: RunningServer, bob_api_key: str) -> None:
    async def scenario(client: libopensonic.AsyncConnection) -> Any:
        assert await client.ping() is True
        return await client.get_user(LISTENER)

    user = with_opensonic(server, scenario, api_key=bob_api_key)
    assert user.username == LISTENER
    assert user.admin_role is False


def test_opensonic_start_scan_is_for_admins_and_reports_the_song_count(
    server: RunningServer,
) -> None:
    async def scenario(client: libopensonic.AsyncConnection) -> Any:
        started = await client.start_scan()
        assert started.scanning is True
        return await client.get_scan_status()

    status = with_opensonic(server, scenario)
    assert status.count == SONG_COUNT

    async def listener_scan(client: libopensonic.AsyncConnection) -> Any:
        return await client.start_scan()

    with pytest.raises(libopensonic.errors.AuthError):
        with_opensonic(server, listener_scan, username=LISTENER, password=LISTENER_PASSWORD)


def test_opensonic_streams_the_file_and_resumes_with_range(
    server: RunningServer, song_ids: dict[str, str]
) -> None:
    song = song_ids["Chanson 1"]

    async def scenario(client: libopensonic.AsyncConnection) -> tuple[bytes, int, bytes]:
        whole = await (await client.stream(song)).read()
        partial = await client.stream(song, byte_range="bytes=1000-")
        return whole, partial.status, await partial.read()

    # GET: RFC 9110 defines Range for GET only, so resuming needs use_get (see the next test).
    whole, status, rest = with_opensonic(server, scenario, use_get=True)
    original = song_file(server, "single1")
    assert whole == original
    assert status == 206
    assert rest == original[1000:]


def test_opensonic_stream_by_form_post_ignores_range_and_sends_the_whole_file(
    server: RunningServer, song_ids: dict[str, str]
) -> None:
    # py-opensonic POSTs by default, Range header included. RFC 9110 §14.2 says a server MUST
    # ignore Range on methods other than GET, so the answer is the complete file with 200:
    # correct, and still playable (a client that assumed 206 here would be wrong).
    song = song_ids["Chanson 2"]

    async def scenario(client: libopensonic.AsyncConnection) -> tuple[int, bytes]:
        answer = await client.stream(song, byte_range="bytes=1000-")
        return answer.status, await answer.read()

    status, body = with_opensonic(server, scenario)
    assert status == 200
    assert body == song_file(server, "single2")


def test_opensonic_downloads_the_original_as_an_attachment(
    server: RunningServer, song_ids: dict[str, str]
) -> None:
    async def scenario(client: libopensonic.AsyncConnection) -> tuple[str, bytes]:
        answer = await client.download(song_ids["Blue Song 2"])
        return answer.headers["Content-Disposition"], await answer.read()

    disposition, body = with_opensonic(server, scenario)
    assert disposition.startswith("attachment")
    assert body == song_file(server, "blue2")


# Known client gotchas, over HTTP


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


ID_FIELDS = {"id", "parent", "albumId", "artistId", "coverArt"}


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


def test_get_indexes_answers_no_index_when_nothing_changed_since(http: HttpApi) -> None:
    # Folder clients (DSub…) cache the index and pass its lastModified back (milliseconds).
    # Every catalog sync moves lastModified (a startScan above may still be finishing in a
    # worker), so retry until two answers in a row agree on it.
    for _ in range(10):
        last_modified = http.ok("getIndexes")["indexes"]["lastModified"]
        unchanged = http.ok("getIndexes", ifModifiedSince=last_modified)["indexes"]
        if unchanged["lastModified"] == last_modified:
            break
        time.sleep(0.2)
    assert unchanged["lastModified"] == last_modified
    assert "index" not in unchanged
    changed = http.ok("getIndexes", ifModifiedSince=last_modified - 1)["indexes"]
    assert [index["name"] for index in changed["index"]] == ["B", "E", "T", "V", "Z"]


@pytest.mark.parametrize(
    "query",
    [{"query": ""}, {"query": '""'}, {}],
    ids=["empty query", "literal quotes", "no query"],
)
def test_search3_empty_query_pages_return_every_song_once(
    server: RunningServer, http: HttpApi, query: dict[str, str]
) -> None:
    # A page size that does not divide the library, so the last page is a short one.
    page_size = 4
    seen: list[str] = []
    while True:
        page = http.ok(
            "search3",
            **query,
            artistCount=0,
            albumCount=0,
            songCount=page_size,
            songOffset=len(seen),
        )["searchResult3"]
        songs = page.get("song", [])
        seen += [song["id"] for song in songs]
        if len(songs) < page_size:
            break
    assert len(seen) == len(set(seen)) == SONG_COUNT
    beets_ids = {f"tr-{item.id}" for item in server.library.items.values()}
    assert beets_ids <= set(seen)


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


def test_cors_headers_on_success_and_on_every_kind_of_error(
    server: RunningServer, http: HttpApi, song_ids: dict[str, str]
) -> None:
    origin = {"Origin": "https://web-client.example"}

    def call(method: str, params: dict[str, Any], **headers: str) -> requests.Response:
        url = f"{server.url}/rest/{method}"
        answer = requests.get(url, params=params, headers={**origin, **headers}, timeout=30)
        assert answer.headers.get("Access-Control-Allow-Origin") == "*", (method, answer.headers)
        return answer

    assert 'status="ok"' in call("ping", http.credentials()).text
    wrong_token = {**http.credentials(), "t": "0" * 32}
    assert '<error code="40"' in call("ping", wrong_token).text
    assert '<error code="10"' in call("getAlbum", http.credentials()).text  # no id
    assert '<error code="70"' in call("getAlbum", {**http.credentials(), "id": "al-9999"}).text
    unknown = call("noSuchMethod", http.credentials())
    assert 'status="failed"' in unknown.text
    streamed = call("stream", {**http.credentials(), "id": song_ids["Hit 1"]}, Range="bytes=10-")
    assert streamed.status_code == 206
    # Browser clients can read Content-Range only if it is exposed.
    assert "content-range" in streamed.headers["Access-Control-Expose-Headers"].lower()


@pytest.mark.parametrize("path", ["/rest/search3", "/rest/stream.view"])
def test_options_preflight_allows_form_posts(server: RunningServer, path: str) -> None:
    preflight = requests.options(
        f"{server.url}{path}",
        headers={
            "Origin": "https://web-client.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=30,
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    allowed_methods = preflight.headers["Access-Control-Allow-Methods"].upper()
    assert "POST" in allowed_methods
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in [h.strip() for h in allowed.split(",")]


def test_jsonp_wraps_the_json_answer_in_the_callback(
    http: HttpApi, album_ids: dict[str, str]
) -> None:
    answer = http.get("getAlbum", f="jsonp", callback="cb", id=album_ids["Summer Hits"])
    assert answer.status_code == 200
    assert "javascript" in answer.headers["Content-Type"]
    text = answer.text
    assert text.startswith("cb(") and text.rstrip().endswith(");")
    document = json.loads(text.strip()[len("cb(") : -len(");")])
    spec.validate_json("getAlbum", document)
    assert [s["title"] for s in document["subsonic-response"]["album"]["song"]] == [
        "Hit 1",
        "Hit 2",
    ]


def test_jsonp_also_wraps_errors(server: RunningServer) -> None:
    wrong = HttpApi(server.url, ADMIN, "not the password")
    text = wrong.get("ping", f="jsonp", callback="cb").text
    assert text.startswith("cb(")
    document = json.loads(text.strip()[len("cb(") : -len(");")])
    assert document["subsonic-response"]["error"]["code"] == 40


@pytest.mark.parametrize("method", ["getAlbum", "search3", "getArtists", "getAlbumList2"])
def test_form_post_answers_as_get_does(
    http: HttpApi, album_ids: dict[str, str], method: str
) -> None:
    params = {
        "getAlbum": {"id": album_ids["Double Trouble"]},
        "search3": {"query": "disc"},
        "getArtists": {},
        "getAlbumList2": {"type": "alphabeticalByArtist"},
    }[method]
    for fmt in ("json", "xml"):
        by_get = http.get(method, f=fmt, **params)
        by_post = http.post(method, f=fmt, **params)
        assert by_post.status_code == 200
        assert by_post.headers["Content-Type"] == by_get.headers["Content-Type"]
        assert by_post.content == by_get.content


def test_view_suffix_answers_as_the_bare_method(http: HttpApi, album_ids: dict[str, str]) -> None:
    params = {"id": album_ids["Blue Album"], "f": "json"}
    assert http.get("getAlbum.view", **params).json() == http.get("getAlbum", **params).json()


@pytest.mark.parametrize(
    "credentials",
    [
        {"u": ADMIN, "p": "wrong"},
        {"u": ADMIN, "p": "enc:" + b"wrong".hex()},
        {"u": ADMIN, "t": "0" * 32, "s": "abcdef"},
        {"u": "nobody", "p": ADMIN_PASSWORD},
    ],
    ids=["plain password", "enc password", "token", "unknown user"],
)
def test_wrong_credentials_are_error_40_with_http_200(
    server: RunningServer, credentials: dict[str, str]
) -> None:
    http = HttpApi(server.url)
    assert http.error("ping", auth=False, v="1.16.1", c="test", **credentials) == 40
    # Clients tell an OpenSubsonic server apart even from its failed answers.
    body = http.get("ping", auth=False, v="1.16.1", c="test", f="json", **credentials).json()
    envelope = body["subsonic-response"]
    assert envelope["openSubsonic"] is True
    assert envelope["type"] == "beetcrate"
    assert envelope["version"] == "1.16.1"


@pytest.mark.parametrize("method", ["stream", "download", "getCoverArt"])
def test_binary_endpoints_answer_failures_as_subsonic_errors(
    http: HttpApi, song_ids: dict[str, str], method: str
) -> None:
    # py-sonic and py-opensonic look at the Content-Type to tell an error from the media.
    missing = "tr-999999"
    assert http.error(method, id=missing) == 70
    if method != "getCoverArt":
        assert http.error(method, id=song_ids["Ghost Track"]) == 70


def test_api_key_authenticates_as_its_user(http: HttpApi, bob_api_key: str) -> None:
    key = {"apiKey": bob_api_key, "v": "1.16.1", "c": "test"}
    assert http.ok("getUser", auth=False, username=LISTENER, **key)["user"]["username"] == LISTENER
    # bob is no admin: another user's record is refused, proving who the key logged in as.
    assert http.error("getUser", auth=False, username=ADMIN, **key) == 50


@pytest.mark.parametrize(
    "other",
    [
        pytest.param({"u": LISTENER}, id="u"),
        pytest.param(
            {"p": LISTENER_PASSWORD},
            id="p",
        ),
        pytest.param(
            {"t": "0" * 32, "s": "abcdef"},
            id="t and s",
        ),
    ],
)
def test_api_key_with_other_credentials_is_error_43(
    http: HttpApi, bob_api_key: str, other: dict[str, str]
) -> None:
    # apiKeyAuth.md: "passing in u must be treated as an error 43" and "If multiple
    # conflicting authentication parameters are passed in, the server must return an error 43".
    params = {"apiKey": bob_api_key, **other, "v": "1.16.1", "c": "test"}
    assert http.error("ping", auth=False, **params) == 43


def test_a_new_api_key_revokes_the_previous_one(server: RunningServer, http: HttpApi) -> None:
    # apiKeyAuth.md: servers must allow revoking keys; issuing a new one is how beetcrate does.
    first = server.cli("user", "apikey", ADMIN).strip()
    assert http.ok("ping", auth=False, apiKey=first, v="1.16.1", c="test")
    second = server.cli("user", "apikey", ADMIN).strip()
    assert second != first
    assert http.error("ping", auth=False, apiKey=first, v="1.16.1", c="test") == 44
    assert http.ok("ping", auth=False, apiKey=second, v="1.16.1", c="test")


def test_extensions_answer_without_credentials(http: HttpApi) -> None:
    # getopensubsonicextensions.md: must be publicly accessible; clients call it before login.
    extensions = http.ok("getOpenSubsonicExtensions", auth=False)["openSubsonicExtensions"]
    assert {"name": "apiKeyAuthentication", "versions": [1]} in extensions


def test_unknown_api_key_is_error_44(http: HttpApi) -> None:
    assert http.error("ping", auth=False, apiKey="not-a-key", v="1.16.1", c="test") == 44


def test_credentials_never_reach_the_access_log(server: RunningServer, bob_api_key: str) -> None:
    salt = "5a175a175a17"
    token = hashlib.md5((ADMIN_PASSWORD + salt).encode()).hexdigest()
    secrets = {
        "p": ADMIN_PASSWORD,
        "enc": "enc:" + ADMIN_PASSWORD.encode().hex(),
        "t": token,
        "apiKey": bob_api_key,
    }
    requests_with_secrets = [
        {"u": ADMIN, "p": secrets["p"]},
        {"u": ADMIN, "p": secrets["enc"]},
        {"u": ADMIN, "t": token, "s": salt},
        {"apiKey": bob_api_key},
    ]
    marker = '"GET /rest/getScanStatus'
    before = server.log().count(marker)
    for credentials in requests_with_secrets:
        answer = requests.get(
            f"{server.url}/rest/getScanStatus",
            params={**credentials, "v": "1.16.1", "c": "test", "f": "json"},
            timeout=30,
        )
        assert answer.json()["subsonic-response"]["status"] == "ok"
    # The access log is written after each answer; wait until our lines are there.
    deadline = time.monotonic() + 10
    while server.log().count(marker) < before + len(requests_with_secrets):
        assert time.monotonic() < deadline, server.log()[-2000:]
        time.sleep(0.05)
    log = server.log()
    for value in [*secrets.values(), ADMIN_PASSWORD.replace(" ", "+"), salt, "apiKey="]:
        assert value not in log, value


def beet(server: RunningServer, *args: str) -> None:
    """Run a ``beet`` command on the served library, as its owner would while it is served."""
    done = subprocess.run(
        [sys.executable, "-m", "beets", "-c", str(server.config), *args],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_a_beet_modify_while_serving_reaches_every_gunicorn_worker(
    server: RunningServer, http: HttpApi, song_ids: dict[str, str]
) -> None:
    # Only the database changes (-W: no tag writing), and only a field no other test reads.
    beet(server, "modify", "--yes", "--nowrite", "bpm=137", "title:Blue Song 2")
    song = song_ids["Blue Song 2"]

    def bpm() -> int | None:
        # A new connection each time (no keep-alive session): the kernel hands each one to
        # whichever worker accepts first, so repeated calls reach both workers.
        params = {**http.credentials(), "id": song, "f": "json"}
        answer = requests.get(f"{server.url}/rest/getSong", params=params, timeout=30)
        return answer.json()["subsonic-response"]["song"].get("bpm")

    # Each worker process notices the change on its own; wait until one shows it, then until
    # twenty fresh connections in a row all do.
    deadline = time.monotonic() + 20
    while bpm() != 137:
        assert time.monotonic() < deadline, "the change never showed"
        time.sleep(0.2)
    deadline = time.monotonic() + 20
    while [bpm() for _ in range(20)] != [137] * 20:
        assert time.monotonic() < deadline, "some worker keeps answering the old value"
        time.sleep(0.2)


def tracebacks(log: str) -> list[str]:
    """Each Python traceback in a log: the header, its indented lines and the exception line."""
    found: list[str] = []
    current: list[str] | None = None
    for line in log.splitlines():
        if line.startswith("Traceback (most recent call last):"):
            current = [line]
            continue
        if current is None:
            continue
        current.append(line)
        # Frames are indented; chained exceptions continue with a note and a new traceback.
        chained = not line or line.startswith(("During handling", "The above exception"))
        if not line.startswith((" ", "\t")) and not chained:
            found.append("\n".join(current))
            current = None
    return found


def test_nothing_so_far_made_gunicorn_log_an_error(server: RunningServer) -> None:
    # Last in the file on purpose: every request above has been answered by now. A handler
    # that raised would have left a traceback here even if the client saw a tidy error.
    log = server.log()
    assert tracebacks(log) == []
    assert not re.search(r"\[(ERROR|CRITICAL)\]", log), log[-3000:]
