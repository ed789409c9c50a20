"""Browsing, the part that comes from outside services elsewhere: artist and album info, top
songs and similar songs, from the library and its users' plays, and from Last.fm where a key
is set (``subsonic.lastfm_info``: cached, never waited for).

- Info: MusicBrainz ids from beets; image links to covers this server has (signed, expiring
  links that carry no credentials: ``subsonic.image_links``); biographies, notes and Last.fm's
  pages and images from Last.fm.
- Similar artists and songs: ranked by ``subsonic.similarity`` among candidates the library
  draws on its indexes (same genres, alike artists, nearby tempo).
- Top songs: most played over all users, then best rated, then discography order
  (``topSongsByArtistId``: ``id`` names the artist and wins over ``artist``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import zip_longest
from typing import TYPE_CHECKING

from flask import request as http_request

from beetcrate.beetsdb import split_list
from beetcrate.lastfm_info import TrackRef
from subsonic import ids, nodes, similarity
from subsonic.browsing import found
from subsonic.covers import CoverError
from subsonic.library import TrackName
from subsonic.names import sort_key
from subsonic.responses import MISSING_PARAMETER, ApiError, Element, Payload

if TYPE_CHECKING:
    from subsonic.api import ApiRequest
    from subsonic.library import Library, Row

# Cover sizes of the small, medium and large image links.
IMAGE_SIZES = {"smallImageUrl": 300, "mediumImageUrl": 600, "largeImageUrl": 1200}
# How many candidates of each kind (same genres, alike artists, nearby tempo) are ranked.
CANDIDATES = 300
# How many alike artists lend their songs to similar songs.
ALIKE_ARTISTS = 10
# Below this sonic similarity (0 to 1) a song does not sound like the seed at all: it is not
# offered as similar for its sound (it may still be for its genre or artist).
MIN_SONIC_SIMILARITY = 0.1


def _item(request: ApiRequest, *kinds: str) -> tuple[str, Row]:
    """The artist, album or song the ``id`` parameter names, and its kind."""
    item_id = request.require("id")
    kind, _ = ids.parse(item_id, *kinds)
    library = request.services.library
    if kind == "ar":
        return kind, found(library.artist(item_id), "Artist", item_id)
    if kind == "al":
        return kind, found(library.album(item_id), "Album", item_id)
    return kind, found(library.song(ids.parse_song(item_id)), "Song", item_id)


def _artist_of(request: ApiRequest, kind: str, row: Row) -> Row:
    if kind == "ar":
        return row
    artist = request.services.library.artist(row["artist_id"])
    return found(artist, "Artist", row["artist_id"])


def _images(request: ApiRequest, cover_id: str) -> Payload:
    """Links to the cover of ``cover_id`` in three sizes, or none if it has no art of its own
    (a placeholder is for cover grids, not for an info page)."""
    try:
        request.services.covers.get(cover_id, IMAGE_SIZES["smallImageUrl"], placeholder=False)
    except CoverError:
        return {}
    links = request.services.image_links
    return {
        field: Element(f"{http_request.url_root}beetcrate/image/{links.token(cover_id, size)}")
        for field, size in IMAGE_SIZES.items()
    }


def similar_artists(library: Library, artist: Row, count: int) -> list[tuple[Row, float]]:
    """Album artists most like ``artist``, with how alike (0 to 1), most alike first."""
    mine = library.artist_song_genres(artist["id"])
    candidates = set(library.album_artists_in_genres(list(mine), CANDIDATES))
    if artist["tempo"]:
        window = similarity.tempo_window(artist["tempo"])
        candidates |= set(library.album_artists_by_tempo(*window, CANDIDATES))
    candidates.discard(artist["id"])
    rows = library.artists_by_ids(list(candidates))
    profiles = library.album_artist_genres([row["id"] for row in rows])
    scored = [
        (
            similarity.artist_score(
                mine, profiles.get(row["id"], {}), artist["tempo"], row["tempo"]
            )
            / similarity.ARTIST_SCORE_MAX,
            row,
        )
        for row in rows
    ]
    scored.sort(key=lambda pair: (-pair[0], pair[1]["name_key"], pair[1]["id"]))
    return [(row, score) for score, row in scored if score > 0][:count]


def _named_artists(library: Library, names: Sequence[str]) -> list[Row]:
    """The library's artists among ``names``, in that order."""
    found: dict[str, Row] = {}
    for name in names:
        row = library.artist(ids.artist_id(name.strip()))
        if row is not None and row["album_count"]:
            found.setdefault(row["id"], row)
    return list(found.values())


