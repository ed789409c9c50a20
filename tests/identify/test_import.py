"""``beet import`` with ``identify``: the tags first, fingerprints only for weak matches."""

from __future__ import annotations

from pathlib import Path

from tests.helper import BeetsHome
from tests.identify.catalogue import Kind, LibraryFile, Outcome, outcome
from tests.identify.fakes import FakeAcoustid

Incoming = tuple[Path, dict[str, LibraryFile]]


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
