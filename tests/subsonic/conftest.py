"""A real beets library served by the real Flask app, and an API client that checks the spec.

The library is built once per session through the beets API from synthesized audio: an album
with folder art, a two-disc album with embedded art, a compilation, singletons, a name with
accents, an album whose cover is corrupt and a song whose file has vanished.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from beets.library import Item
from lxml import etree
from mutagen.id3 import APIC, ID3
from PIL import Image

from beetcrate import sidecar
from beetcrate.settings import Settings
from beetcrate.synth.tones import sine
from subsonic.app import create_app
from subsonic.store import Users, load_key
from tests.helper import BeetsHome
from tests.subsonic import spec

ADMIN, ADMIN_PASSWORD = "alice", "open sesame"
LISTENER, LISTENER_PASSWORD = "bob", "hunter2 ünïcode"


def png_bytes(colour: tuple[int, int, int], size: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, "PNG")
    return out.getvalue()


@dataclass
class MusicLibrary:
    """The served library: its beets home (``config.yaml`` with a ``beetcrate:`` section), the
    server's settings, and its items and album ids by short names (blue1, double1, ghost…)."""

    home: BeetsHome
    settings: Settings
    items: dict[str, Item]
    albums: dict[str, int]


def _add(home: BeetsHome, folder: str, name: str, freq: float, **fields) -> Item:
    """A one-second tone ``folder/name`` at ``freq`` Hz, tagged with ``fields`` and added."""
    return home.add(f"{folder}/{name}", sine(1.0, freq), **fields)


def build_library(root: Path) -> MusicLibrary:
    """Build the library under ``root`` through the beets API, and its users."""
    home = BeetsHome(root)
    lib = home.lib
    items: dict[str, Item] = {}
    albums: dict[str, int] = {}

    blue = "The Testers/Blue Album (2001)"
    tracks = [
        _add(
            home,
            blue,
            f"0{n} - Blue {n}.flac",
            220.0 * n,
            title=f"Blue Song {n}",
            artist="The Testers",
            albumartist="The Testers",
            album="Blue Album",
            track=n,
            year=2001,
            genres=["Rock"],
        )
        for n in (1, 2, 3)
    ]
    (home.music / blue / "cover.png").write_bytes(png_bytes((20, 40, 200)))
    album = lib.add_album(tracks)
    albums["blue"] = album.id
    items.update({f"blue{n}": item for n, item in enumerate(tracks, start=1)})

    double = "Zeta Band/Double Trouble (2010)"
    tracks = []
    for disc in (1, 2):
        for track in (1, 2):
            tracks.append(
                _add(
                    home,
                    double,
                    f"{disc}-0{track}.mp3",
                    300.0 + 50 * track,
                    title=f"Disc {disc} Track {track}",
                    artist="Zeta Band",
                    albumartist="Zeta Band",
                    album="Double Trouble",
                    track=track,
                    disc=disc,
                    disctotal=2,
                    disctitle=f"Part {disc}",
                    year=2010,
                    genres=["Electronic", "Ambient"],
                )
            )
    tags = ID3(tracks[0].path.decode())
    tags.add(APIC(mime="image/png", type=3, desc="front", data=png_bytes((200, 30, 30))))
    tags.save()
    albums["double"] = lib.add_album(tracks).id
    items["double1"] = tracks[0]

    hits = "Compilations/Summer Hits"
    tracks = [
        _add(
            home,
            hits,
            f"0{n}.opus",
            500.0 + n,
            title=f"Hit {n}",
            artist=artist,
            album="Summer Hits",
            albumartist="Various Artists",
            comp=True,
            track=n,
            year=2020,
            genres=["Pop", "Dance"],
        )
        for n, artist in ((1, "Singer One"), (2, "Singer Two"))
    ]
    albums["hits"] = lib.add_album(tracks).id

    broken = "Broken/Broken Art"
    tracks = [
        _add(
            home,
            broken,
            "01.flac",
            640.0,
            title="Cracked",
            artist="Broken",
            albumartist="Broken",
            album="Broken Art",
            track=1,
        )
    ]
    (home.music / broken / "cover.jpg").write_bytes(b"\xff\xd8\xff this is not really a jpeg")
    albums["broken"] = lib.add_album(tracks).id

    singles = "Élodie"
    for n in (1, 2):
        items[f"single{n}"] = _add(
            home,
            singles,
            f"single {n}.ogg",
            700.0 + n,
            title=f"Chanson {n}",
            artist="Élodie",
            year=1999,
            genres=["Jazz"],
        )
    ghost = _add(home, singles, "ghost.ogg", 800.0, title="Ghost Track", artist="Élodie")
    Path(ghost.path.decode()).unlink()
    items["ghost"] = ghost
    home.close()

    settings = home.server_settings()
    # The configuration a user serves this library with (``beetcrate -c CONFIG serve``).
    home.configure(
        beetcrate={
            "db": str(settings.db),
            "secret_key_file": str(settings.secret_key_file),
            "cache_dir": str(settings.cache_dir),
        }
    )
    users = Users(sidecar.connect(settings.db), load_key(settings.secret_key_file))
    users.add(ADMIN, ADMIN_PASSWORD, admin=True)
    users.add(LISTENER, LISTENER_PASSWORD)
    return MusicLibrary(home=home, settings=settings, items=items, albums=albums)


