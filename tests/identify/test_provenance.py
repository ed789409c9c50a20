"""identify's changes as the provenance plugin records them (docs/provenance.md): what a
fingerprint found is ``import:fingerprint`` with its release and distance, what ``beet
identify --apply`` changes is ``identify``."""

from __future__ import annotations

from pathlib import Path

from tests.helper import BeetsHome
from tests.identify.catalogue import Kind, LibraryFile
from tests.provenance.conftest import log

Incoming = tuple[Path, dict[str, LibraryFile]]


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


def test_identify_apply_is_recorded_as_identify(
    identify_home: BeetsHome, incoming: Incoming
) -> None:
    home = _with_provenance(identify_home)
    _, manifest = incoming
    home("import", "-A", "-q", str(_album_folder(manifest, Kind.TYPOS)))
    home("identify", "--apply")
    changed = [e for e in log(home) if e["field"] == "mb_trackid"]
    assert changed and {e["source"] for e in changed} == {"identify"}
    assert all(e["candidate_id"] for e in changed)
