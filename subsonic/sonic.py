"""OpenSubsonic ``sonicSimilarity``: getSonicSimilarTracks and findSonicPath.

Both answer from ``beetcrate.crates.sonic``, the engine behind ``beet crate next`` and ``beet
crate path``: tempo (half and double time alike), key on the Camelot wheel, energy,
danceability, loudness and timbre from the DJ analysis. The index over every track is built
once per version of the library and shared by the process's threads (``SonicIndexCache``);
numpy loads with the first sonic request, not with the server.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from subsonic.responses import GENERIC, NOT_FOUND, ApiError

if TYPE_CHECKING:
    from beetcrate.crates.sonic import SonicIndex
    from subsonic.api import ApiRequest
    from subsonic.crates import CratePlaylists
    from subsonic.library import Library
    from subsonic.responses import Payload

# findSonicPath's default length, as the extension gives it.
DEFAULT_PATH_COUNT = 25
MAX_COUNT = 500


class SonicIndexCache:
    """The similarity index over the catalog's songs as they are now (so no hidden duplicate
    takes a place), rebuilt when the catalog changes.

    Only the first sonic request builds it while the client waits (1.7 s at 100,000 songs).
    After that a change of the library is followed in the background: after this process's
    catalog sync (``refresh``), or, when another gunicorn worker synced the shared catalog, from
    the first request to notice. Requests meanwhile answer from the index they have.
    """

    def __init__(self, crates: CratePlaylists) -> None:
        self.crates = crates
        self._index: SonicIndex | None = None
        self._version: str | None = None
        self._lock = threading.Lock()  # one build at a time
        self._rebuilding: threading.Thread | None = None

    def index(self, library: Library) -> SonicIndex:
        index = self._index
        if index is None:
            with self._lock:
                if self._index is None:
                    self._build(library)
                index = self._index
            assert index is not None
        elif library.meta("beets_signature") != self._version:
            self._rebuild_in_background(library)
        return index

    def refresh(self, library: Library) -> None:
        """Bring a built index up to date (after a catalog sync); none is built before a
        client asks for one, so a server nobody asks for similarity never loads numpy."""
        if self._index is not None and library.meta("beets_signature") != self._version:
            with self._lock:
                self._build(library)

    def _rebuild_in_background(self, library: Library) -> None:
        with self._lock:
            if self._rebuilding is not None and self._rebuilding.is_alive():
                return
            self._rebuilding = threading.Thread(
                target=self.refresh, args=(library,), name="beetcrate-sonic", daemon=True
            )
            self._rebuilding.start()

    def _build(self, library: Library) -> None:
        from beetcrate.crates.sonic import SonicIndex

        version = library.meta("beets_signature")
        served = library.song_ids()
        tracks = self.crates.engine.all_tracks()
        self._index = SonicIndex.build([t for t in tracks if t.id in served])
        self._version = version


def _matches(request: ApiRequest, scored: list[tuple[int, float]]) -> Payload:
    library = request.services.library
    nodes = request.nodes.songs_by_id(
        [item_id for item_id, _ in scored], lambda missing: library.songs(missing).values()
    )
    similarity = dict(scored)
    return {
        "sonicMatch": [
            {"entry": node, "similarity": round(similarity[int(node["id"][3:])], 4)}
            for node in nodes
        ]
    }


def get_sonic_similar_tracks(request: ApiRequest) -> Payload:
    from beetcrate.crates.sonic import UnknownTrack

    song_id = request.require("id")
    row = request.song(song_id)
    count = request.get_int("count", 10, minimum=0, maximum=MAX_COUNT)
    try:
        scored = request.services.sonic.index(request.services.library).similar(
            row["item_id"], count
        )
    except UnknownTrack as error:
        raise ApiError(NOT_FOUND, f"Song not found: {song_id}") from error
    return _matches(request, [(found.item_id, found.similarity) for found in scored])


def find_sonic_path(request: ApiRequest) -> Payload:
    from beetcrate.crates.sonic import UnknownTrack

    start_id, end_id = request.require("startSongId"), request.require("endSongId")
    start, end = request.song(start_id)["item_id"], request.song(end_id)["item_id"]
    count = request.get_int("count", DEFAULT_PATH_COUNT, minimum=1, maximum=MAX_COUNT)
    if start == end:
        raise ApiError(GENERIC, "startSongId and endSongId name the same song")
    index = request.services.sonic.index(request.services.library)
    try:
        path = index.path(start, end, max(count, 2))
        similarities = index.similarities(index.row(start))
        # ``count`` is the most songs the path may hold; one holds the start alone.
        shown = path.item_ids[:count]
        from_start = [float(similarities[index.row(item_id)]) for item_id in shown]
    except UnknownTrack as error:
        raise ApiError(NOT_FOUND, str(error)) from error
    return _matches(request, list(zip(shown, from_start, strict=True)))
