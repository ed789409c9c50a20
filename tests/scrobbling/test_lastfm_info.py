"""Last.fm behind getArtistInfo2, getAlbumInfo2, getTopSongs and getSimilarSongs2: the answers
of a fake Last.fm API (over TLS, through pylast) merged with the library's own, cached in the
sidecar and fetched off the request path; a Last.fm that is down never slows a client."""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest
from flask import Flask

from subsonic.lastfm_info import LastfmInfo
from tests.scrobbling.conftest import Served
from tests.scrobbling.fakes import Call, FakeLastfm, LastfmError
from tests.subsonic.conftest import Api

BIOGRAPHY = 'The Testers test things. <a href="https://www.last.fm/music/The+Testers">More</a>'


def _artist_xml(name: str, similar: list[str]) -> str:
    similar_xml = "".join(
        f"<artist><name>{escape(other)}</name><url>https://www.last.fm/music/x</url></artist>"
        for other in similar
    )
    return (
        f"<artist><name>{escape(name)}</name><mbid>5f1bd8b3-0000-4000-8000-000000000001</mbid>"
        f"<url>https://www.last.fm/music/The+Testers</url><similar>{similar_xml}</similar>"
        f"<bio><summary>{escape(BIOGRAPHY)}</summary></bio></artist>"
    )


@pytest.fixture
def lastfm_catalogue(lastfm: FakeLastfm, served: Served) -> FakeLastfm:
    """What the fake Last.fm knows of the served library's artists, albums and tracks."""

    @lastfm.method("artist.getInfo")
    def artist_info(call: Call) -> str:
        if call.params["artist"] != "The Testers":
            raise LastfmError(6, "The artist you supplied could not be found")
        return _artist_xml("The Testers", ["Nobody Here", "Ads"])

    @lastfm.method("artist.getSimilar")
    def similar_artists(call: Call) -> str:
        return (
            '<similarartists artist="The Testers"><artist><name>Nobody Here</name></artist>'
            "<artist><name>Ads</name></artist></similarartists>"
        )

    @lastfm.method("album.getInfo")
    def album_info(call: Call) -> str:
        return (
            "<album><name>Blue Album</name><artist>The Testers</artist>"
            "<url>https://www.last.fm/music/The+Testers/Blue+Album</url>"
            '<image size="small">https://img.example/s.png</image>'
            '<image size="large">https://img.example/l.png</image>'
            "<wiki><summary>Their blue period.</summary></wiki></album>"
        )

    blue2 = served.songs["blue2"]

    @lastfm.method("artist.getTopTracks")
    def top_tracks(call: Call) -> str:
        # Blue Song 3 by its title, Blue Song 2 by its MusicBrainz id under another title,
        # and a track the library does not have.
        return (
            '<toptracks artist="The Testers">'
            "<track><name>blue song 3</name><mbid></mbid>"
            "<artist><name>The Testers</name></artist></track>"
            f"<track><name>Blue (Remaster)</name><mbid>{blue2.mb_trackid}</mbid>"
            "<artist><name>The Testers</name></artist></track>"
            "<track><name>Not Here</name><artist><name>The Testers</name></artist></track>"
            "</toptracks>"
        )

    @lastfm.method("track.getSimilar")
    def similar_tracks(call: Call) -> str:
        return (
            '<similartracks track="Blue Song 1" artist="The Testers">'
            "<track><name>Jingle</name><artist><name>Ads</name></artist></track>"
            "</similartracks>"
        )

    return lastfm


def _filled(app: Flask, api: Api, method: str, **params: object) -> dict:
    """Ask, let the background fetch land, and ask again: the cached answer."""
    api.ok(method, **params)
    info: LastfmInfo = app.extensions["beetcrate"].lastfm
    assert info.wait_idle(20.0)
    return api.ok(method, **params)


