"""``beet import`` with ``identify``: the tags first, fingerprints only for weak matches."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from mediafile import MediaFile
from urllib3.util.retry import Retry

from beetcrate import fingerprints
from beetcrate.attribution import CANDIDATE_SOURCE
from tests.helper import BeetsHome
from tests.identify.catalogue import Kind, LibraryFile, Outcome, outcome
from tests.identify.conftest import Incoming
from tests.identify.fakes import FakeAcoustid, FakeMusicBrainz


def import_all(home: BeetsHome, folder: Path, *flags: str) -> str:
    """Import the messy library's albums, then its loose files as singletons."""
    albums = sorted(str(p) for p in folder.iterdir() if p.is_dir() and p.name != "loose")
    printed = home("import", *flags, *albums)
    return printed + home("import", "-s", *flags, str(folder / "loose"))


def outcomes(home: BeetsHome, manifest: dict[str, LibraryFile]) -> dict[str, Outcome]:
    found = {str(item.filepath): item.mb_trackid for item in home.lib.items()}
    return {path: outcome(spec, found.get(path)) for path, spec in manifest.items()}


def test_quiet_import_identifies_every_knowable_file_and_no_file_wrongly(
    identify_home: BeetsHome, incoming: Incoming, acoustid: FakeAcoustid
) -> None:
    folder, manifest = incoming
    import_all(identify_home, folder, "-q")
    result = outcomes(identify_home, manifest)
    for path, spec in manifest.items():
        wanted = Outcome.LEFT if spec.kind is Kind.UNKNOWN else Outcome.CORRECT
        assert result[path] is wanted, (spec.kind, path)
    # The candidates' source label is for provenance, not a field of the library.
    stored = [*identify_home.lib.items(), *identify_home.lib.albums()]
    assert not [obj for obj in stored if CANDIDATE_SOURCE in obj]


def album_folder(folder: Path, manifest: dict[str, LibraryFile], kind: Kind) -> Path:
    return next(
        Path(path).parent
        for path, spec in manifest.items()
        if spec.kind is kind and not spec.singleton
    )


def test_well_tagged_album_is_matched_by_its_tags_without_a_fingerprint(
    identify_home: BeetsHome, incoming: Incoming, acoustid: FakeAcoustid
) -> None:
    folder, manifest = incoming
    identify_home("import", "-q", str(album_folder(folder, manifest, Kind.WELL_TAGGED)))
    items = list(identify_home.lib.items())
    assert items and all(
        outcome(manifest[str(item.filepath)], item.mb_trackid) is Outcome.CORRECT for item in items
    )
    assert acoustid.lookups == []
    assert not any(item.get("acoustid_fingerprint") for item in items)


def test_album_whose_recordings_are_on_several_releases_gets_the_one_all_tracks_share_and_says_so(
    identify_home: BeetsHome, incoming: Incoming
) -> None:
    folder, manifest = incoming
    tagless = album_folder(folder, manifest, Kind.TAGLESS)
    printed = identify_home("import", "-q", str(tagless))
    album = identify_home.lib.albums().get()
    assert album is not None and album.albumtype == "album"  # not the compilation
    assert "on 2 different releases; 3 of the 3 fingerprinted tracks share" in printed
    assert album.mb_albumid in printed


def test_fingerprints_are_stored_once_and_reused_by_the_next_lookup(
    identify_home: BeetsHome, incoming: Incoming, acoustid: FakeAcoustid
) -> None:
    folder, _ = incoming
    bare = folder / "loose" / "set0-bare-a.flac"
    identify_home("import", "-q", "-s", "--noautotag", str(bare))  # as-is: no lookup at all
    assert acoustid.lookups == []
    identify_home("import", "-q", "-s", "-L", "path:" + str(bare))
    identify_home("import", "-q", "-s", "-L", "path:" + str(bare))
    with sqlite3.connect(identify_home.sidecar) as db:
        (stored,) = db.execute("SELECT count(*) FROM fingerprints").fetchone()
    assert stored == 1
    assert len(acoustid.lookups) == 1  # the second re-import found a strong tag match


def break_acoustid(home: BeetsHome, acoustid: FakeAcoustid, failure: str) -> None:
    if failure == "down":
        acoustid.down()
    elif failure == "slow":
        acoustid.delay = 3.0
        home.configure(identify={"acoustid": {"timeout": 0.5}})
    else:
        home.configure(identify={"acoustid": {"apikey": "revoked"}})


@pytest.mark.parametrize("failure", ["down", "slow", "refused key"])
def test_acoustid_failing_is_one_line_and_the_import_goes_on_with_the_tag_matches(
    identify_home: BeetsHome,
    incoming: Incoming,
    acoustid: FakeAcoustid,
    capsys: pytest.CaptureFixture[str],
    failure: str,
) -> None:
    folder, manifest = incoming
    break_acoustid(identify_home, acoustid, failure)
    import_all(identify_home, folder, "-q")
    warnings = [line for line in capsys.readouterr().err.splitlines() if "AcoustID" in line]
    assert len(warnings) == 2, warnings  # one line per `beet import` (the albums, the singles)
    assert all(line.endswith("going on without fingerprints") for line in warnings)
    result = outcomes(identify_home, manifest)
    assert Outcome.WRONG not in result.values()
    for path, spec in manifest.items():
        if spec.kind is Kind.WELL_TAGGED:
            assert result[path] is Outcome.CORRECT
        elif spec.kind in (Kind.TAGLESS, Kind.MISLEADING):
            assert result[path] is Outcome.LEFT  # weak: quiet_fallback (skip) decided


