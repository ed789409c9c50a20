"""The fingerprint step: after beets' own matching, before the user (or the quiet fallback).

``Fallback`` is shared by the import stage and ``beet identify``. Given the candidates beets
found from the tags, it does nothing when the best is already closer than
``identify: fingerprint_below``; otherwise it fingerprints the files (once per audio, through
``beetcrate.fingerprints``), asks AcoustID for their recordings and adds the candidates they
lead to, labelled ``fingerprint``. A service that fails is one line on the log and the tag
candidates stand: the step never ends an import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

import requests
import sqlite_utils
from beets.autotag.match import AlbumMatch, Proposal, TrackMatch, _recommendation
from beets.metadata_plugins import get_metadata_source

from beetcrate import fingerprints, media, sidecar
from beetsplug.identify import candidates
from beetsplug.identify.lookup import AcoustidClient, LookupFailed, RecordingHit
from beetsplug.identify.settings import IdentifySettings

if TYPE_CHECKING:
    from beets.library import Item
    from beetsplug.musicbrainz import MusicBrainzPlugin

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Finding:
    """The candidates after the fingerprint step, and what it has to say about them."""

    proposal: Proposal
    note: str = ""  # e.g. which release was chosen when the tracks point to several


class Fallback:
    def __init__(self, settings: IdentifySettings, log: logging.Logger) -> None:
        self.settings = settings
        self.log = log
        self.client = AcoustidClient(settings.acoustid)
        self._off: str | None = None  # why the step is off for the rest of the command
        # The fingerprints computed for items not stored yet, by id(item) (the item is kept so
        # its id stays its own): set on them by ``give_fingerprints`` once a match is chosen,
        # so that provenance, which reads an imported item's own values at the choice, does
        # not take the fingerprint for one of the file's tags.
        self._computed: dict[int, tuple[Item, str]] = {}

    @cached_property
    def db(self) -> sqlite_utils.Database:
        db = sidecar.connect(self.settings.sidecar)
        fingerprints.prepare(db)
        return db

    def close(self) -> None:
        self._computed.clear()
        if "db" in self.__dict__:
            self.db.close()
            del self.__dict__["db"]

    def is_weak(self, proposal: Proposal) -> bool:
        """Whether beets' best candidate is too far for the tags alone to be trusted."""
        found = proposal.candidates
        return not found or float(found[0].distance) >= self.settings.fingerprint_below

    # The two kinds of task --------------------------------------------------------------------

    def for_album(self, items: Sequence[Item], proposal: Proposal) -> Finding:
        """``proposal`` with the releases the files' fingerprints point to added, if it was weak."""
        if not self.is_weak(proposal) or not self._ready():
            return Finding(proposal)
        evidence = self._evidence(items)
        if evidence is None or not any(evidence):
            return Finding(proposal)
        votes = candidates.release_votes(evidence)
        found: list[AlbumMatch] = []
        for vote in votes[: self.settings.max_releases]:
            match = self._guarded(candidates.album_candidate, items, evidence, vote.release_id)
            if match is not None:
                found.append(match)
        hits = {id(item): item_hits for item, item_hits in zip(items, evidence, strict=True)}
        merged = self._merged(proposal, found, hits)
        return Finding(merged, _vote_note(votes, sum(1 for h in evidence if h), merged))

    def for_item(self, item: Item, proposal: Proposal) -> Finding:
        """``proposal`` with the recordings the file's fingerprint matched, if it was weak."""
        if not self.is_weak(proposal) or not self._ready():
            return Finding(proposal)
        evidence = self._evidence([item])
        if not evidence or not evidence[0]:
            return Finding(proposal)
        found = self._guarded(
            candidates.track_candidates, item, evidence[0], self.settings.max_recordings
        )
        return Finding(self._merged(proposal, found or [], {id(item): evidence[0]}))

    # Steps ------------------------------------------------------------------------------------

    def _ready(self) -> bool:
        if self._off is None and not self.settings.acoustid.apikey:
            self._turn_off("no AcoustID API key (identify: acoustid: apikey)")
        if self._off is None and self.mb is None:
            self._turn_off("fingerprint candidates need the musicbrainz plugin (plugins:)")
        return self._off is None

    @cached_property
    def mb(self) -> MusicBrainzPlugin | None:
        return get_metadata_source("musicbrainz")  # type: ignore[return-value]

    def _evidence(self, items: Sequence[Item]) -> list[list[RecordingHit]] | None:
        """Each item's recordings per AcoustID (empty when it has none); None when AcoustID
        cannot be asked."""
        evidence: list[list[RecordingHit]] = []
        for item in items:
            print_ = self._fingerprint(item)
            if print_ is None:
                evidence.append([])
                continue
            try:
                evidence.append(self.client.lookup(print_, self.settings.min_score))
            except LookupFailed as exc:
                self._turn_off(str(exc))
                return None
        return evidence

    def _fingerprint(self, item: Item) -> fingerprints.Fingerprint | None:
        path = item.filepath
        try:
            print_ = fingerprints.fingerprint_of(self.db, path)
        except fingerprints.TooShort:
            self.log.debug("too short to fingerprint: {}", path)
            return None
        except media.MediaError as exc:
            self.log.warning("cannot fingerprint {}: {}", path, exc)
            return None
        self._computed[id(item)] = (item, print_.encoded)
        return print_

    def give_fingerprints(self, items: Iterable[Item]) -> None:
        """Set beets' own ``acoustid_fingerprint`` on those of ``items`` the step fingerprinted
        (stored with them by the caller)."""
        for item in items:
            computed = self._computed.pop(id(item), None)
            if computed is not None and computed[0] is item:
                item.acoustid_fingerprint = computed[1]

    def _guarded(
        self,
        build: Callable[Concatenate[MusicBrainzPlugin, P], R],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R | None:
        """``build(mb, *args)``, or None when MusicBrainz cannot answer (one line, once)."""
        if self._off is not None or self.mb is None:
            return None
        try:
            return build(self.mb, *args, **kwargs)
        except requests.RequestException as exc:
            self._turn_off(f"MusicBrainz could not answer ({exc})")
            return None

    def _merged(
        self,
        proposal: Proposal,
        found: Sequence[AlbumMatch | TrackMatch],
        hits: Mapping[int, Sequence[RecordingHit]],
    ) -> Proposal:
        """Tag and fingerprint candidates together, each weighed by the recordings the
        fingerprints found (``hits`` by item ``id``), closest first; of two for the same release
        or recording, the closer."""
        for match in [*proposal.candidates, *found]:
            candidates.weigh_recordings(match, hits)
        by_id = {match.info.identifier: match for match in proposal.candidates}
        for match in found:
            known = by_id.get(match.info.identifier)
            if known is None or match.distance < known.distance:
                by_id[match.info.identifier] = match
        ordered = sorted(by_id.values(), key=lambda match: match.distance)
        return Proposal(ordered, _recommendation(ordered))

    def _turn_off(self, reason: str) -> None:
        """One line, then no more fingerprint lookups in this command (no waiting per file)."""
        self._off = reason
        self.log.warning("{}; going on without fingerprints", reason)


def _vote_note(
    votes: Sequence[candidates.ReleaseVote], fingerprinted: int, merged: Proposal
) -> str:
    """What to say when the tracks' recordings are on several releases: the one most share, and
    whether it is the candidate offered first (the closest), as it usually is."""
    if len(votes) < 2:
        return ""
    top = votes[0]
    said = (
        f"identify: the tracks' recordings are on {len(votes)} different releases;"
        f" {top.tracks} of the {fingerprinted} fingerprinted tracks share {top.release_id}"
    )
    offered = [match.info.album_id for match in merged.candidates]
    if top.release_id not in offered:
        return f"{said}: MusicBrainz gave no candidate for it"
    if offered[0] == top.release_id:
        return f"{said}: picked it"
    return f"{said}, but {offered[0]} matches closer"
