"""identify's changes as the provenance plugin records them (docs/provenance.md): what a
fingerprint found is ``import:fingerprint`` with its release and distance, what ``beet
identify --apply`` changes is ``identify``."""

from __future__ import annotations

from pathlib import Path

from beets.library import Item

from tests.helper import BeetsHome
from tests.identify.catalogue import Kind, LibraryFile
from tests.identify.conftest import Incoming
from tests.provenance.conftest import log


def _with_provenance(home: BeetsHome) -> BeetsHome:
    home.configure(plugins=["musicbrainz", "identify", "provenance"])
    return home


def _album_folder(manifest: dict[str, LibraryFile], kind: Kind) -> Path:
    return next(
        Path(path).parent
        for path, spec in manifest.items()
        if spec.kind is kind and not spec.singleton
    )


def test_a_tagless_album_found_by_fingerprint_is_recorded_as_a_fingerprint_import(
    identify_home: BeetsHome, incoming: Incoming
) -> None:
    home = _with_provenance(identify_home)
    _, manifest = incoming
    home("import", "-q", str(_album_folder(manifest, Kind.TAGLESS)))
    album = home.lib.albums().get()
    assert album is not None
    titles = [e for e in log(home) if e["kind"] == "item" and e["field"] == "title"]
    applied = [e for e in titles if e["source"] == "import:fingerprint"]
    assert applied and len(applied) == len(album.items())
    assert {(e["candidate_id"], e["candidate_kind"]) for e in applied} == {
        (album.mb_albumid, "release")
    }
    assert all(e["distance"] is not None for e in applied)
    # The fingerprint the step computed is the import's doing, not one of the files' tags.
    prints = [e for e in log(home) if e["field"] == "acoustid_fingerprint"]
    assert prints and {e["source"] for e in prints} == {"import:fingerprint"}


def test_identify_apply_is_recorded_as_identify_with_the_release_it_applied(
    identify_home: BeetsHome, incoming: Incoming
) -> None:
    home = _with_provenance(identify_home)
    _, manifest = incoming
    home("import", "-A", "-q", str(_album_folder(manifest, Kind.TYPOS)))
    home("identify", "--apply")
    changed = [e for e in log(home) if e["field"] == "mb_trackid"]
    assert changed and {e["source"] for e in changed} == {"identify"}
    assert all(e["candidate_id"] for e in changed)
    assert {e["candidate_kind"] for e in changed} == {"release"}  # an album's match


def test_a_fingerprint_match_is_reverted_and_the_revert_reverted_tags_included(
    identify_home: BeetsHome, incoming: Incoming
) -> None:
    """docs/identify.md's "Taking it back": a tagless file found by its fingerprint."""
    home = _with_provenance(identify_home)
    _, manifest = incoming
    path, spec = next(
        (path, spec)
        for path, spec in manifest.items()
        if spec.kind is Kind.TAGLESS and spec.singleton
    )
    home("import", "-q", "-s", path)
    item = home.lib.items().get()
    assert item is not None and item.mb_trackid == spec.expected
    found = (item.artist, item.title, item.mb_trackid)

    printed = home("provenance", "revert", f"id:{item.id}", "--source", "import:fingerprint")
    assert "added left: " in printed
    reverted = home.lib.get_item(item.id)
    assert (reverted.artist, reverted.title, reverted.mb_trackid) == ("", "", "")
    assert (reverted.added, reverted.path) == (item.added, item.path)
    assert Item.from_path(reverted.path).title == ""

    printed = home("provenance", "revert", f"id:{item.id}")
    assert f"(no artist, no title): title empty -> '{spec.recording.title}'" in printed
    again = home.lib.get_item(item.id)
    assert (again.artist, again.title, again.mb_trackid) == found
    assert Item.from_path(again.path).mb_trackid == spec.expected
