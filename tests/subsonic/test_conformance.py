"""Conformance found on the way: the validator checks OpenSubsonic fields per XSD type, and
genres count and list albums consistently when songs carry several genres."""

from __future__ import annotations

import pytest
from beets.library import Library
from xmlschema import XMLSchemaValidationError

from subsonic.app import create_app
from tests.subsonic import spec
from tests.subsonic.conftest import Api, MusicLibrary


def _response(body: str) -> bytes:
    return (
        '<subsonic-response xmlns="http://subsonic.org/restapi" status="ok" version="1.16.1"'
        f' type="beetcrate" serverVersion="1" openSubsonic="true">{body}</subsonic-response>'
    ).encode()


ALBUM_ID3 = 'id="al-1" name="A" songCount="1" duration="1" created="2020-01-01T00:00:00Z"'


def test_an_opensubsonic_field_is_tolerated_on_the_types_whose_schema_has_it() -> None:
    spec.validate_xml(
        _response(f'<albumList2><album {ALBUM_ID3} isCompilation="true"/></albumList2>')
    )
    spec.validate_xml(_response('<tokenInfo username="bob"/>'))


def test_an_opensubsonic_field_fails_on_a_type_whose_schema_lacks_it() -> None:
    # OpenSubsonic has isCompilation on AlbumID3, not on Child.
    child = '<album id="al-1" isDir="true" title="A" isCompilation="true"/>'
    with pytest.raises(XMLSchemaValidationError):
        spec.validate_xml(_response(f"<albumList>{child}</albumList>"))


def test_a_field_neither_spec_knows_fails() -> None:
    with pytest.raises(XMLSchemaValidationError):
        spec.validate_xml(_response(f'<albumList2><album {ALBUM_ID3} mood="calm"/></albumList2>'))


def test_album_children_carry_only_fields_child_allows(api: Api) -> None:
    # Validated per type by Api.ok: folder and list views of albums, and search2.
    for method, params, key in (
        ("getAlbumList", {"type": "alphabeticalByName"}, "albumList"),
        ("search2", {"query": ""}, "searchResult2"),
    ):
        albums = api.ok(method, **params)[key]["album"]
        assert albums and all("isCompilation" not in album for album in albums)


@pytest.fixture
def mixed_genres(own_library: MusicLibrary) -> Api:
    """The test library, where one song of the Blue Album is also Blues, served."""
    settings = own_library.settings
    lib = Library(str(settings.beets_library), str(settings.music_directory))
    item = lib.get_item(own_library.items["blue3"].id)
    item.genres = ["Blues", "Rock"]
    item.store()
    lib._close()
    return Api(create_app(settings).test_client())


def test_genres_count_songs_and_albums_of_each_of_several_genres(mixed_genres: Api) -> None:
    genres = {g["value"]: g for g in mixed_genres.ok("getGenres")["genres"]["genre"]}
    assert (genres["Rock"]["songCount"], genres["Rock"]["albumCount"]) == (3, 1)
    assert (genres["Blues"]["songCount"], genres["Blues"]["albumCount"]) == (1, 1)
    # Double Trouble's four songs are each Electronic and Ambient.
    assert (genres["Ambient"]["songCount"], genres["Ambient"]["albumCount"]) == (4, 1)
    assert (genres["Electronic"]["songCount"], genres["Electronic"]["albumCount"]) == (4, 1)


def test_every_genre_count_matches_its_song_and_album_lists(mixed_genres: Api) -> None:
    for genre in mixed_genres.ok("getGenres")["genres"]["genre"]:
        name = genre["value"]
        songs = mixed_genres.ok("getSongsByGenre", genre=name, count=500)["songsByGenre"]["song"]
        albums = mixed_genres.ok("getAlbumList2", type="byGenre", genre=name, size=500)
        albums = albums["albumList2"]["album"]
        assert len(songs) == genre["songCount"], name
        assert len(albums) == genre["albumCount"], name


def test_albums_by_genre_are_exactly_those_with_a_song_of_that_genre(mixed_genres: Api) -> None:
    every_album = mixed_genres.ok("getAlbumList2", type="alphabeticalByName", size=500)
    album_genres = {}
    for album in every_album["albumList2"]["album"]:
        songs = mixed_genres.ok("getAlbum", id=album["id"])["album"]["song"]
        album_genres[album["name"]] = {g["name"] for song in songs for g in song["genres"]}
    for genre in ("Blues", "Rock", "Ambient", "Pop", "Jazz"):
        listed = mixed_genres.ok("getAlbumList2", type="byGenre", genre=genre, size=500)
        names = {album["name"] for album in listed["albumList2"]["album"]}
        assert names == {name for name, genres in album_genres.items() if genre in genres}
    assert album_genres["Blue Album"] == {"Rock", "Blues"}


def test_an_unknown_genre_lists_no_albums(api: Api) -> None:
    listed = api.ok("getAlbumList2", type="byGenre", genre="Polka")["albumList2"]
    assert listed.get("album", []) == []