def test_lookups_keep_to_acoustids_three_requests_a_second(
    identify_home: BeetsHome, incoming: Incoming, acoustid: FakeAcoustid
) -> None:
    folder, _ = incoming
    identify_home("import", "-q", "-s", str(folder / "loose"))
    gaps = [b - a for a, b in zip(acoustid.lookups, acoustid.lookups[1:], strict=False)]
    assert len(acoustid.lookups) >= 4
    assert min(gaps) >= 0.3


def test_the_duplicate_finder_reuses_the_fingerprint_identify_computed(
    identify_home: BeetsHome, incoming: Incoming, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, manifest = incoming
    identify_home.configure(plugins=["musicbrainz", "identify", "dupes"])
    computed: list[str] = []
    compute = fingerprints.fingerprint

    def counted(path: Any, *args: Any, **kwargs: Any) -> fingerprints.Fingerprint:
        computed.append(str(path))
        return compute(path, *args, **kwargs)

    monkeypatch.setattr(fingerprints, "fingerprint", counted)
    bare = folder / "loose" / "set0-bare-a.flac"
    identify_home("import", "-q", "-s", str(bare))
    item = identify_home.lib.items().get()
    assert item.mb_trackid == manifest[str(bare)].expected
    assert item.get("audio_hash")  # the dupes scan ran on the import
    assert item.acoustid_fingerprint
    assert computed == [str(bare)]  # once, by identify; the scan found it stored


def test_musicbrainz_down_after_a_fingerprint_match_is_one_line_and_nothing_is_applied(
    identify_home: BeetsHome,
    incoming: Incoming,
    musicbrainz: FakeMusicBrainz,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # beets' MusicBrainz session retries a refused connection six times, waiting 1+2+4+8+16 s
    # between attempts (urllib3's backoff). The retries still happen; only the waits go, which
    # prove nothing here and cost half a minute.
    monkeypatch.setattr(Retry, "get_backoff_time", lambda self: 0.0)
    folder, _ = incoming
    musicbrainz.down()
    loose = folder / "loose"
    identify_home(
        "import", "-q", "-s", str(loose / "set0-bare-a.flac"), str(loose / "set0-bare-b.flac")
    )
    err = capsys.readouterr().err
    assert err.count("MusicBrainz could not answer") == 1, err
    assert list(identify_home.lib.items()) == []  # weak: skipped by quiet_fallback


@pytest.mark.parametrize(
    ("fingerprint_below", "wanted"), [(None, Outcome.WRONG), (0, Outcome.CORRECT)]
)
def test_wrong_tags_that_match_another_song_strongly_need_fingerprint_below_zero(
    identify_home: BeetsHome, incoming: Incoming, fingerprint_below: float | None, wanted: Outcome
) -> None:
    folder, manifest = incoming
    by_kind: dict[Kind, list[str]] = {spec.kind: [] for spec in manifest.values()}
    for path, spec in manifest.items():
        by_kind[spec.kind].append(path)
    lengths = {path: round(manifest[path].recording.length) for path in manifest}
    # A well-tagged track retagged with the names of a track of the typo album as long as it.
    path, twin = next(
        (p, t)
        for p in by_kind[Kind.WELL_TAGGED]
        for t in by_kind[Kind.TYPOS]
        if lengths[p] == lengths[t] and not manifest[p].singleton
    )
    liar = folder / "liar.flac"
    shutil.copyfile(path, liar)
    tags = MediaFile(liar)
    tags.title, tags.artist = manifest[twin].recording.title, manifest[twin].recording.artist
    tags.album = tags.albumartist = ""
    tags.save()
    identify_home.configure(identify={"fingerprint_below": fingerprint_below})
    identify_home("import", "-q", "-s", str(liar))
    assert outcome(manifest[path], identify_home.lib.items().get().mb_trackid) is wanted


def test_when_the_release_most_tracks_share_cannot_be_had_the_note_does_not_claim_it(
    identify_home: BeetsHome, incoming: Incoming, musicbrainz: FakeMusicBrainz
) -> None:
    folder, manifest = incoming
    tagless = album_folder(folder, manifest, Kind.TAGLESS)
    shared = next(
        release
        for release in musicbrainz.releases.values()
        if manifest[str(tagless / "01.flac")].recording in release.recordings
        and not release.various
    )
    del musicbrainz.releases[shared.id]  # MusicBrainz has no such release (a 404)
    printed = identify_home("import", "-q", str(tagless))
    assert f"3 of the 3 fingerprinted tracks share {shared.id}: MusicBrainz gave no" in printed
    assert "picked it" not in printed
