"""A metadata source for the provenance tests: one release and one recording, offline.

``OK Computer`` (release ``rel-okc``) is offered for any album whose tags name it, and the
recording ``Karma Police`` (``rec-karma``) for any singleton, labelled as found by its
fingerprint, as the identify stage labels AcoustID's candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from beets.autotag.hooks import AlbumInfo, TrackInfo
from beets.library import Item
from beets.metadata_plugins import MetadataSourcePlugin

from beetcrate.attribution import label

TITLES = ["Airbag", "Paranoid Android"]


def _track(index: int, title: str) -> TrackInfo:
    return TrackInfo(
        title=title,
        track_id=f"rec-{index}",
        artist="Radiohead",
        length=2.0,
        index=index,
        medium=1,
        medium_index=index,
        data_source="MusicBrainz",
    )


def _release() -> AlbumInfo:
    return AlbumInfo(
        tracks=[_track(n, title) for n, title in enumerate(TITLES, start=1)],
        album="OK Computer",
        album_id="rel-okc",
        artist="Radiohead",
        artist_id="art-radiohead",
        year=1997,
        mediums=1,
        data_source="MusicBrainz",
    )


def _karma() -> TrackInfo:
    info = TrackInfo(
        title="Karma Police",
        track_id="rec-karma",
        artist="Radiohead",
        length=2.0,
        data_source="MusicBrainz",
    )
    label(info, "fingerprint")
    return info


class FakeRelease(MetadataSourcePlugin):
    data_source = "MusicBrainz"

    def album_for_id(self, album_id: str) -> AlbumInfo | None:
        return _release() if album_id == "rel-okc" else None

    def track_for_id(self, track_id: str) -> TrackInfo | None:
        return _karma() if track_id == "rec-karma" else None

    def candidates(
        self, items: Sequence[Item], artist: str, album: str, va_likely: bool
    ) -> Iterable[AlbumInfo]:
        return [_release()] if "computer" in album.lower() else []

    def item_candidates(self, item: Item, artist: str, title: str) -> Iterable[TrackInfo]:
        return [_karma()]
