"""Genres stored on a real beets library from the fake Last.fm: the levels and their fallbacks,
existing genres kept unless ``force``, albums passing theirs to their tracks, every store
attributed to ``lastfm`` (seen by a ``database_change`` listener, as provenance sees it), and
nothing stored when Last.fm cannot be asked."""

from __future__ import annotations

from dataclasses import replace

import pytest
from beets import plugins
from beets.library import Album, Item, Library

from beetcrate import attribution
from beetcrate.genres import (
    GenreLookupError,
    GenreRules,
    GenreSettings,
    GenreSource,
    LastfmTags,
    Level,
    Lookup,
    Tag,
    Vocabulary,
    fill_genres,
    find_genres,
)
from beetcrate.genres.fill import current_genres, lookups_for, stored_values
from beetcrate.synth.tones import sine
from tests.helper import BeetsHome
from tests.scrobbling.fakes import FakeLastfm

ROCK = frozenset({"rock", "indie rock", "jazz", "electronic", "pop"})


def genre_settings(level: Level = Level.ALBUM, force: bool = False, count: int = 2):
    rules = GenreRules(Vocabulary(whitelist=ROCK), count=count, min_weight=10)
    return GenreSettings(GenreSource.LASTFM, level, rules, force)


@pytest.fixture
def stores() -> list[tuple[str, int, attribution.Attribution | None]]:
    """Every store beets reports (``database_change``), with the attribution in force then."""
    seen: list[tuple[str, int, attribution.Attribution | None]] = []
    probe = plugins.BeetsPlugin("genre_probe")

    def changed(lib: Library, model: Item | Album) -> None:
        seen.append((type(model).__name__, model.id, attribution.current()))

    probe.register_listener("database_change", changed)
    return seen


def song(home: BeetsHome, title: str, **fields: object) -> Item:
    return home.add(f"{title}.flac", sine(0.2, 440.0), title=title, **fields)


@pytest.fixture
def album(beets_home: BeetsHome) -> Album:
    fields = {"artist": "The Testers", "albumartist": "The Testers", "album": "Blue Album"}
    songs = [song(beets_home, f"Blue Song {n}", **fields) for n in (1, 2)]
    return beets_home.lib.add_album(songs)


def test_an_album_gets_its_genres_and_passes_them_to_its_tracks_attributed_to_lastfm(
    lastfm: FakeLastfm, tags: LastfmTags, album: Album, stores: list
) -> None:
    lastfm.tag("album", "The Testers", "Blue Album", [("indie rock", 100), ("seen live", 90)])
    change = fill_genres(album, genre_settings(), tags)
    assert change is not None
    assert (change.old, change.new) == ((), ("Indie Rock",))
    assert change.lookup == Lookup(Level.ALBUM, "The Testers", "Blue Album")
    assert change.tags == (Tag("indie rock", 100), Tag("seen live", 90))
    album.load()
    assert album.genres == ["Indie Rock"]
    assert [item.genres for item in album.items()] == [["Indie Rock"], ["Indie Rock"]]
    assert {kind for kind, _, _ in stores} == {"Album", "Item"}
    assert {who.source if who else None for _, _, who in stores} == {"lastfm"}
    assert attribution.current() is None


def test_genres_an_object_has_are_kept_unless_force(
    lastfm: FakeLastfm, tags: LastfmTags, album: Album, stores: list
) -> None:
    lastfm.tag("album", "The Testers", "Blue Album", [("jazz", 100)])
    album.genres = ["Pop"]
    album.store()
    stores.clear()
    assert fill_genres(album, genre_settings(), tags) is None
    assert stores == [] and lastfm.top_tag_calls() == []
    change = fill_genres(album, genre_settings(force=True), tags)
    assert change is not None and (change.old, change.new) == (("Pop",), ("Jazz",))
    album.load()
    assert album.genres == ["Jazz"]


def test_the_same_genres_again_store_nothing(
    lastfm: FakeLastfm, tags: LastfmTags, album: Album, stores: list
) -> None:
    lastfm.tag("album", "The Testers", "Blue Album", [("jazz", 100)])
    assert fill_genres(album, genre_settings(), tags) is not None
    stores.clear()
    assert fill_genres(album, genre_settings(force=True), tags) is None
    assert stores == []


