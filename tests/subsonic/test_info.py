"""Artist and album info, top songs and similar songs, from the library itself.

The module's library is the test library with a few more facts, set through beets: the Broken
album is Rock and Blues, some songs have tempos, DJ keys and energies, the Blue Album has
MusicBrainz ids; and alice and bob have played and rated some Blue songs.
"""

from __future__ import annotations

import time
from urllib.parse import urlparse

import pytest
from beets.library import Library
from flask import Flask

from subsonic import similarity
from subsonic.app import create_app
from tests.subsonic.conftest import (
    ADMIN,
    ADMIN_PASSWORD,
    LISTENER,
    Api,
    MusicLibrary,
    build_library,
)

ALBUM_MBID = "11111111-2222-3333-4444-555555555555"
ARTIST_MBID = "66666666-7777-8888-9999-000000000000"
# (user, song, plays, rating)
LISTENING = [
    (ADMIN, "blue3", 5, 2),
    (LISTENER, "blue3", 2, None),
    (LISTENER, "blue1", 7, 4),
    (ADMIN, "blue2", 0, 5),
]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> MusicLibrary:
    music = build_library(tmp_path_factory.mktemp("info"))
    lib = Library(str(music.settings.beets_library), str(music.settings.music_directory))

    def tag(name: str, **fields: object) -> None:
        item = lib.get_item(music.items[name].id)
        for field, value in fields.items():
            item[field] = value
        item.store()

    tag("blue1", bpm=120, camelot="8A", energy=0.5, mb_artistid=ARTIST_MBID)
    tag("blue2", bpm=120, camelot="8A", energy=0.5, mb_artistid=ARTIST_MBID)
    tag("single1", bpm=121, camelot="8A", energy=0.5)
    tag("single2", bpm=200, camelot="3B", energy=0.1)
    cracked = next(iter(lib.albums(f"id:{music.albums['broken']}"))).items().get()
    cracked.genres = ["Rock", "Blues"]
    cracked.bpm = 120
    cracked.store()
    blue = lib.get_album(music.albums["blue"])
    blue.mb_albumid = ALBUM_MBID
    blue.store(inherit=False)
    lib._close()
    return music


@pytest.fixture(scope="module")
def app(library: MusicLibrary) -> Flask:
    app = create_app(library.settings)
    with app.extensions["beetcrate"].userdata.transaction() as conn:
        for user, song, plays, rating in LISTENING:
            conn.execute(
                "INSERT INTO user_annotations (user, target, kind, rating, play_count, last_played)"
                " VALUES (?, ?, 'song', ?, ?, ?)",
                [user, f"tr-{library.items[song].id}", rating, plays, time.time()],
            )
    return app


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app.test_client())


def _artist_id(api: Api, name: str) -> str:
    indexes = api.ok("getArtists")["artists"]["index"]
    return next(a["id"] for index in indexes for a in index["artist"] if a["name"] == name)


def _titles(songs: list[dict]) -> list[str]:
    return [song["title"] for song in songs]


def test_artist_info_has_the_musicbrainz_id_cover_links_and_similar_artists(api: Api) -> None:
    testers = _artist_id(api, "The Testers")
    info = api.ok("getArtistInfo2", id=testers)["artistInfo2"]
    assert info["musicBrainzId"] == ARTIST_MBID
    # Broken shares Rock and the tempo; Élodie (Jazz, slower on average) does not.
    assert [artist["name"] for artist in info["similarArtist"]] == ["Broken"]
    assert info["similarArtist"][0]["albumCount"] == 1  # an ArtistID3
    assert set(info) >= {"smallImageUrl", "mediumImageUrl", "largeImageUrl"}


def test_artist_info_of_an_album_or_song_is_its_artists(api: Api, library: MusicLibrary) -> None:
    by_artist = api.ok("getArtistInfo", id=_artist_id(api, "The Testers"))["artistInfo"]
    by_album = api.ok("getArtistInfo", id=f"al-{library.albums['blue']}")["artistInfo"]
    assert (
        by_album["similarArtist"]
        == by_artist["similarArtist"]
        == [{"id": _artist_id(api, "Broken"), "name": "Broken"}]
    )


