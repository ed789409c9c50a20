"""``beet identify [QUERY] [--apply] [--json]`` on items imported as they were."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from beets.library import Item
from beets.ui import UserError
from mediafile import MediaFile

from beetcrate import attribution
from tests.helper import BeetsHome
from tests.identify.catalogue import Kind, Outcome, outcome
from tests.identify.conftest import Incoming


def import_as_is(home: BeetsHome, folder: Path) -> None:
    """Import everything as it is (two files without tags look alike: both are kept)."""
    home.configure(**{"import": {"duplicate_action": "keep"}})
    albums = sorted(str(p) for p in folder.iterdir() if p.is_dir() and p.name != "loose")
    home("import", "-q", "-A", *albums)
    home("import", "-q", "-A", "-s", str(folder / "loose"))


def test_report_names_each_items_match_source_distance_and_changes_and_changes_nothing(
    identify_home: BeetsHome, incoming: Incoming
) -> None:
    folder, manifest = incoming
    import_as_is(identify_home, folder)
    reports = {r["path"]: r for r in json.loads(identify_home("identify", "--json"))}
    assert set(reports) == set(manifest)
    for path, spec in manifest.items():
        report = reports[path]
        if spec.kind is Kind.UNKNOWN:
            assert report["match"] is None or not report["match"]["strong"]
            continue
        match = report["match"]
        assert match["strong"], (spec.kind, report)
        wanted = "tags" if spec.kind is Kind.WELL_TAGGED else "fingerprint"
        assert match["source"] == wanted, (spec.kind, report)
        assert report["changes"]["mb_trackid"] == {"old": "", "new": spec.expected}
        if spec.kind is Kind.TAGLESS:
            assert report["changes"]["title"] == {"old": "", "new": spec.recording.title}
        assert 0 <= match["distance"] < 0.04
        assert report["applied"] is False
    assert not any(item.mb_trackid for item in identify_home.lib.items())


def test_apply_applies_the_strong_matches_writes_their_tags_and_leaves_the_weak(
    identify_home: BeetsHome, incoming: Incoming, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, manifest = incoming
    import_as_is(identify_home, folder)
    sources: set[Any] = set()
    store = Item.store

    def watched_store(self: Item, *args: Any, **kwargs: Any) -> None:
        now = attribution.current()
        sources.add(now.source if now else None)
        store(self, *args, **kwargs)

    monkeypatch.setattr(Item, "store", watched_store)
    printed = identify_home("identify", "--apply")
    assert f"{len(manifest)} item(s): {len(manifest) - 2} with a strong match" in printed
    assert sources == {"identify"}
    for item in identify_home.lib.items():
        spec = manifest[str(item.filepath)]
        wanted = Outcome.LEFT if spec.kind is Kind.UNKNOWN else Outcome.CORRECT
        assert outcome(spec, item.mb_trackid) is wanted
        assert item.get("beetcrate_source") is None
        if wanted is Outcome.CORRECT:
            assert MediaFile(item.path).mb_trackid == spec.expected  # import: write is on


def test_query_limits_the_items_and_an_album_item_brings_its_album(
    identify_home: BeetsHome, incoming: Incoming
) -> None:
    folder, manifest = incoming
    import_as_is(identify_home, folder)
    one = next(
        path for path, spec in manifest.items() if spec.kind is Kind.TAGLESS and not spec.singleton
    )
    reports = json.loads(identify_home("identify", "--json", "path:" + one))
    assert sorted(r["path"] for r in reports) == sorted(str(p) for p in Path(one).parent.iterdir())


@pytest.mark.parametrize(
    ("identify", "message"),
    [
        ({"acoustid": {"url": "ftp://mirror.example/v2/"}}, "acoustid.url: not an http(s) URL"),
        ({"fingerprint_below": "close"}, "fingerprint_below: must be numeric"),
        ({"min_score": 2}, "min_score: a score between 0 and 1"),
        ({"max_recordings": 0}, "max_recordings: a whole number from 1"),
        ({"max_releases": "many"}, "max_releases: must be a number"),
        ({"acoustid": {"timeout": 0}}, "acoustid.timeout: seconds, more than 0"),
        ({"artist_info": "yes"}, "artist_info: lastfm or no, not 'yes'"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    identify_home: BeetsHome, identify: dict[str, Any], message: str
) -> None:
    identify_home.configure(identify=identify)
    with pytest.raises(UserError) as refused:
        identify_home("identify")
    assert str(refused.value).startswith(f"setting identify.{message}")
    assert "\n" not in str(refused.value)


def test_offline_without_a_key_or_musicbrainz_it_says_so_once_and_waits_on_nothing(
    beets_home: BeetsHome, incoming: Incoming, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, manifest = incoming
    beets_home.configure(plugins=["identify"])  # as on the demo: no musicbrainz, no key
    import_as_is(beets_home, folder)
    capsys.readouterr()
    reports = json.loads(beets_home("identify", "--json"))
    assert len(reports) == len(manifest)
    assert all(report["match"] is None for report in reports)
    warnings = capsys.readouterr().err.strip().splitlines()
    assert warnings == [
        "identify: no AcoustID API key (identify: acoustid: apikey); going on without fingerprints"
    ]


def test_apply_leaves_a_group_with_a_missing_file_as_it_was_and_says_why(
    identify_home: BeetsHome, incoming: Incoming
) -> None:
    folder, manifest = incoming
    import_as_is(identify_home, folder)
    typos = sorted(path for path, spec in manifest.items() if spec.kind is Kind.TYPOS)
    Path(typos[0]).unlink()
    reports = {r["path"]: r for r in json.loads(identify_home("identify", "--apply", "--json"))}
    for path in typos:
        assert reports[path]["match"]["strong"] and reports[path]["applied"] is False
        assert "not applied: 1 of its 3 files are missing" in reports[path]["note"]
    kept = {str(item.filepath): item for item in identify_home.lib.items()}
    assert not any(kept[path].mb_trackid for path in typos)
    assert all(MediaFile(path).mb_trackid is None for path in typos[1:])
    well = [path for path, spec in manifest.items() if spec.kind is Kind.WELL_TAGGED]
    assert all(reports[path]["applied"] for path in well)  # the other groups are applied


def test_apply_renames_the_files_it_tags_in_the_library_folder_as_mbsync_does(
    identify_home: BeetsHome, incoming: Incoming
) -> None:
    folder, manifest = incoming
    bare = folder / "loose" / "set0-bare-a.flac"
    identify_home.configure(**{"import": {"copy": True}})  # files go to the library folder
    identify_home("import", "-q", "-A", "-s", str(bare))
    before = identify_home.lib.items().get().filepath
    identify_home("identify", "--apply")
    item = identify_home.lib.items().get()
    title = manifest[str(bare)].recording.title
    assert item.title == title and title in item.filepath.name
    assert item.filepath.is_file() and not before.exists()
    assert MediaFile(item.path).title == title