def _topped_up(first: Sequence[Row], then: Sequence[Row], count: int, key: str) -> list[Row]:
    """``first``, then what of ``then`` is not in it, ``count`` at most."""
    merged = {row[key]: row for row in first}
    for row in then:
        merged.setdefault(row[key], row)
    return list(merged.values())[:count]


def _artist_info(
    request: ApiRequest, similar_nodes: Callable[[Sequence[Row]], list[Payload]]
) -> Payload:
    kind, row = _item(request)
    artist = _artist_of(request, kind, row)
    count = request.get_int("count", 20, minimum=0)
    library, lastfm = request.services.library, request.services.lastfm
    local = [similar for similar, _ in similar_artists(library, artist, count)]
    # Last.fm's answer where it is cached already (``subsonic.lastfm_info``), the library's
    # own otherwise and to fill up: a request never waits for Last.fm.
    info = lastfm.artist(artist["name"])
    named = lastfm.similar_artists(artist["name"]) or ()
    similar = _topped_up(
        [other for other in _named_artists(library, named) if other["id"] != artist["id"]],
        local,
        count,
        "id",
    )
    mbid = artist["mbid"] or (info.mbid if info else "")
    return nodes.compact(
        {
            "biography": Element(info.biography) if info and info.biography else None,
            "musicBrainzId": Element(mbid) if mbid else None,
            "lastFmUrl": Element(info.url) if info and info.url else None,
            **_images(request, artist["id"]),
            "similarArtist": similar_nodes(similar),
        }
    )


def get_artist_info(request: ApiRequest) -> Payload:
    return {"artistInfo": _artist_info(request, request.nodes.index_artists)}


def get_artist_info2(request: ApiRequest) -> Payload:
    return {"artistInfo2": _artist_info(request, request.nodes.artists)}


def _album_info(request: ApiRequest) -> Payload:
    kind, row = _item(request, "al", "tr")
    library = request.services.library
    album = row if kind == "al" else found(library.album(row["album_id"]), "Album", row["album_id"])
    info = request.services.lastfm.album(album["artist"], album["name"])
    mbid = album["mb_albumid"] or (info.mbid if info else "")
    # The library's own cover first; Last.fm's images where the library has none.
    images = _images(request, album["id"]) or {
        f"{size}ImageUrl": Element(url) for size, url in (info.images if info else {}).items()
    }
    return {
        "albumInfo": nodes.compact(
            {
                "notes": Element(info.notes) if info and info.notes else None,
                "musicBrainzId": Element(mbid) if mbid else None,
                "lastFmUrl": Element(info.url) if info and info.url else None,
                **images,
            }
        )
    }


def get_album_info(request: ApiRequest) -> Payload:
    return _album_info(request)


def get_album_info2(request: ApiRequest) -> Payload:
    return _album_info(request)


def get_top_songs(request: ApiRequest) -> Payload:
    library = request.services.library
    count = request.get_int("count", 50, minimum=0)
    artist_id = request.get("id")
    if artist_id:
        ids.parse(artist_id, "ar")
        found(library.artist(artist_id), "Artist", artist_id)
    else:
        name = request.get("artist")
        if not name:
            raise ApiError(MISSING_PARAMETER, "Required parameter is missing: artist or id")
        # An unknown name has no songs, like a name Last.fm does not know.
        artist_id = ids.artist_id(name.strip())
    artist = library.artist(artist_id)
    songs = _top_songs(request, artist, count) if artist else []
    return {"topSongs": {"song": request.nodes.songs(songs)}}


def _track_names(tracks: Sequence[TrackRef]) -> list[TrackName]:
    return [
        TrackName(track.mbid, sort_key(track.artist.strip()), sort_key(track.title))
        for track in tracks
    ]


def _song_traits(row: Row) -> similarity.Song:
    return similarity.Song(
        genres=tuple(split_list(row["genres"])),
        artist_ids=(row["artist_id"], row["albumartist_id"]),
        tempo=row["bpm"],
        camelot=row["camelot"],
        energy=row["energy"],
    )


def _seed(library: Library, kind: str, row: Row) -> tuple[similarity.Seed, set[int]]:
    """What songs are compared with, and the songs left out (the seed's own)."""
    if kind == "tr":
        traits = _song_traits(row)
        genres = dict.fromkeys(traits.genres, 1.0)
        artist_id, own_artists, left_out = row["artist_id"], traits.artist_ids, {row["item_id"]}
    else:
        # An album or an artist: the mix of genres of its songs, its mean tempo.
        artist_id = row["artist_id"] if kind == "al" else row["id"]
        counts = (
            library.album_song_genres(row["id"])
            if kind == "al"
            else library.artist_song_genres(row["id"])
        )
        genres = {genre: float(songs) for genre, songs in counts.items()}
        traits = similarity.Song(genres=(), artist_ids=(), tempo=row["tempo"])
        own_artists = (artist_id,)
        left_out = (
            {album_song["item_id"] for album_song in library.album_songs(row["id"])}
            if kind == "al"
            else set()
        )
    artist = library.artist(artist_id)
    alike = similar_artists(library, artist, ALIKE_ARTISTS) if artist else []
    seed = similarity.Seed(
        genres=genres,
        artists={
            **{other["id"]: score for other, score in alike},
            **dict.fromkeys(own_artists, 1.0),
        },
        tempo=traits.tempo,
        camelot=traits.camelot,
        energy=traits.energy,
    )
    return seed, left_out


