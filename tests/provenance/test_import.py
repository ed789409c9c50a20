"""Imports record where each value came from: the file, the match applied, or the tags as-is."""

from __future__ import annotations

from pathlib import Path

from tests.helper import BeetsHome
from tests.provenance.conftest import changes_of, log, show, tagged_file


def test_album_match_records_the_file_value_then_the_release_with_its_distance(
    importing: BeetsHome, tmp_path: Path
) -> None:
    incoming = tmp_path / "incoming" / "okc"
    tagged_file(
        incoming / "01.flac", title="Airbg", artist="Radiohead", album="OK Computer", track=1
    )
    tagged_file(
        incoming / "02.flac",
        title="Paranoid Android",
        artist="Radiohead",
        album="OK Computer",
        track=2,
    )
    importing("import", "-q", str(incoming))
    entries = log(importing, "title:Airbag")
    title = changes_of(entries, "title")
    assert title == [(None, "Airbg", "import:file"), ("Airbg", "Airbag", "import:musicbrainz")]
    applied = [e for e in entries if e["source"] == "import:musicbrainz"]
    assert {e["candidate_id"] for e in applied} == {"rel-okc"}
    assert all(0 <= e["distance"] < 0.2 for e in applied)
    assert changes_of(entries, "mb_albumid") == [(None, "rel-okc", "import:musicbrainz")]
    albums = log(importing, "-a", "album:OK Computer")
    assert "OK Computer" in [e["new"] for e in albums if e["field"] == "album"]
    assert {e["source"] for e in albums} == {"import:musicbrainz"}
    explained = show(importing, "title:Airbag")[0]["fields"]["title"]["explanation"]
    assert explained.startswith("'Airbag' set by a MusicBrainz import (release rel-okc, distance")
    assert "before that 'Airbg' from the file's own tags, read on import" in explained


def test_singleton_found_by_fingerprint_is_recorded_as_a_fingerprint_import(
    importing: BeetsHome, tmp_path: Path
) -> None:
    tagged_file(tmp_path / "incoming" / "track.flac", title="karma police", artist="radiohead")
    importing("import", "-q", "-s", str(tmp_path / "incoming"))
    entries = log(importing, "title:Karma Police")
    assert changes_of(entries, "title") == [
        (None, "karma police", "import:file"),
        ("karma police", "Karma Police", "import:fingerprint"),
    ]
    fingerprinted = [e for e in entries if e["source"] == "import:fingerprint"]
    assert {e["candidate_id"] for e in fingerprinted} == {"rec-karma"}


def test_as_is_import_records_the_files_tags(home: BeetsHome, tmp_path: Path) -> None:
    tagged_file(tmp_path / "incoming" / "a.flac", title="karma police", artist="radiohead")
    home("import", "-A", "-q", str(tmp_path / "incoming"))
    entries = log(home)
    assert changes_of(entries, "title") == [(None, "karma police", "import:asis")]
    paths = changes_of(entries, "path")
    assert paths and all(source == "import:asis" for _, _, source in paths)
    # beets stores a path inside the library relative to it; the import copied the file there.
    assert paths[0][1] == str(tmp_path / "incoming" / "a.flac")
    item = home.lib.items().get()
    assert item is not None and (home.music / paths[-1][1]) == Path(item.filepath)
