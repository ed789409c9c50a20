"""Scrobbling fixtures: the fake services over TLS, a small library whose songs have lengths and
MusicBrainz ids, its configuration naming the fakes, the real Flask app, and a real worker
(``beetcrate worker``) in a process of its own."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from beets.library import Item

from beetcrate import sidecar
from beetcrate.credentials import load_key
from beetcrate.scrobbling.model import Service
from beetcrate.scrobbling.store import Link, Links
from beetcrate.settings import Settings, load_settings
from beetcrate.synth.tones import sine
from subsonic.app import create_app
from subsonic.store import Users
from tests.helper import BeetsHome, start_process, stop_process, wait_for
from tests.scrobbling.fakes import FakeLastfm, FakeListenBrainz
from tests.scrobbling.tls import Certificates, make_certificates
from tests.subsonic.conftest import Api

ALICE, BOB = ("alice", "alice's password"), ("bob", "bob's password")


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def lastfm(certificates: Certificates) -> Iterator[FakeLastfm]:
    fake = FakeLastfm(certificates)
    yield fake
    fake.close()


@pytest.fixture
def listenbrainz(certificates: Certificates) -> Iterator[FakeListenBrainz]:
    fake = FakeListenBrainz(certificates)
    yield fake
    fake.close()


@dataclass
class Served:
    """The library served with scrobbling configured: songs by short name, the settings."""

    home: BeetsHome
    settings: Settings
    songs: dict[str, Item]

    def id(self, name: str) -> str:
        return f"tr-{self.songs[name].id}"

    def links(self) -> Links:
        return Links(sidecar.connect(self.settings.db), load_key(self.settings.secret_key_file))

    def link_of(self, user: str, service: Service) -> Link | None:
        return next((link for link in self.links().of(user) if link.service is service), None)


def _song(home: BeetsHome, name: str, freq: float, **fields: object) -> Item:
    return home.add(f"{name}.flac", sine(0.5, freq), **fields)


@pytest.fixture
def served(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    certificates: Certificates,
    lastfm: FakeLastfm,
    listenbrainz: FakeListenBrainz,
) -> Iterator[Served]:
    home = BeetsHome(tmp_path)
    monkeypatch.setenv("BEETSDIR", str(home.dir))
    album_fields = {
        "artist": "The Testers",
        "albumartist": "The Testers",
        "album": "Blue Album",
        "mb_albumid": str(uuid.uuid4()),
        "mb_artistid": str(uuid.uuid4()),
        "mb_albumartistid": str(uuid.uuid4()),
    }
    songs = {
        f"blue{n}": _song(
            home,
            f"blue{n}",
            220.0 * n,
            title=f"Blue Song {n}",
            track=n,
            length=180.0 + n,
            mb_trackid=str(uuid.uuid4()),
            **album_fields,
        )
        for n in (1, 2, 3)
    }
    home.lib.add_album(list(songs.values()))
    songs["jingle"] = _song(home, "jingle", 880.0, title="Jingle", artist="Ads", length=20.0)
    home.close()
    home.configure(
        beetcrate={
            "queue": {"path": str(tmp_path / "queue.db"), "lease_seconds": 30},
            "lastfm": {
                "api_key": lastfm.api_key,
                "api_secret": lastfm.api_secret,
                "url": lastfm.url,
                "ca_file": str(certificates.ca_file),
            },
            "listenbrainz": {"url": listenbrainz.url, "ca_file": str(certificates.ca_file)},
        }
    )
    settings = load_settings(home.config_file)
    users = Users(sidecar.connect(settings.db), load_key(settings.secret_key_file))
    users.add(*ALICE, admin=True)
    users.add(*BOB)
    yield Served(home, settings, songs)


@pytest.fixture
def app(served: Served):
    return create_app(served.settings)


@pytest.fixture
def alice(app) -> Api:
    return Api(app.test_client(), *ALICE)


@pytest.fixture
def bob(app) -> Api:
    return Api(app.test_client(), *BOB)


class Worker:
    """``beetcrate worker`` on the served configuration, in a process of its own."""

    def __init__(self, served: Served) -> None:
        self.config = served.home.config_file
        self.process: subprocess.Popen[str] | None = None
        self.output = ""

    def start(self) -> None:
        self.process = start_process("beetcrate", "-c", str(self.config), "worker", "-w", "2")

    def stop(self) -> None:
        if self.process is not None:
            self.output += stop_process(self.process)
            self.process = None


@pytest.fixture
def worker(served: Served) -> Iterator[Worker]:
    running = Worker(served)
    running.start()
    yield running
    running.stop()
    print(running.output)


def wait_until(condition, what: str, timeout: float = 30.0):
    return wait_for(condition, timeout=timeout, interval=0.05, what=what)