def similar_songs(
    library: Library,
    kind: str,
    row: Row,
    count: int,
    sonic: Mapping[int, float] | None = None,
) -> list[Row]:
    """Songs most like a song, an album or an artist's music, most alike first. ``sonic``:
    for an analysed song, the sonic engine's most similar songs and their similarity."""
    seed, left_out = _seed(library, kind, row)
    candidates = set(sonic or ())
    candidates |= set(library.song_ids_in_genres(list(seed.genres), CANDIDATES))
    candidates |= set(library.song_ids_on_albums_of(list(seed.artists), CANDIDATES))
    if seed.tempo:
        window = similarity.tempo_window(seed.tempo)
        candidates |= set(library.song_ids_by_tempo(*window, CANDIDATES))
    scored = [
        (
            similarity.song_score(
                seed,
                _song_traits(song),
                None if sonic is None else sonic.get(song["item_id"], 0.0),
            ),
            song,
        )
        for song in library.songs(candidates - left_out).values()
    ]
    scored.sort(key=lambda pair: (-pair[0], pair[1]["item_id"]))
    return [song for score, song in scored if score > 0][:count]


def _sonic_neighbours(request: ApiRequest, kind: str, row: Row) -> dict[int, float] | None:
    """For a song the DJ analysis measured: the sonic engine's nearest songs (the engine of
    getSonicSimilarTracks), so similar songs sound alike, not only share tags."""
    if kind != "tr" or (row["camelot"] is None and row["energy"] is None):
        return None
    from beetcrate.crates.sonic import UnknownTrack

    try:
        index = request.services.sonic.index(request.services.library)
        neighbours = index.similar(row["item_id"], CANDIDATES)
    except UnknownTrack:  # gone from beets since the catalog listed it
        return None
    return {
        found.item_id: found.similarity
        for found in neighbours
        if found.similarity >= MIN_SONIC_SIMILARITY
    }


def _lastfm_similar_songs(request: ApiRequest, kind: str, row: Row, count: int) -> list[Row]:
    """What Last.fm finds similar and the library has: for a song, its similar tracks; for
    an album or an artist, the top songs of its similar artists, taken in turns."""
    library, lastfm = request.services.library, request.services.lastfm
    if kind == "tr":
        tracks = lastfm.similar_tracks(row["artist"], row["title"]) or ()
        return library.songs_named(_track_names(tracks))
    artist = row if kind == "ar" else library.artist(row["artist_id"])
    if artist is None:
        return []
    others = _named_artists(library, lastfm.similar_artists(artist["name"]) or ())
    per_artist = [_top_songs(request, other, count) for other in others[:ALIKE_ARTISTS]]
    return [song for turn in zip_longest(*per_artist) for song in turn if song is not None]


def _top_songs(request: ApiRequest, artist: Row, count: int) -> list[Row]:
    """An artist's top songs: Last.fm's that the library has, in Last.fm's order, then the
    library's most played and best rated."""
    library = request.services.library
    local = library.top_songs(artist["id"], count)
    tracks = request.services.lastfm.top_tracks(artist["name"]) or ()
    popular = [
        song
        for song in library.songs_named(_track_names(tracks))
        if artist["id"] in (song["artist_id"], song["albumartist_id"])
    ]
    return _topped_up(popular, local, count, "item_id")


def _similar_songs(request: ApiRequest) -> list[Payload]:
    kind, row = _item(request)
    count = request.get_int("count", 50, minimum=0)
    sonic = _sonic_neighbours(request, kind, row)
    local = similar_songs(request.services.library, kind, row, count, sonic)
    own = {row["item_id"]} if kind == "tr" else set()
    lastfm = [
        s for s in _lastfm_similar_songs(request, kind, row, count) if s["item_id"] not in own
    ]
    return request.nodes.songs(_topped_up(lastfm, local, count, "item_id"))


def get_similar_songs(request: ApiRequest) -> Payload:
    return {"similarSongs": {"song": _similar_songs(request)}}


def get_similar_songs2(request: ApiRequest) -> Payload:
    return {"similarSongs2": {"song": _similar_songs(request)}}
