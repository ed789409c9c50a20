"""Searching: search2 (folder-style results), search3 (ID3 results) and the old search.

An empty query, or the literal ``""``, matches everything in a stable order, so that clients
that sync the whole library by paging search3 get every song exactly once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from subsonic.responses import Payload

if TYPE_CHECKING:
    from subsonic.api import ApiRequest
    from subsonic.library import Row


def _query(request: ApiRequest) -> str:
    return (request.get("query") or "").strip().strip('"').strip()


def _page(request: ApiRequest, kind: str) -> tuple[int, int]:
    return (
        request.get_int(f"{kind}Count", 20, minimum=0),
        request.get_int(f"{kind}Offset", 0, minimum=0),
    )


def _results(request: ApiRequest) -> tuple[list[Row], list[Row], list[Row]]:
    library = request.services.library
    query = _query(request)
    return (
        library.search_artists(query, *_page(request, "artist")),
        library.search_albums(query, *_page(request, "album")),
        library.search_songs(query, *_page(request, "song")),
    )


def search3(request: ApiRequest) -> Payload:
    artists, albums, songs = _results(request)
    return {
        "searchResult3": {
            "artist": request.nodes.artists(artists),
            "album": request.nodes.albums(albums),
            "song": request.nodes.songs(songs),
        }
    }


def search2(request: ApiRequest) -> Payload:
    artists, albums, songs = _results(request)
    return {
        "searchResult2": {
            "artist": request.nodes.index_artists(artists),
            "album": request.nodes.album_children(albums),
            "song": request.nodes.songs(songs),
        }
    }


def search(request: ApiRequest) -> Payload:
    """The pre-1.4 search: songs matching every word of ``any``, ``artist``, ``album`` and
    ``title`` together. ``totalHits`` counts the hits up to this page's end."""
    words = " ".join(request.get(name) or "" for name in ("any", "artist", "album", "title"))
    count = request.get_int("count", 20, minimum=0)
    offset = request.get_int("offset", 0, minimum=0)
    songs = (
        request.services.library.search_songs(words.strip(), count, offset) if words.strip() else []
    )
    return {
        "searchResult": {
            "offset": offset,
            "totalHits": offset + len(songs),
            "match": [request.nodes.song(row) for row in songs],
        }
    }