@pytest.fixture(scope="session")
def music_library(tmp_path_factory: pytest.TempPathFactory) -> MusicLibrary:
    return build_library(tmp_path_factory.mktemp("served"))


@pytest.fixture
def own_library(tmp_path: Path) -> MusicLibrary:
    """A library of the test's own, for tests that change it."""
    return build_library(tmp_path)


@pytest.fixture(scope="session")
def app(music_library: MusicLibrary):
    return create_app(music_library.settings)


class Api:
    """Calls the API as a client would, checking every answer against the spec."""

    def __init__(self, client, user: str = ADMIN, password: str = ADMIN_PASSWORD) -> None:
        self.client = client
        self.user = user
        self.password = password

    def credentials(self) -> dict[str, str]:
        salt = "c0ffee"
        token = hashlib.md5((self.password + salt).encode()).hexdigest()
        return {"u": self.user, "t": token, "s": salt, "v": "1.16.1", "c": "pytest"}

    def get(self, method: str, auth: bool = True, headers=None, **params):
        return self.request("GET", method, auth, headers, **params)

    def request(self, http_method: str, method: str, auth: bool = True, headers=None, **params):
        """The whole answer, read and closed (files the server sends are closed with it)."""
        query = {**(self.credentials() if auth else {}), **params}
        return self.client.open(
            f"/rest/{method}",
            method=http_method,
            query_string=query,
            headers=headers,
            buffered=True,
        )

    def _both(self, method: str, auth: bool, params: dict) -> dict:
        xml = self.get(method, auth=auth, **params)
        assert xml.status_code == 200 and xml.mimetype == "text/xml", xml.data[:300]
        spec.validate_xml(xml.data)
        response = self.get(method, auth=auth, f="json", **params)
        assert response.status_code == 200 and response.mimetype == "application/json"
        document = json.loads(response.data)
        spec.validate_json(method, document)
        return document["subsonic-response"]

    def ok(self, method: str, auth: bool = True, **params) -> dict:
        body = self._both(method, auth, params)
        assert body["status"] == "ok", body
        return body

    def error(self, method: str, auth: bool = True, **params) -> int:
        body = self._both(method, auth, params)
        assert body["status"] == "failed", body
        assert body["error"]["message"]
        return body["error"]["code"]

    def once(self, method: str, fmt: str = "json", **params) -> dict:
        """Call a method that changes something just once (``ok`` and ``error`` call twice),
        in ``fmt``, checking the answer against the spec; its status, and in JSON its body."""
        response = self.get(method, f=fmt, **params)
        assert response.status_code == 200, response.data[:300]
        if fmt == "xml":
            spec.validate_xml(response.data)
            return {"status": etree.fromstring(response.data).get("status")}
        spec.validate_json(method, response.json)
        return response.json["subsonic-response"]

    def ok_once(self, method: str, fmt: str = "json", **params) -> dict:
        body = self.once(method, fmt, **params)
        assert body["status"] == "ok", body
        return body


@pytest.fixture
def api(app) -> Api:
    return Api(app.test_client())


@pytest.fixture
def listener_api(app) -> Api:
    return Api(app.test_client(), LISTENER, LISTENER_PASSWORD)
