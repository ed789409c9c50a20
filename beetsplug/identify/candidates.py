"""From AcoustID's recordings to beets' album and track candidates, scored as beets scores them.

Recording and release ids become ``AlbumInfo``/``TrackInfo`` through beets' own MusicBrainz
source (so ``musicbrainz: host/https/ratelimit`` apply), and their distances come from beets'
own distance functions, with one difference: where the fingerprint confirmed that a file *is* a
track of the candidate, the file's title, artist and album tags are not held against the
candidate (a tagless or mis-tagged file is what the fingerprint stage is for). Everything the
fingerprint does not vouch for still counts: lengths, track numbers, missing and extra tracks.
Once files are fingerprinted, every candidate, from the tags or the fingerprints, also carries
beets' ``track_id`` penalty for the files whose recording it gets wrong (``weigh_recordings``):
what ``chroma``'s recording-id bonus meant to do before beets 2.5 dropped its hook.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from beets.autotag.distance import distance, track_distance
from beets.autotag.match import AlbumMatch, TrackMatch, assign_items
from beets.util import get_most_common_tags

from beetcrate.attribution import label
from beetsplug.identify.lookup import RecordingHit

if TYPE_CHECKING:
    from beets.autotag.hooks import AlbumInfo, TrackInfo
    from beets.library import Item
    from beetsplug.musicbrainz import MusicBrainzPlugin

FINGERPRINT = "fingerprint"  # the source label of every candidate found here


@dataclass(frozen=True)
class ReleaseVote:
    """A release some of an album's files point to, through their recordings."""

    release_id: str
    tracks: int  # files whose matched recordings appear on it


def release_votes(evidence: Sequence[Sequence[RecordingHit]]) -> list[ReleaseVote]:
    """The releases the files' recordings appear on, the one most files share first (ties: the
    order AcoustID gave them in). Each file votes once per release."""
    counts: Counter[str] = Counter()
    for hits in evidence:
        counts.update({release for hit in hits for release in hit.release_ids})
    return [ReleaseVote(release, n) for release, n in counts.most_common()]


def track_candidates(
    mb: MusicBrainzPlugin, item: Item, hits: Sequence[RecordingHit], limit: int
) -> list[TrackMatch]:
    """A singleton's candidates: the recordings its fingerprint matched, as beets' tracks."""
    matches = []
    for hit in hits[:limit]:
        info = mb.track_for_id(hit.recording_id)
        if info is None:
            continue
        label(info, FINGERPRINT)
        stand_in = _as_confirmed(item, info)
        matches.append(TrackMatch(track_distance(stand_in, info, incl_artist=True), info, item))
    return matches


def album_candidate(
    mb: MusicBrainzPlugin,
    items: Sequence[Item],
    evidence: Sequence[Sequence[RecordingHit]],
    release_id: str,
) -> AlbumMatch | None:
    """The release ``release_id`` as a candidate for ``items`` (``evidence`` per item)."""
    info = mb.album_for_id(release_id)
    if info is None or not info.tracks:
        return None
    label(info, FINGERPRINT)
    original: dict[int, Item] = {}
    stand_ins = []
    for item, hits in zip(items, evidence, strict=True):
        recordings = {hit.recording_id for hit in hits}
        track = next((t for t in info.tracks if t.track_id in recordings), None)
        stand_in = _as_confirmed(item, track, info) if track is not None else item.copy()
        original[id(stand_in)] = item
        stand_ins.append(stand_in)
    pairs, extra_items, extra_tracks = assign_items(stand_ins, info.tracks)
    dist = distance(get_most_common_tags(stand_ins), info, pairs, len(extra_items))
    return AlbumMatch(
        dist,
        info,
        {original[id(stand_in)]: track for stand_in, track in pairs},
        [original[id(stand_in)] for stand_in in extra_items],
        extra_tracks,
    )


def weigh_recordings(
    match: AlbumMatch | TrackMatch, hits: Mapping[int, Sequence[RecordingHit]]
) -> None:
    """Add beets' ``track_id`` penalty to ``match``: the share of its fingerprinted files whose
    recording, by the fingerprint, is not the track the match gives them (``hits`` by the
    ``id`` of each item). The audio's identity then counts for or against every candidate, from
    the tags or the fingerprint alike: a song whose tags name another song of the same length no
    longer ties with its own recording."""
    pairs = (
        list(match.mapping.items()) if isinstance(match, AlbumMatch) else [(match.item, match.info)]
    )
    judged = [(item, track) for item, track in pairs if hits.get(id(item))]
    if not judged:
        return
    contradicted = sum(
        track.track_id not in {hit.recording_id for hit in hits[id(item)]} for item, track in judged
    )
    match.distance.add("track_id", contradicted / len(judged))


def _as_confirmed(item: Item, track: TrackInfo, album: AlbumInfo | None = None) -> Item:
    """A copy of ``item`` whose names are the ones the fingerprint confirmed, for scoring only
    (the recording id itself is weighed by ``weigh_recordings``, for every candidate alike)."""
    stand_in = item.copy()
    stand_in.title = track.title or ""
    stand_in.artist = track.artist or (album.artist if album else "") or ""
    if album is not None:
        stand_in.album = album.album or ""
        stand_in.albumartist = album.artist or ""
    return stand_in
