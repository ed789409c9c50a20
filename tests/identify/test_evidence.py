"""AcoustID answers to recordings, and recordings to the release an album's tracks share."""

from __future__ import annotations

from beetsplug.identify.candidates import ReleaseVote, release_votes
from beetsplug.identify.lookup import RecordingHit, hits_of


def answer(*results: tuple[float, list[tuple[str, list[str]]]]) -> dict:
    return {
        "status": "ok",
        "results": [
            {
                "id": f"acoustid-{n}",
                "score": score,
                "recordings": [
                    {
                        "id": rid,
                        "title": rid.upper(),
                        "artists": [{"name": "A"}, {"name": "B"}],
                        "releases": [{"id": r} for r in releases],
                    }
                    for rid, releases in recordings
                ],
            }
            for n, (score, recordings) in enumerate(results)
        ],
    }


def test_every_recording_above_the_score_is_kept_once_at_its_best_score_best_first() -> None:
    hits = hits_of(
        answer(
            (0.62, [("rec-b", ["rel-2"]), ("rec-a", ["rel-1"])]),
            (0.97, [("rec-a", ["rel-1", "rel-3"])]),
            (0.31, [("rec-c", ["rel-4"])]),
        ),
        min_score=0.5,
    )
    assert [(h.recording_id, h.score, h.release_ids) for h in hits] == [
        ("rec-a", 0.97, ("rel-1", "rel-3")),
        ("rec-b", 0.62, ("rel-2",)),
    ]
    assert hits[0].artist == "A & B" and hits[0].title == "REC-A"


def test_an_answer_without_results_or_recordings_gives_no_hits() -> None:
    assert hits_of({"status": "ok", "results": []}, 0.5) == []
    assert hits_of({"status": "ok", "results": [{"id": "x", "score": 0.9}]}, 0.5) == []


def hit(recording: str, *releases: str) -> RecordingHit:
    return RecordingHit(recording, 0.9, releases)


def test_the_release_most_tracks_share_comes_first_and_a_file_votes_once() -> None:
    evidence = [
        [hit("r1", "album", "compilation"), hit("r1-live", "album")],  # votes once for album
        [hit("r2", "album", "compilation")],
        [hit("r3", "album")],
        [],  # a file AcoustID did not know
    ]
    assert release_votes(evidence) == [
        ReleaseVote("album", 3),
        ReleaseVote("compilation", 2),
    ]