def test_artist_info_gives_last_fm_biography_url_and_similar_artists_in_the_library(
    app: Flask, alice: Api, served: Served, lastfm_catalogue: FakeLastfm
) -> None:
    artist_id = served.id("blue1")
    info = _filled(app, alice, "getArtistInfo2", id=artist_id)["artistInfo2"]
    assert info["biography"] == BIOGRAPHY
    assert info["lastFmUrl"] == "https://www.last.fm/music/The+Testers"
    # "Nobody Here" is not in the library: only Ads is offered, first, as Last.fm ranks it.
    assert [artist["name"] for artist in info["similarArtist"]][:1] == ["Ads"]
    # The calls were the application's: signed by nobody, one per item.
    methods = [call.method for call in lastfm_catalogue.calls]
    assert methods.count("artist.getInfo") == 1 and methods.count("artist.getSimilar") == 1


def test_album_info_gives_notes_and_last_fm_images_where_the_library_has_no_cover(
    app: Flask, alice: Api, served: Served, lastfm_catalogue: FakeLastfm
) -> None:
    info = _filled(app, alice, "getAlbumInfo2", id=served.id("blue1"))["albumInfo"]
    assert info["notes"] == "Their blue period."
    assert info["lastFmUrl"] == "https://www.last.fm/music/The+Testers/Blue+Album"
    assert info["smallImageUrl"] == "https://img.example/s.png"
    assert info["largeImageUrl"] == "https://img.example/l.png"


def test_top_songs_follow_last_fm_matched_by_musicbrainz_id_then_title(
    app: Flask, alice: Api, served: Served, lastfm_catalogue: FakeLastfm
) -> None:
    songs = _filled(app, alice, "getTopSongs", artist="The Testers", count=3)["topSongs"]["song"]
    assert [song["title"] for song in songs] == ["Blue Song 3", "Blue Song 2", "Blue Song 1"]


def test_similar_songs_put_last_fm_tracks_the_library_has_first(
    app: Flask, alice: Api, served: Served, lastfm_catalogue: FakeLastfm
) -> None:
    songs = _filled(app, alice, "getSimilarSongs2", id=served.id("blue1"))["similarSongs2"]["song"]
    titles = [song["title"] for song in songs]
    assert titles[0] == "Jingle"
    assert "Blue Song 1" not in titles


def test_an_unknown_artist_is_remembered_and_the_local_answer_stands(
    app: Flask, alice: Api, served: Served, lastfm_catalogue: FakeLastfm
) -> None:
    info = _filled(app, alice, "getArtistInfo2", id=served.id("jingle"))["artistInfo2"]
    assert "biography" not in info
    alice.ok("getArtistInfo2", id=served.id("jingle"))
    calls = [c for c in lastfm_catalogue.calls if c.method == "artist.getInfo"]
    assert len(calls) == 1  # "not found" is cached too


def test_a_last_fm_that_is_down_never_slows_the_answer(
    app: Flask, alice: Api, served: Served, lastfm_catalogue: FakeLastfm
) -> None:
    lastfm_catalogue.down()
    # The request answers from the library while the fetch (and its failure) happen aside.
    info = alice.ok("getArtistInfo2", id=served.id("blue1"))["artistInfo2"]
    assert "biography" not in info
    fetcher: LastfmInfo = app.extensions["beetcrate"].lastfm
    assert fetcher.wait_idle(30.0)
    assert "biography" not in alice.ok("getArtistInfo2", id=served.id("blue1"))["artistInfo2"]
    lastfm_catalogue.up()


def test_a_cache_read_never_waits_for_the_sidecars_write_lock(tmp_path) -> None:
    import sqlite3
    import threading

    from beetcrate.settings import LastfmSettings

    info = LastfmInfo(
        LastfmSettings("k" * 32, "s" * 32, "https://127.0.0.1:9/2.0/"), tmp_path / "s.db"
    )
    info._write_connection()  # the cache table exists
    # Another process (a catalog sync) holds the write lock; a fetch waits to store its answer.
    writer = sqlite3.connect(tmp_path / "s.db", check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    storing = threading.Thread(target=info._store, args=("artist:x", None), daemon=True)
    storing.start()
    reading = threading.Thread(target=info.artist, args=("Cher",), daemon=True)
    reading.start()
    reading.join(timeout=10)
    assert not reading.is_alive()  # answered while the lock is still held
    assert storing.is_alive()  # the store is still waiting for it
    writer.rollback()
    storing.join(timeout=30)
