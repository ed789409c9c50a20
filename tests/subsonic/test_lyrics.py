"""Lyrics from each source (beets' field, files beside the song, tags), in order of precedence,
by song id (structured, OpenSubsonic songLyrics) and by artist and title (Subsonic getLyrics)."""

from __future__ import annotations

from pathlib import Path

import pytest
from beets.library import Item
from mutagen.flac import FLAC
from mutagen.id3 import ID3, SYLT, USLT
from mutagen.mp4 import MP4

from beetcrate.synth.tones import sine
from subsonic.app import create_app
from tests.subsonic.conftest import Api, MusicLibrary, build_library

NOT_FOUND, MISSING_PARAMETER = 70, 10

BEETS_LRC = """[ar:Lyrical Artist]
[ti:Sung Title]
[offset:-120]
[00:01.00]<00:01.00>From <00:01.40>beets
[00:03.50]Second line
"""


def _add(library: MusicLibrary, name: str, title: str) -> Item:
    return library.home.add(f"Lyrics/{name}", sine(1.0, 440.0), title=title, artist="Lyricist")


def _path(item: Item) -> Path:
    return Path(item.path.decode())


def _build(root: Path) -> tuple[MusicLibrary, dict[str, str]]:
    """The test library, and songs with lyrics in each place lyrics are kept."""
    library = build_library(root)
    songs: dict[str, Item] = {}

    # beets' field (not written to the file), beside a .lrc that it takes precedence over.
    item = songs["beets"] = _add(library, "beets.flac", "Beets Field")
    item.lyrics = BEETS_LRC
    item["lyrics_language"] = "EN"
    item.store()
    _path(item).with_suffix(".lrc").write_text("[00:01.00]Not this one\n")

    item = songs["lrc"] = _add(library, "sidecar.flac", "Ça Sidecar")
    _path(item).with_suffix(".lrc").write_text("[la:fr]\n[00:02.00]Une ligne\n", "utf-8-sig")
    _path(item).with_suffix(".txt").write_text("Not this one either\n")

    item = songs["txt"] = _add(library, "plain.flac", "Plain Text")
    _path(item).with_suffix(".txt").write_bytes("First verse\n\nCaf\xe9 verse\n".encode("cp1252"))

    item = songs["id3"] = _add(library, "tagged.mp3", "Tagged")
    tags = ID3(_path(item))
    tags.add(USLT(encoding=3, lang="deu", desc="", text="Erste Zeile\nZweite Zeile"))
    tags.add(
        SYLT(
            encoding=3,
            lang="deu",
            format=2,
            type=1,
            desc="",
            text=[("Zweite Zeile", 3500), ("Erste Zeile", 1000)],
        )
    )
    tags.save()

    # As beets writes synced lyrics: LRC in USLT, and the same lines in SYLT.
    item = songs["twice"] = _add(library, "twice.mp3", "Twice")
    tags = ID3(_path(item))
    tags.add(USLT(encoding=3, lang="eng", desc="", text="[00:01.00]Same\n[00:02.00]Lines"))
    tags.add(
        SYLT(
            encoding=3,
            lang="eng",
            format=2,
            type=1,
            desc="",
            text=[("Same", 1000), ("Lines", 2000)],
        )
    )
    tags.save()

    item = songs["vorbis"] = _add(library, "vorbis.flac", "Vorbis")
    flac = FLAC(_path(item))
    flac["UNSYNCEDLYRICS"] = "Vorbis words"
    flac.save()

    item = songs["mp4"] = _add(library, "apple.m4a", "Apple")
    mp4 = MP4(_path(item))
    mp4["\xa9lyr"] = ["[00:00.50]MP4 words"]
    mp4.save()

    item = songs["none"] = _add(library, "silent.flac", "Silent")
    # Files in its folder that are not named after it are not its lyrics.
    (_path(item).parent / "silent extra.lrc").write_text("[00:01.00]Someone else's\n")
    (_path(item).parent / "lyrics.txt").write_text("Someone else's\n")
    library.home.close()

    ids = {name: f"tr-{item.id}" for name, item in songs.items()}
    ids["ghost"] = f"tr-{library.items['ghost'].id}"
    return library, ids


@pytest.fixture(scope="module")
def lyrical(tmp_path_factory: pytest.TempPathFactory) -> tuple[Api, dict[str, str]]:
    """The API (read-only here) and song ids by where their lyrics are."""
    library, ids = _build(tmp_path_factory.mktemp("lyrics"))
    return Api(create_app(library.settings).test_client()), ids


@pytest.fixture
def api(lyrical: tuple[Api, dict[str, str]]) -> Api:
    return lyrical[0]