def test_a_track_falls_back_to_its_album_then_to_its_artist(
    lastfm: FakeLastfm, tags: LastfmTags, album: Album
) -> None:
    first, second = album.items()
    lastfm.tag("track", "The Testers", "Blue Song 1", [("seen live", 100)])  # nothing passes
    lastfm.tag("artist", "The Testers", "", [("rock", 100)])
    change = fill_genres(first, genre_settings(Level.ITEM), tags)
    assert change is not None and change.level is Level.ARTIST and change.new == ("Rock",)
    lastfm.tag("album", "The Testers", "Blue Album", [("pop", 100)])
    other_run = LastfmTags(tags.settings)
    change = fill_genres(second, genre_settings(Level.ITEM), other_run)
    assert change is not None and change.level is Level.ALBUM and change.new == ("Pop",)
    first.load()
    second.load()
    assert (first.genres, second.genres) == (["Rock"], ["Pop"])


def test_a_track_level_lookup_asks_for_the_track_first(
    lastfm: FakeLastfm, tags: LastfmTags, album: Album
) -> None:
    song = album.items()[0]
    lastfm.tag("track", "The Testers", "Blue Song 1", [("electronic", 100), ("jazz", 50)])
    change = fill_genres(song, genre_settings(Level.ITEM), tags)
    assert change is not None and change.new == ("Electronic", "Jazz")
    assert [call.method for call in lastfm.top_tag_calls()] == ["track.getTopTags"]


def test_the_tracks_of_an_album_share_one_question_per_run(
    lastfm: FakeLastfm, tags: LastfmTags, album: Album
) -> None:
    lastfm.tag("album", "The Testers", "Blue Album", [("rock", 100)])
    for song in album.items():
        assert fill_genres(song, genre_settings(Level.ALBUM), tags) is not None
    assert len(lastfm.top_tag_calls()) == 1


def test_nothing_is_stored_when_no_level_gives_a_genre(
    lastfm: FakeLastfm, tags: LastfmTags, album: Album, stores: list
) -> None:
    lastfm.tag("album", "The Testers", "Blue Album", [("seen live", 100)])
    assert fill_genres(album, genre_settings(), tags) is None
    assert stores == []
    assert [call.method for call in lastfm.top_tag_calls()] == [
        "album.getTopTags",
        "artist.getTopTags",
    ]


def test_genres_off_ask_nothing(lastfm: FakeLastfm, tags: LastfmTags, album: Album) -> None:
    off = replace(genre_settings(), source=GenreSource.NONE)
    assert fill_genres(album, off, tags) is None
    assert lastfm.calls == []


def test_a_last_fm_that_is_down_stores_nothing(
    lastfm: FakeLastfm, tags: LastfmTags, album: Album, stores: list
) -> None:
    lastfm.down()
    with pytest.raises(GenreLookupError, match="cannot be asked"):
        fill_genres(album, genre_settings(), tags)
    assert stores == []
    album.load()
    assert album.genres == []


def test_find_genres_says_what_would_change_and_stores_nothing(
    lastfm: FakeLastfm, tags: LastfmTags, album: Album, stores: list
) -> None:
    lastfm.tag("album", "The Testers", "Blue Album", [("jazz", 100)])
    change = find_genres(album, genre_settings(), tags)
    assert change is not None and change.new == ("Jazz",)
    assert stores == []


def test_lookups_go_from_the_level_down_to_the_artist(album: Album) -> None:
    song = album.items()[0]
    track = Lookup(Level.ITEM, "The Testers", "Blue Song 1")
    on_album = Lookup(Level.ALBUM, "The Testers", "Blue Album")
    artist = Lookup(Level.ARTIST, "The Testers")
    assert lookups_for(song, Level.ITEM) == [track, on_album, artist]
    assert lookups_for(song, Level.ALBUM) == [on_album, artist]
    assert lookups_for(song, Level.ARTIST) == [artist]
    assert lookups_for(album, Level.ITEM) == [on_album, artist]


def test_a_track_without_an_album_skips_the_album_level(beets_home: BeetsHome) -> None:
    single = song(beets_home, "Alone", artist="Solo", album="")
    assert lookups_for(single, Level.ALBUM) == [Lookup(Level.ARTIST, "Solo")]


def test_a_compilation_is_not_asked_about_an_artist(album: Album) -> None:
    album.comp = True
    album.albumartist = "Various Artists"
    assert lookups_for(album, Level.ALBUM) == [Lookup(Level.ALBUM, "Various Artists", "Blue Album")]


def test_a_beets_with_only_the_genre_string_gets_the_genres_joined() -> None:
    assert stored_values(("Rock", "Jazz"), {"genre"}, "; ") == {"genre": "Rock; Jazz"}
    assert stored_values(("Rock", "Jazz"), {"genres"}, "; ") == {"genres": ["Rock", "Jazz"]}
    assert current_genres({"genre": "Rock; Jazz"}, {"genre"}, "; ") == ("Rock", "Jazz")
    assert current_genres({"genre": ""}, {"genre"}, "; ") == ()
