"""The messy library, the fake MusicBrainz and AcoustID serving its catalogue, and a beets home
configured for them (``plugins: musicbrainz identify``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from beetcrate import fingerprints
from tests.helper import BeetsHome
from tests.identify import fakes
from tests.identify.catalogue import Catalogue, LibraryFile, messy_library, write_files
from tests.identify.fakes import FakeAcoustid, FakeMusicBrainz
from tests.scrobbling.fakes import FakeLastfm
from tests.scrobbling.tls import Certificates

# The ``incoming`` fixture: the folder, and what each file in it really is, by path.
Incoming = tuple[Path, dict[str, LibraryFile]]


@pytest.fixture(scope="session")
def messy() -> tuple[Catalogue, list[LibraryFile]]:
    return messy_library(sets=1)


@pytest.fixture(scope="session")
def catalogue_prints(
    messy: tuple[Catalogue, list[LibraryFile]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, fingerprints.Fingerprint]:
    """The fake AcoustID's own fingerprints of the catalogue (FLAC copies), computed once."""
    return fakes.catalogue_prints(messy[0], tmp_path_factory.mktemp("acoustid-catalogue"))


@pytest.fixture(scope="session")
def incoming_source(
    messy: tuple[Catalogue, list[LibraryFile]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The messy library's files, written once; each test imports a copy (``incoming``)."""
    folder = tmp_path_factory.mktemp("incoming-source")
    write_files(messy[1], folder)
    return folder


@pytest.fixture
def incoming(
    incoming_source: Path, messy: tuple[Catalogue, list[LibraryFile]], tmp_path: Path
) -> Incoming:
    """A fresh copy of the messy library's files and what each one really is, by path."""
    folder = tmp_path / "incoming"
    shutil.copytree(incoming_source, folder)
    return folder, {str(folder / spec.path): spec for spec in messy[1]}


@pytest.fixture
def musicbrainz(messy: tuple[Catalogue, list[LibraryFile]]) -> Iterator[FakeMusicBrainz]:
    service = FakeMusicBrainz(messy[0])
    yield service
    service.close()


@pytest.fixture
def acoustid(
    messy: tuple[Catalogue, list[LibraryFile]],
    catalogue_prints: dict[str, fingerprints.Fingerprint],
) -> Iterator[FakeAcoustid]:
    service = FakeAcoustid(messy[0], catalogue_prints)
    yield service
    service.close()


def service_settings(musicbrainz: FakeMusicBrainz, acoustid: FakeAcoustid | None) -> dict:
    """The configuration pointing beets' MusicBrainz source and identify at the fakes."""
    settings: dict = {
        "musicbrainz": {"host": musicbrainz.host, "https": False, "ratelimit": 100},
        # Files keep their place, so each item can be told from its path; tags are written.
        "import": {"copy": False, "move": False, "write": True, "resume": False},
    }
    if acoustid is not None:
        settings["identify"] = {"acoustid": {"apikey": acoustid.apikey, "url": acoustid.url}}
    return settings


def lastfm_account(lastfm: FakeLastfm, certificates: Certificates) -> dict:
    """The ``beetcrate:`` section naming the fake Last.fm (the scrobbling tests' fixtures)."""
    return {
        "lastfm": {
            "api_key": lastfm.api_key,
            "api_secret": lastfm.api_secret,
            "url": lastfm.url,
            "ca_file": str(certificates.ca_file),
        }
    }


@pytest.fixture
def identify_home(
    beets_home: BeetsHome, musicbrainz: FakeMusicBrainz, acoustid: FakeAcoustid
) -> BeetsHome:
    beets_home.configure(
        plugins=["musicbrainz", "identify"], **service_settings(musicbrainz, acoustid)
    )
    return beets_home
