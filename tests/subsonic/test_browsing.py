"""Browsing by tags and by folders over a real beets library."""

from __future__ import annotations

from tests.subsonic.conftest import Api, MusicLibrary


def _artists(api: Api) -> dict[str, dict]:
    indexes = api.ok("getArtists")["artists"]["index"]
    return {artist["name"]: artist for index in indexes for artist in index["artist"]}


def test_artists_are_indexed_by_letter_ignoring_articles(api: Api) -> None:
    indexes = api.ok("getArtists")["artists"]["index"]
    letters = {index["name"]: [a["name"] for a in index["artist"]] for index in indexes}
    assert letters["T"] == ["The Testers"]
    assert letters["E"] == ["Élodie"]
    assert letters["V"] == ["Various Artists"]
    assert "Singer One" not in str(letters)  # track artists of a compilation are not album artists


def test_folder_index_lists_the_same_artists(api: Api) -> None:
    indexes = api.ok("getIndexes")["indexes"]
    names = {artist["name"] for index in indexes["index"] for artist in index["artist"]}
    assert names == set(_artists(api))
    assert indexes["lastModified"] > 0


def test_indexes_unchanged_since_last_modified_are_left_out(api: Api) -> None:
    last = api.ok("getIndexes")["indexes"]["lastModified"]
    assert "index" not in api.ok("getIndexes", ifModifiedSince=last)["indexes"]


def test_artist_directory_lists_albums_as_directories(api: Api) -> None:
    artist = _artists(api)["Zeta Band"]
    directory = api.ok("getMusicDirectory", id=artist["id"])["directory"]
    assert directory["name"] == "Zeta Band"
    assert [(c["title"], c["isDir"]) for c in directory["child"]] == [("Double Trouble", True)]


def test_album_directory_lists_songs_with_file_details(
    api: Api, music_library: MusicLibrary
) -> None:
    album_id = f"al-{music_library.albums['blue']}"
    directory = api.ok("getMusicDirectory", id=album_id)["directory"]
    songs = directory["child"]
    assert [song["title"] for song in songs] == ["Blue Song 1", "Blue Song 2", "Blue Song 3"]
    first = songs[0]
    assert first["isDir"] is False
    assert first["suffix"] == "flac" and first["contentType"] == "audio/flac"
    assert first["path"] == "The Testers/Blue Album (2001)/01 - Blue 1.flac"
    assert first["size"] > 0 and first["duration"] == 1 and first["bitRate"] > 0


def test_multi_disc_album_is_ordered_by_disc_then_track_with_disc_titles(
    api: Api, music_library: MusicLibrary
) -> None:
    album = api.ok("getAlbum", id=f"al-{music_library.albums['double']}")["album"]
    assert [(s["discNumber"], s["track"]) for s in album["song"]] == [
        (1, 1),
        (1, 2),
        (2, 1),
        (2, 2),
    ]
    assert album["discTitles"] == [{"disc": 1, "title": "Part 1"}, {"disc": 2, "title": "Part 2"}]
    assert album["songCount"] == 4 and album["year"] == 2010
    assert {g["name"] for g in album["song"][0]["genres"]} == {"Electronic", "Ambient"}


def test_compilation_keeps_track_artists_under_various_artists(
    api: Api, music_library: MusicLibrary
) -> None:
    album = api.ok("getAlbum", id=f"al-{music_library.albums['hits']}")["album"]
    assert album["isCompilation"] is True
    assert album["artist"] == "Various Artists"
    assert [s["artist"] for s in album["song"]] == ["Singer One", "Singer Two"]
    assert all(s["displayAlbumArtist"] == "Various Artists" for s in album["song"])


def test_singletons_are_gathered_in_their_artists_singles_album(api: Api) -> None:
    artist = api.ok("getArtist", id=_artists(api)["Élodie"]["id"])["artist"]
    assert [album["name"] for album in artist["album"]] == ["[Singles]"]
    singles = api.ok("getAlbum", id=artist["album"][0]["id"])["album"]
    assert {s["title"] for s in singles["song"]} == {"Chanson 1", "Chanson 2", "Ghost Track"}


def test_get_song_has_opensubsonic_fields(api: Api, music_library: MusicLibrary) -> None:
    song = api.ok("getSong", id=f"tr-{music_library.items['blue2'].id}")["song"]
    assert song["title"] == "Blue Song 2"
    assert song["samplingRate"] == 44100 and song["channelCount"] == 2
    assert song["genres"] == [{"name": "Rock"}]
    assert song["artists"][0]["name"] == "The Testers"
    assert song["albumId"] == f"al-{music_library.albums['blue']}"


def test_genres_count_songs_and_albums(api: Api) -> None:
    genres = {g["value"]: g for g in api.ok("getGenres")["genres"]["genre"]}
    assert genres["Rock"]["songCount"] == 3 and genres["Rock"]["albumCount"] == 1
    assert genres["Pop"]["songCount"] == 2
    assert genres["Jazz"]["songCount"] == 2


def test_music_folders_has_the_library(api: Api) -> None:
    folders = api.ok("getMusicFolders")["musicFolders"]["musicFolder"]
    assert folders == [{"id": 1, "name": "music"}]
