"""Local MusicBrainz and AcoustID servers speaking the services' real protocols (plain HTTP, as
self-hosted mirrors often do), serving the catalogue of ``tests.identify.catalogue``.

- ``FakeMusicBrainz``: ``/ws/2/`` in JSON (``fmt=json``): release and recording search (the
  Lucene ``field:(terms)`` queries beets sends, scored by how closely the terms match, typos
  included), and release and recording lookups honouring the ``inc`` parameters (an unknown
  one is a 400, as on musicbrainz.org; an unknown id a 404).
- ``FakeAcoustid``: ``/v2/lookup``: form-encoded POSTs (gzip-compressed bodies too, as
  pyacoustid sends them over HTTP), the application key checked, the submitted fingerprint
  compared with the catalogue's own fingerprints by fingerprint similarity, so a wrong
  fingerprint really finds nothing; ``meta`` decides whether recordings and their releases are
  in the answer. Every request's time is kept, to check the client's rate.
"""

from __future__ import annotations

import difflib
import gzip
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from beetcrate import fingerprints, media
from beetcrate.fingerprints import Fingerprint, decode_fingerprint
from beetcrate.synth.tunes import RATE
from beetsplug.dupes.fingerprint import compare
from tests.identify.catalogue import Catalogue, Recording, Release
from tests.scrobbling.fakes import FakeService, Reply, Request

# ws/2's own inc values for the two lookups beets makes (and the relations it asks for).
RELEASE_INCS = {
    "artists",
    "media",
    "recordings",
    "release-groups",
    "labels",
    "artist-credits",
    "aliases",
    "recording-level-rels",
    "work-rels",
    "work-level-rels",
    "artist-rels",
    "isrcs",
    "url-rels",
    "release-rels",
    "genres",
    "tags",
    "discids",
    "collections",
    "annotation",
}
RECORDING_INCS = {
    "artists",
    "releases",
    "aliases",
    "isrcs",
    "work-level-rels",
    "artist-rels",
    "artist-credits",
    "url-rels",
    "work-rels",
    "genres",
    "tags",
    "annotation",
}
QUERY_TERM = re.compile(r"(\w+):\(((?:\\.|[^\\)])*)\)")


def _json(status: int, payload: Any) -> Reply:
    return Reply(status, json.dumps(payload).encode(), "application/json; charset=utf-8")


class FakeMusicBrainz(FakeService):
    def __init__(self, catalogue: Catalogue) -> None:
        self.releases = {release.id: release for release in catalogue.releases}
        self.recordings = {r.id: r for r in catalogue.recordings}
        self.calls: list[tuple[str, dict[str, str]]] = []  # (route, query) of every request
        super().__init__(None)

    def handle(self, request: Request) -> Reply:
        query = request.query
        self.calls.append((request.route, query))
        if query.get("fmt") != "json":
            return _json(400, {"error": "this mirror answers fmt=json only"})
        parts = request.route.strip("/").split("/")
        if parts[:2] != ["ws", "2"] or len(parts) not in (3, 4):
            return _json(404, {"error": "Not Found"})
        entity = parts[2]
        if entity not in ("release", "recording"):
            return _json(400, {"error": f"unsupported entity {entity}"})
        if len(parts) == 3:
            return self._search(entity, query)
        incs = set(filter(None, query.get("inc", "").split("+")))
        unknown = incs - (RELEASE_INCS if entity == "release" else RECORDING_INCS)
        if unknown:
            return _json(400, {"error": f"{sorted(unknown)[0]} is not a valid inc parameter"})
        if entity == "release" and parts[3] in self.releases:
            return _json(200, release_json(self.releases[parts[3]], incs))
        if entity == "recording" and parts[3] in self.recordings:
            recording = self.recordings[parts[3]]
            on = [r for r in self.releases.values() if recording in r.recordings]
            return _json(200, recording_json(recording, incs, on))
        return _json(404, {"error": "Not Found"})

    def _search(self, entity: str, query: dict[str, str]) -> Reply:
        terms = {
            name: re.sub(r"\\(.)", r"\1", value)
            for name, value in QUERY_TERM.findall(query.get("query", ""))
        }
        limit = int(query.get("limit", 25))
        scored: list[tuple[int, Any]] = []
        if entity == "release":
            for release in self.releases.values():
                wanted = [(terms.get("release"), release.title)]
                if "artist" in terms:
                    wanted.append((terms["artist"], release.artist))
                scored.append((_score(wanted), release))
        else:
            for recording in self.recordings.values():
                wanted = [(terms.get("recording"), recording.title)]
                if "artist" in terms:
                    wanted.append((terms["artist"], recording.artist))
                scored.append((_score(wanted), recording))
        found = sorted((hit for hit in scored if hit[0] >= 50), key=lambda hit: -hit[0])[:limit]
        key = f"{entity}s"
        return _json(
            200,
            {
                "count": len(found),
                "offset": 0,
                key: [
                    {"id": item.id, "score": score, "title": item.title} for score, item in found
                ],
            },
        )