def test_artist_info_count_bounds_the_similar_artists(api: Api) -> None:
    info = api.ok("getArtistInfo2", id=_artist_id(api, "The Testers"), count=0)["artistInfo2"]
    assert info.get("similarArtist", []) == []


def test_album_info_has_the_musicbrainz_id_and_no_links_without_a_cover(
    api: Api, library: MusicLibrary
) -> None:
    blue = api.ok("getAlbumInfo2", id=f"al-{library.albums['blue']}")["albumInfo"]
    assert blue["musicBrainzId"] == ALBUM_MBID
    by_song = api.ok("getAlbumInfo", id=f"tr-{library.items['blue1'].id}")["albumInfo"]
    assert by_song == blue
    # The Broken Art cover is corrupt: nothing to link to.
    assert api.ok("getAlbumInfo", id=f"al-{library.albums['broken']}")["albumInfo"] == {}


@pytest.mark.parametrize(
    ("method", "params", "code"),
    [
        ("getArtistInfo2", {}, 10),
        ("getArtistInfo2", {"id": "ar-0000000000000000"}, 70),
        ("getAlbumInfo2", {"id": "al-999999"}, 70),
        ("getAlbumInfo", {"id": "ar-0000000000000000"}, 70),
        ("getSimilarSongs", {"id": "tr-999999"}, 70),
        ("getSimilarSongs2", {"id": "nonsense"}, 70),
        ("getTopSongs", {}, 10),
        ("getTopSongs", {"id": "ar-0000000000000000"}, 70),
    ],
)
def test_bad_ids_get_the_spec_error(api: Api, method: str, params: dict, code: int) -> None:
    assert api.error(method, **params) == code


def test_top_songs_rank_by_plays_over_users_then_ratings(api: Api) -> None:
    # blue1: 7 plays rated 4; blue3: 5 + 2 plays rated 2; blue2: unplayed, rated 5.
    songs = api.ok("getTopSongs", artist="The Testers")["topSongs"]["song"]
    assert _titles(songs) == ["Blue Song 1", "Blue Song 3", "Blue Song 2"]


def test_top_songs_by_name_ignore_case_and_by_id_win_over_the_name(api: Api) -> None:
    by_name = api.ok("getTopSongs", artist="the testers", count=2)["topSongs"]["song"]
    assert _titles(by_name) == ["Blue Song 1", "Blue Song 3"]
    zeta = _artist_id(api, "Zeta Band")
    by_id = api.ok("getTopSongs", id=zeta, artist="The Testers")["topSongs"]["song"]
    assert _titles(by_id)[0].startswith("Disc 1") and len(by_id) == 4
    compilation = api.ok("getTopSongs", id=_artist_id(api, "Various Artists"))["topSongs"]
    assert _titles(compilation["song"]) == ["Hit 1", "Hit 2"]


def test_top_songs_of_an_unknown_name_are_none(api: Api) -> None:
    assert api.ok("getTopSongs", artist="Nobody At All")["topSongs"].get("song", []) == []


def test_top_songs_by_artist_id_is_advertised(api: Api) -> None:
    extensions = api.ok("getOpenSubsonicExtensions", auth=False)["openSubsonicExtensions"]
    assert {"name": "topSongsByArtistId", "versions": [1]} in extensions


def test_similar_songs_rank_genre_artist_tempo_key_and_energy(
    api: Api, library: MusicLibrary
) -> None:
    songs = api.ok("getSimilarSongs", id=f"tr-{library.items['blue1'].id}")["similarSongs"]
    # Blue 2: same album, tempo, key and energy; Blue 3: same album; Cracked: Rock and Blues
    # by an alike artist at the same tempo; Chanson 1: only tempo, key and energy alike.
    assert _titles(songs["song"]) == ["Blue Song 2", "Blue Song 3", "Cracked", "Chanson 1"]


def test_similar_songs_of_an_album_leave_the_album_out(api: Api, library: MusicLibrary) -> None:
    songs = api.ok("getSimilarSongs2", id=f"al-{library.albums['blue']}")["similarSongs2"]
    assert _titles(songs["song"]) == ["Cracked", "Chanson 1"]


