"""AcoustID's ``v2/lookup`` through pyacoustid, the client beets' own ``chroma`` uses.

Unlike ``chroma``, every result above the score threshold is kept (several recordings per file,
each with the releases it appears on), and the endpoint is the configured one: pyacoustid keeps
its base URL per process (``set_base_url``), so it is set before every request. pyacoustid spaces
its requests at most 3 a second across the process, AcoustID's published limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import acoustid

from beetcrate.fingerprints import Fingerprint
from beetsplug.identify.settings import AcoustidSettings

META = "recordings releaseids"  # each result's recordings, and the releases each is on


class LookupFailed(Exception):
    """AcoustID could not answer (network, timeout, refused key, bad answer); one line."""


@dataclass(frozen=True)
class RecordingHit:
    """One recording AcoustID matched a fingerprint to, with how well it matched."""

    recording_id: str
    score: float  # AcoustID's 0..1 score of the fingerprint match
    release_ids: tuple[str, ...]  # releases this recording appears on
    title: str = ""
    artist: str = ""


class AcoustidClient:
    def __init__(self, settings: AcoustidSettings) -> None:
        self.settings = settings

    def lookup(self, print_: Fingerprint, min_score: float) -> list[RecordingHit]:
        """The recordings matching ``print_`` with a score of at least ``min_score``, best first
        (a recording matched by several AcoustID tracks counts once, at its best score)."""
        acoustid.set_base_url(self.settings.url)
        try:
            answer = acoustid.lookup(
                self.settings.apikey,
                print_.encoded,
                print_.duration,
                meta=META,
                timeout=self.settings.timeout,
            )
        except acoustid.AcoustidError as exc:
            raise LookupFailed(f"AcoustID at {self.settings.url}: {exc}") from exc
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            error = answer.get("error", {}) if isinstance(answer, dict) else {}
            message = error.get("message", "no answer") if isinstance(error, dict) else error
            raise LookupFailed(f"AcoustID at {self.settings.url} refused the lookup: {message}")
        return hits_of(answer, min_score)


def hits_of(answer: dict, min_score: float) -> list[RecordingHit]:
    """The recordings of a lookup's answer scoring at least ``min_score``, best first."""
    best: dict[str, RecordingHit] = {}
    for result in answer.get("results") or []:
        score = float(result.get("score") or 0.0)
        if score < min_score:
            continue
        for recording in result.get("recordings") or []:
            recording_id = recording.get("id")
            if not recording_id or (recording_id in best and best[recording_id].score >= score):
                continue
            artists = recording.get("artists") or []
            best[recording_id] = RecordingHit(
                recording_id=recording_id,
                score=score,
                release_ids=tuple(r["id"] for r in recording.get("releases") or [] if "id" in r),
                title=recording.get("title") or "",
                artist=" & ".join(a.get("name", "") for a in artists),
            )
    return sorted(best.values(), key=lambda hit: -hit.score)
