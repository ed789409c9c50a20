"""Artist and album info, top and similar songs, internet radio and the features not offered,
with real clients over the shared gunicorn, as alice (admin) and bob (listener) side by side.
Nothing here changes the server."""

from __future__ import annotations

import knuckles
import libopensonic
import pytest
import requests

from tests.subsonic.clients.expected import ALBUM_TRACKS, BLUE_COVER, close_to, dominant_colour
from tests.subsonic.clients.test_knuckles import knuckles_client
from tests.subsonic.clients.test_opensonic import with_opensonic
from tests.subsonic.clients.test_pysonic import pysonic
from tests.subsonic.conftest import LISTENER, LISTENER_PASSWORD
from tests.subsonic.server import RunningServer

pytestmark = pytest.mark.integration


def test_pysonic_top_songs_are_the_same_for_both_users_before_anyone_plays(
    server: RunningServer,
) -> None:
    alice = pysonic(server)
    bob = pysonic(server, username=LISTENER, password=LISTENER_PASSWORD)
    for client in (alice, bob):
        songs = client.getTopSongs("The Testers")["topSongs"]["song"]
        assert [song["title"] for song in songs] == ALBUM_TRACKS["Blue Album"]


def test_pysonic_album_info_links_to_a_cover_the_server_sends(
    server: RunningServer, album_ids: dict[str, str]
) -> None:
    info = pysonic(server).getAlbumInfo2(album_ids["Blue Album"])["albumInfo"]
    image = requests.get(info["mediumImageUrl"], timeout=30)
    assert image.status_code == 200
    assert close_to(dominant_colour(image.content), BLUE_COVER)


def test_pysonic_old_search_finds_songs(server: RunningServer) -> None:
    matches = pysonic(server).search(any="chanson")["searchResult"]["match"]
    assert sorted(match["title"] for match in matches) == ["Chanson 1", "Chanson 2"]


def test_opensonic_artist_info_similar_songs_and_top_songs_by_id(
    server: RunningServer, album_ids: dict[str, str]
) -> None:
    async def scenario(connection: libopensonic.AsyncConnection) -> tuple:
        artists = [a for index in (await connection.get_artists()).index for a in index.artist]
        zeta = next(artist for artist in artists if artist.name == "Zeta Band")
        info = await connection.get_artist_info2(zeta.id)
        similar = await connection.get_similar_songs2(album_ids["Blue Album"])
        extensions = {e.name for e in await connection.get_open_subsonic_extensions()}
        return info, similar, extensions

    info, similar, extensions = with_opensonic(server, scenario)
    assert info.similar_artist in (None, [])  # no other artist shares Zeta Band's genres
    assert info.large_image_url and "/beetcrate/image/" in info.large_image_url
    # A plain URL: the client fetches it without credentials.
    image = requests.get(info.large_image_url, timeout=30)
    assert image.status_code == 200 and image.headers["Content-Type"].startswith("image/")
    # The Blue Album is the only Rock: nothing else is like it, and its own songs are left out.
    assert similar in (None, [])
    assert "topSongsByArtistId" in extensions


def test_knuckles_top_songs_and_internet_radio_as_a_listener(server: RunningServer) -> None:
    bob = knuckles_client(server, LISTENER, LISTENER_PASSWORD)
    songs = bob.browsing.get_top_songs("Zeta Band", 2)
    assert [song.title for song in songs] == ALBUM_TRACKS["Double Trouble"][:2]
    assert bob.internet_radio.get_internet_radio_stations() == []


def test_opensonic_lists_of_features_not_offered_are_empty(server: RunningServer) -> None:
    async def scenario(connection: libopensonic.AsyncConnection) -> tuple:
        return await connection.get_podcasts(), await connection.get_shares()

    podcasts, shares = with_opensonic(
        server, scenario, username=LISTENER, password=LISTENER_PASSWORD
    )
    assert (podcasts or []) == [] and (shares or []) == []


def test_knuckles_creating_a_share_is_refused_as_not_offered(server: RunningServer) -> None:
    with pytest.raises(knuckles.exceptions.ErrorCode50, match="not offered"):
        knuckles_client(server).sharing.create_share(["tr-1"])