def test_similar_songs_of_an_artist_include_theirs_and_count_bounds_them(api: Api) -> None:
    testers = _artist_id(api, "The Testers")
    songs = api.ok("getSimilarSongs2", id=testers)["similarSongs2"]["song"]
    assert set(_titles(songs)) == {
        "Blue Song 1",
        "Blue Song 2",
        "Blue Song 3",
        "Cracked",
        "Chanson 1",
    }
    fewer = api.ok("getSimilarSongs2", id=testers, count=2)["similarSongs2"]["song"]
    assert len(fewer) == 2


@pytest.mark.parametrize(
    ("mine", "theirs", "closeness"),
    [
        ("8A", "8A", 1.0),
        ("8A", "9A", 0.75),
        ("12B", "1B", 0.75),
        ("8A", "8B", 0.75),
        ("8A", "9B", 0.0),
        ("8A", "2A", 0.0),
        ("8A", None, 0.0),
        ("H", "8A", 0.0),
    ],
)
def test_key_closeness_follows_the_camelot_wheel(
    mine: str | None, theirs: str | None, closeness: float
) -> None:
    assert similarity.key_closeness(mine, theirs) == closeness


def test_genre_overlap_weighs_each_genre_by_its_share() -> None:
    assert similarity.genre_overlap({"Rock": 3}, {"Rock": 1, "Blues": 1}) == 0.5
    assert similarity.genre_overlap({"Rock": 1, "Pop": 1}, {"Pop": 2, "Rock": 2}) == 1.0
    assert similarity.genre_overlap({"Rock": 1}, {"Jazz": 1}) == 0.0
    assert similarity.genre_overlap({}, {"Jazz": 1}) == 0.0


def test_tempo_closeness_fades_out_within_six_percent() -> None:
    assert similarity.tempo_closeness(120, 120) == 1.0
    assert 0 < similarity.tempo_closeness(120, 124) < 1
    assert similarity.tempo_closeness(120, 128) == 0.0
    assert similarity.tempo_closeness(None, 120) == 0.0


def test_a_song_in_a_neighbouring_key_and_like_energy_ranks_above_one_that_is_not() -> None:
    seed = similarity.Seed(genres={}, artists={}, tempo=120, camelot="8A", energy=0.5)
    near = similarity.Song(genres=(), artist_ids=(), tempo=120, camelot="9A", energy=0.5)
    far = similarity.Song(genres=(), artist_ids=(), tempo=120, camelot="3B", energy=0.1)
    assert similarity.song_score(seed, near) > similarity.song_score(seed, far) > 0


def test_image_links_carry_no_credentials_and_serve_only_their_cover(
    api: Api, library: MusicLibrary
) -> None:
    blue = f"al-{library.albums['blue']}"
    login = {"u": ADMIN, "p": ADMIN_PASSWORD, "v": "1.16.1", "c": "t"}
    info = api.ok("getAlbumInfo2", auth=False, id=blue, **login)["albumInfo"]
    link = urlparse(info["mediumImageUrl"])
    assert link.path.startswith("/beetcrate/image/") and link.query == ""
    assert ADMIN not in info["mediumImageUrl"] and "sesame" not in info["mediumImageUrl"]
    client = api.client
    path = link.path
    served = client.get(path)  # no credentials: a client fetches the link as a plain URL
    assert served.status_code == 200 and served.mimetype.startswith("image/")
    token = path.rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/beetcrate/image/{forged}").status_code == 404
    assert client.get("/beetcrate/image/not-a-link").status_code == 404


def test_an_expired_image_link_is_refused() -> None:
    from subsonic.image_links import LIFETIME_SECONDS, ImageLinks, InvalidLink

    links = ImageLinks(b"key")
    token = links.token("al-1", 300, now=1_000.0)
    assert links.check(token, now=1_000.0 + LIFETIME_SECONDS - 1).cover_id == "al-1"
    with pytest.raises(InvalidLink):
        links.check(token, now=1_000.0 + LIFETIME_SECONDS + 1)
    with pytest.raises(InvalidLink):
        ImageLinks(b"another key").check(token, now=1_000.0)