def _score(wanted: list[tuple[str | None, str]]) -> int:
    """Search relevance 0..100: how closely each searched term matches its field."""
    pairs = [(term.lower(), value.lower()) for term, value in wanted if term]
    if not pairs:
        return 0
    ratios = [difflib.SequenceMatcher(None, term, value).ratio() for term, value in pairs]
    return round(100 * sum(ratios) / len(ratios))


def _artist(name: str, artist_id: str) -> dict[str, Any]:
    return {
        "id": artist_id,
        "name": name,
        "sort-name": name,
        "disambiguation": "",
        "aliases": [],
    }


def _credit(name: str, artist_id: str) -> list[dict[str, Any]]:
    return [{"name": name, "joinphrase": "", "artist": _artist(name, artist_id)}]


def recording_json(
    recording: Recording, incs: set[str], releases: list[Release] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": recording.id,
        "title": recording.title,
        "length": round(recording.length * 1000),
        "disambiguation": "",
        "video": False,
        "first-release-date": "2000",
    }
    if incs & {"artists", "artist-credits"}:
        data["artist-credit"] = _credit(recording.artist, recording.artist_id)
    if "aliases" in incs:
        data["aliases"] = []
    if "isrcs" in incs:
        data["isrcs"] = []
    if incs & {"artist-rels", "work-rels", "work-level-rels", "recording-level-rels"}:
        data["relations"] = []
    if "releases" in incs and releases is not None:
        data["releases"] = [{"id": r.id, "title": r.title, "status": "Official"} for r in releases]
    return data


def release_json(release: Release, incs: set[str]) -> dict[str, Any]:
    date = f"{release.year}-01-01"
    data: dict[str, Any] = {
        "id": release.id,
        "title": release.title,
        "status": "Official",
        "quality": "normal",
        "disambiguation": "",
        "packaging": None,
        "barcode": None,
        "asin": None,
        "country": "XW",
        "date": date,
        "release-events": [
            {
                "date": date,
                "area": {"id": "525d4e18", "name": "[Worldwide]", "iso-3166-1-codes": ["XW"]},
            }
        ],
        "text-representation": {"script": "Latn", "language": "eng"},
    }
    if incs & {"artists", "artist-credits"}:
        data["artist-credit"] = _credit(release.artist, release.artist_id)
    if "aliases" in incs:
        data["aliases"] = []
    if "release-groups" in incs:
        data["release-group"] = {
            "id": release.id.replace(release.id[:8], "0000rgrp"),
            "title": release.title,
            "primary-type": "Album" if len(release.recordings) > 1 else "Single",
            "secondary-types": ["Compilation"] if release.various else [],
            "first-release-date": date,
            "disambiguation": "",
            "aliases": [],
            "genres": [],
            "tags": [],
        }
    if "labels" in incs:
        data["label-info"] = [
            {
                "catalog-number": f"FAKE-{release.year}",
                "label": {"id": "1abe1000", "name": "Fake Records"},
            }
        ]
    if incs & {"url-rels", "release-rels"}:
        data["relations"] = []
    if "media" in incs:
        medium: dict[str, Any] = {
            "position": 1,
            "title": "",
            "format": "Digital Media",
            "track-count": len(release.recordings),
            "track-offset": 0,
        }
        if "recordings" in incs:
            medium["tracks"] = [
                {
                    "id": f"{release.id[:24]}{number:012d}",
                    "position": number,
                    "number": str(number),
                    "title": recording.title,
                    "length": round(recording.length * 1000),
                    "artist-credit": _credit(recording.artist, recording.artist_id),
                    "recording": recording_json(recording, incs),
                }
                for number, recording in enumerate(release.recordings, 1)
            ]
        data["media"] = [medium]
    return data