@pytest.fixture
def song(lyrical: tuple[Api, dict[str, str]]) -> dict[str, str]:
    return lyrical[1]


def _structured(api: Api, song_id: str) -> list[dict]:
    return api.ok("getLyricsBySongId", id=song_id)["lyricsList"].get("structuredLyrics", [])


def test_beets_lrc_field_is_synced_with_its_metadata_and_language(
    api: Api, song: dict[str, str]
) -> None:
    (lyrics,) = _structured(api, song["beets"])
    assert lyrics == {
        "displayArtist": "Lyrical Artist",
        "displayTitle": "Sung Title",
        "lang": "en",
        "offset": -120,
        "synced": True,
        "line": [{"start": 1000, "value": "From beets"}, {"start": 3500, "value": "Second line"}],
    }


def test_a_lrc_file_beside_the_song_is_read_before_a_txt_file(
    api: Api, song: dict[str, str]
) -> None:
    (lyrics,) = _structured(api, song["lrc"])
    assert lyrics["line"] == [{"start": 2000, "value": "Une ligne"}]
    assert (lyrics["lang"], lyrics["displayTitle"], lyrics["displayArtist"]) == (
        "fr",
        "Ça Sidecar",
        "Lyricist",
    )
    assert lyrics["offset"] == 0


def test_a_txt_file_is_unsynced_text_whatever_its_encoding(api: Api, song: dict[str, str]) -> None:
    (lyrics,) = _structured(api, song["txt"])
    assert lyrics["synced"] is False and lyrics["lang"] == "und"
    assert lyrics["line"] == [{"value": "First verse"}, {"value": ""}, {"value": "Café verse"}]


def test_id3_sylt_and_uslt_frames_are_a_synced_and_an_unsynced_entry(
    api: Api, song: dict[str, str]
) -> None:
    synced, unsynced = _structured(api, song["id3"])
    assert synced["synced"] is True and synced["lang"] == "deu"
    assert synced["line"] == [
        {"start": 1000, "value": "Erste Zeile"},
        {"start": 3500, "value": "Zweite Zeile"},
    ]
    assert unsynced["synced"] is False
    assert [line["value"] for line in unsynced["line"]] == ["Erste Zeile", "Zweite Zeile"]


def test_the_same_lyrics_in_two_frames_are_given_once(api: Api, song: dict[str, str]) -> None:
    (lyrics,) = _structured(api, song["twice"])
    assert lyrics["lang"] == "eng"
    assert lyrics["line"] == [{"start": 1000, "value": "Same"}, {"start": 2000, "value": "Lines"}]


@pytest.mark.parametrize(
    ("name", "line"),
    [("vorbis", {"value": "Vorbis words"}), ("mp4", {"start": 500, "value": "MP4 words"})],
)
def test_vorbis_and_mp4_lyrics_tags_are_read(
    api: Api, song: dict[str, str], name: str, line: dict
) -> None:
    (lyrics,) = _structured(api, song[name])
    assert lyrics["line"] == [line]


@pytest.mark.parametrize("name", ["none", "ghost"])
def test_a_song_without_lyrics_or_without_its_file_has_an_empty_list(
    api: Api, song: dict[str, str], name: str
) -> None:
    assert _structured(api, song[name]) == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"id": "tr-999999"}, NOT_FOUND),
        ({"id": "al-1"}, NOT_FOUND),
        ({"id": "Lyrics/silent.lrc"}, NOT_FOUND),
        ({}, MISSING_PARAMETER),
    ],
)
def test_lyrics_of_no_song_are_an_error(api: Api, params: dict, code: int) -> None:
    assert api.error("getLyricsBySongId", **params) == code


def test_get_lyrics_finds_the_song_by_artist_and_title_ignoring_case_and_accents(
    api: Api,
) -> None:
    lyrics = api.ok("getLyrics", artist="LYRICIST", title="ca sidecar")["lyrics"]
    assert lyrics == {"artist": "Lyricist", "title": "Ça Sidecar", "value": "Une ligne"}


def test_get_lyrics_answers_plain_text_without_times_or_word_stamps(api: Api) -> None:
    lyrics = api.ok("getLyrics", title="Beets Field")["lyrics"]
    assert lyrics["value"] == "From beets\nSecond line"


@pytest.mark.parametrize(
    "params",
    [{"artist": "Somebody Else", "title": "Plain Text"}, {"title": "Silent"}, {}],
)
def test_get_lyrics_without_a_match_answers_empty_lyrics(api: Api, params: dict) -> None:
    lyrics = api.ok("getLyrics", **params)["lyrics"]
    assert lyrics["value"] == ""
    assert {key: lyrics[key] for key in params} == params
