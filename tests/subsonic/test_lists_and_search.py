"""Album and song lists, and search with paging that a full sync can rely on."""

from __future__ import annotations

import pytest

from tests.subsonic.conftest import Api


def _names(body: dict, key: str) -> list[str]:
    return [album["name"] for album in body[key]["album"]]


def test_alphabetical_by_name_pages_with_size_and_offset(api: Api) -> None:
    everything = _names(api.ok("getAlbumList2", type="alphabeticalByName", size=50), "albumList2")
    assert everything == sorted(everything, key=str.casefold)
    page = _names(
        api.ok("getAlbumList2", type="alphabeticalByName", size=2, offset=1), "albumList2"
    )
    assert page == everything[1:3]


def test_by_year_ranges_both_ways(api: Api) -> None:
    rising = api.ok("getAlbumList2", type="byYear", fromYear=2000, toYear=2015)["albumList2"]
    assert [a["year"] for a in rising["album"]] == [2001, 2010]
    falling = api.ok("getAlbumList2", type="byYear", fromYear=2030, toYear=1990)["albumList2"]
    assert [a["year"] for a in falling["album"]] == [2020, 2010, 2001, 1999]


def test_by_genre_uses_every_genre_of_the_songs(api: Api) -> None:
    body = api.ok("getAlbumList2", type="byGenre", genre="Ambient")
    assert _names(body, "albumList2") == ["Double Trouble"]


@pytest.mark.parametrize("list_type", ["highest", "frequent", "recent", "starred"])
def test_user_data_lists_are_valid_and_empty_without_user_data(api: Api, list_type: str) -> None:
    assert api.ok("getAlbumList2", type=list_type)["albumList2"]["album"] == []


def test_folder_style_album_list_has_directories(api: Api) -> None:
    albums = api.ok("getAlbumList", type="newest", size=3)["albumList"]["album"]
    assert len(albums) == 3 and all(album["isDir"] for album in albums)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, 10),
        ({"type": "byYear", "fromYear": 2000}, 10),
        ({"type": "byGenre"}, 10),
        ({"type": "sideways"}, 0),
        ({"type": "newest", "size": "ten"}, 0),
        ({"type": "newest", "offset": -1}, 0),
    ],
)
def test_bad_album_list_parameters_are_errors(api: Api, params: dict, code: int) -> None:
    assert api.error("getAlbumList2", **params) == code


def test_random_songs_respect_size_and_filters(api: Api) -> None:
    songs = api.ok("getRandomSongs", size=3)["randomSongs"]["song"]
    assert len(songs) == 3 and len({s["id"] for s in songs}) == 3
    jazz = api.ok("getRandomSongs", size=50, genre="Jazz")["randomSongs"]["song"]
    assert {s["title"] for s in jazz} == {"Chanson 1", "Chanson 2"}
    old = api.ok("getRandomSongs", size=50, toYear=2005)["randomSongs"]["song"]
    assert old and all(s["year"] <= 2005 for s in old)


def test_songs_by_genre_come_in_pages_by_count_and_offset(api: Api) -> None:
    first = api.ok("getSongsByGenre", genre="Rock", count=2)["songsByGenre"]["song"]
    rest = api.ok("getSongsByGenre", genre="Rock", count=2, offset=2)["songsByGenre"]["song"]
    assert len(first) == 2 and len(rest) == 1
    assert {s["title"] for s in first + rest} == {f"Blue Song {n}" for n in (1, 2, 3)}


def test_search_matches_word_prefixes_across_fields(api: Api) -> None:
    result = api.ok("search3", query="blu")["searchResult3"]
    assert [album["name"] for album in result["album"]] == ["Blue Album"]
    assert len(result["song"]) == 3
    assert api.ok("search3", query="testers song 2")["searchResult3"]["song"][0]["title"] == (
        "Blue Song 2"
    )


def test_search_ignores_accents_and_case(api: Api) -> None:
    result = api.ok("search3", query="ELODIE")["searchResult3"]
    assert [artist["name"] for artist in result["artist"]] == ["Élodie"]


def test_search_with_no_match_is_empty_not_an_error(api: Api) -> None:
    result = api.ok("search3", query="zzzzqqq")["searchResult3"]
    assert result["artist"] == result["album"] == result["song"] == []


@pytest.mark.parametrize("query", ["", '""', None])
def test_empty_query_sync_returns_every_song_exactly_once(api: Api, query: str | None) -> None:
    params = {} if query is None else {"query": query}
    seen: list[str] = []
    offset = 0
    while True:
        page = api.ok(
            "search3", songCount=4, songOffset=offset, artistCount=0, albumCount=0, **params
        )["searchResult3"]["song"]
        if not page:
            break
        seen += [song["id"] for song in page]
        offset += len(page)
    assert len(seen) == len(set(seen)) == 13


def test_search2_returns_folder_style_results(api: Api) -> None:
    result = api.ok("search2", query="double")["searchResult2"]
    assert result["album"][0]["isDir"] is True
    assert result["album"][0]["title"] == "Double Trouble"