def catalogue_prints(catalogue: Catalogue, folder: Path) -> dict[str, Fingerprint]:
    """The fake AcoustID's own fingerprints of the catalogue, by recording id, computed from
    FLAC copies written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    prints = {}
    for recording in catalogue.recordings:
        path = folder / f"{recording.seed}.flac"
        media.write_audio(path, recording.audio(), RATE)
        prints[recording.id] = fingerprints.fingerprint(path)
    return prints


class FakeAcoustid(FakeService):
    """AcoustID's v2 API for one application key, over the catalogue's fingerprints."""

    def __init__(
        self,
        catalogue: Catalogue,
        prints: dict[str, Fingerprint],
        apikey: str = "fake-acoustid-key",
    ) -> None:
        self.apikey = apikey
        self.recordings = {r.id: r for r in catalogue.recordings}
        self.on_releases = {
            r.id: [release.id for release in catalogue.releases if r in release.recordings]
            for r in catalogue.recordings
        }
        self.prints = {rid: (fp.values, fp.duration) for rid, fp in prints.items()}
        self.lookups: list[float] = []  # monotonic time of each lookup received
        self.broken_answer: Any = None  # when set, the JSON of every answer (a broken mirror)
        super().__init__(None)

    @property
    def url(self) -> str:
        return f"http://{self.host}/v2/"

    def handle(self, request: Request) -> Reply:
        if request.route != "/v2/lookup":
            return _json(404, {"status": "error", "error": {"code": 1, "message": "unknown"}})
        self.lookups.append(time.monotonic())
        if self.broken_answer is not None:
            return _json(200, self.broken_answer)
        body = request.body
        if request.header("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        params = dict(parse_qsl(body.decode())) if request.method == "POST" else request.query
        if params.get("client") != self.apikey:
            return _json(
                400, {"status": "error", "error": {"code": 4, "message": "invalid API key"}}
            )
        try:
            submitted = decode_fingerprint(params["fingerprint"])
            duration = float(params["duration"])
        except (KeyError, ValueError):
            return _json(
                400, {"status": "error", "error": {"code": 3, "message": "invalid fingerprint"}}
            )
        meta = set(params.get("meta", "").split())
        results = []
        for recording_id, (values, known_duration) in self.prints.items():
            if abs(known_duration - duration) > 7:
                continue
            match = compare(submitted, values)
            score = match.similarity * min(match.coverage_a, match.coverage_b)
            if match.similarity < 0.8 or score < 0.4:
                continue
            result: dict[str, Any] = {
                "id": recording_id.replace(recording_id[:8], "ac0057d0"),
                "score": round(score, 6),
            }
            if meta & {"recordings", "recordingids"}:
                result["recordings"] = [self._recording(recording_id, meta)]
            results.append(result)
        results.sort(key=lambda r: -r["score"])
        return _json(200, {"status": "ok", "results": results})

    def _recording(self, recording_id: str, meta: set[str]) -> dict[str, Any]:
        recording = self.recordings[recording_id]
        data: dict[str, Any] = {"id": recording_id}
        if "recordings" in meta:
            data |= {
                "title": recording.title,
                "duration": round(recording.length),
                "artists": [{"id": recording.artist_id, "name": recording.artist}],
            }
        if meta & {"releases", "releaseids"}:
            data["releases"] = [{"id": rid} for rid in self.on_releases[recording_id]]
        return data
