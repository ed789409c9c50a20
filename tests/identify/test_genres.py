"""``identify: genres: lastfm``: the genres of what the import or ``beet identify --apply`` tagged,
from the fake Last.fm (over TLS, the scrobbling tests' fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mediafile import MediaFile

from tests.helper import BeetsHome
from tests.identify.catalogue import Catalogue, Kind, LibraryFile
from tests.identify.conftest import Incoming, lastfm_account
from tests.scrobbling.conftest import certificates, lastfm  # noqa: F401 (fixtures)
from tests.scrobbling.fakes import FakeLastfm
from tests.scrobbling.tls import Certificates


@pytest.fixture
def genres_home(
    identify_home: BeetsHome,
    lastfm: FakeLastfm,  # noqa: F811
    certificates: Certificates,  # noqa: F811
) -> BeetsHome:
    identify_home.configure(
        beetcrate=lastfm_account(lastfm, certificates), identify={"genres": "lastfm"}
    )
    return identify_home


def tagless_album(
    messy: tuple[Catalogue, list[LibraryFile]], incoming: Incoming
) -> tuple[Path, str, str]:
    """The folder of the tagless album, and the title and artist of its release."""
    _, manifest = incoming
    path, spec = next(
        (p, s) for p, s in manifest.items() if s.kind is Kind.TAGLESS and not s.singleton
    )
    release = next(r for r in messy[0].releases if spec.recording in r.recordings and not r.various)
    return Path(path).parent, release.title, release.artist


def test_an_album_found_by_fingerprint_gets_its_lastfm_genres_written_with_its_tags(
    genres_home: BeetsHome,
    incoming: Incoming,
    messy: tuple[Catalogue, list[LibraryFile]],
    lastfm: FakeLastfm,  # noqa: F811
) -> None:
    folder, title, artist = tagless_album(messy, incoming)
    lastfm.tag("album", artist, title, [("indie rock", 100), ("seen live", 90)])
    genres_home("import", "-q", str(folder))
    album = genres_home.lib.albums().get()
    assert album is not None and album.album == title
    assert album.genres == ["Indie Rock"]
    assert all(MediaFile(item.path).genres == ["Indie Rock"] for item in album.items())


def test_identify_apply_fills_the_genres_of_what_it_applied(
    genres_home: BeetsHome,
    incoming: Incoming,
    messy: tuple[Catalogue, list[LibraryFile]],
    lastfm: FakeLastfm,  # noqa: F811
) -> None:
    folder, title, artist = tagless_album(messy, incoming)
    lastfm.tag("album", artist, title, [("shoegaze", 80)])
    genres_home("import", "-q", "-A", str(folder))
    # Imported as-is, the album has no artist or title: nothing Last.fm could be asked about.
    assert lastfm.top_tag_calls() == []
    genres_home("identify", "--apply")
    album = genres_home.lib.albums().get()
    assert album is not None and album.genres == ["Shoegaze"]
    assert all(MediaFile(item.path).genres == ["Shoegaze"] for item in album.items())


def test_lastfm_down_is_one_line_and_the_import_goes_on(
    genres_home: BeetsHome,
    incoming: Incoming,
    lastfm: FakeLastfm,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = incoming[0]
    lastfm.down()
    albums = sorted(str(p) for p in folder.iterdir() if p.is_dir() and p.name != "loose")
    genres_home("import", "-q", *albums)
    lines = [line for line in capsys.readouterr().err.splitlines() if "genres:" in line]
    assert len(lines) == 1 and "no more genres in this command" in lines[0]
    assert len(genres_home.lib.albums()) == len(albums)
    assert not any(album.genres for album in genres_home.lib.albums())
