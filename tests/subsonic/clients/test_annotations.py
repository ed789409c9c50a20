"""Stars, ratings, plays and now playing through real clients (py-sonic, knuckles,
py-opensonic) over gunicorn: what one client writes, another reads, for that user only; and
many clients writing at once across gunicorn's processes lose nothing.

One gunicorn serves the module; each test writes as users of its own, so no test sees
another's data.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import knuckles
import libopensonic
import libsonic
import pytest

from beetcrate import sidecar
from subsonic.store import Users, load_key
from tests.subsonic.clients.conftest import assert_no_errors
from tests.subsonic.server import HttpApi, RunningServer, running_server

pytestmark = pytest.mark.integration

PASSWORD = "listener password"
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("annotations")) as running:
        yield running
        assert_no_errors(running.log())


def new_user(server: RunningServer) -> str:
    """A user of the test's own, added while the server runs."""
    settings = server.library.settings
    users = Users(sidecar.connect(settings.db), load_key(settings.secret_key_file))
    name = f"listener{next(_numbers)}"
    users.add(name, PASSWORD)
    return name


def pysonic(server: RunningServer, user: str) -> libsonic.Connection:
    return libsonic.Connection("http://127.0.0.1", user, PASSWORD, port=server.port)


def knuckles_client(server: RunningServer, user: str) -> knuckles.Subsonic:
    return knuckles.Subsonic(
        f"127.0.0.1:{server.port}", user, PASSWORD, "knuckles-test", use_https=False
    )


def ids(server: RunningServer, name: str) -> tuple[str, str]:
    """The song and album ids of a track of the test library, by its short name."""
    item = server.library.items[name]
    return f"tr-{item.id}", f"al-{item.album_id}"


def test_what_pysonic_stars_rates_and_plays_knuckles_reads_for_that_user_only(
    writable: RunningServer,
) -> None:
    one, other = new_user(writable), new_user(writable)
    song, album = ids(writable, "blue1")
    artist = HttpApi(writable.url).ok("getSong", id=song)["song"]["artistId"]
    writer = pysonic(writable, one)
    writer.star(sids=[song], albumIds=[album], artistIds=[artist])
    writer.setRating(song, 4)
    writer.scrobble(song, submission=True, listenTime=1_700_000_000)
    writer.scrobble(song, submission=True, listenTime=1_700_000_300)

    starred = knuckles_client(writable, one).lists.get_starred()
    assert [s.id for s in starred.songs] == [song]
    assert [a.id for a in starred.albums] == [album]
    assert [a.id for a in starred.artists] == [artist]
    (read,) = starred.songs
    assert (read.user_rating, read.play_count) == (4, 2)
    assert read.starred is not None
    frequent = knuckles_client(writable, one).lists.get_album_list_frequent()
    assert [a.id for a in frequent] == [album]

    others = knuckles_client(writable, other).lists.get_starred()
    # knuckles reads an empty list as None.
    assert not (others.songs or others.albums or others.artists)
    assert pysonic(writable, other).getSong(song)["song"].get("playCount") is None

    writer.unstar(sids=[song])
    writer.setRating(song, 0)
    assert not knuckles_client(writable, one).lists.get_starred().songs
    assert "userRating" not in pysonic(writable, one).getSong(song)["song"]


def test_opensonic_playback_reports_show_in_now_playing_and_a_stop_counts_a_play(
    writable: RunningServer,
) -> None:
    listener, watcher = new_user(writable), new_user(writable)
    song, album = ids(writable, "double1")

    async def report(client: libopensonic.AsyncConnection, state: str, position: int) -> None:
        assert await client.report_playback(song, "song", position, state)

    async def scenario() -> tuple[list, list, list]:
        client = libopensonic.AsyncConnection(
            "http://127.0.0.1", port=writable.port, username=listener, password=PASSWORD
        )
        try:
            await report(client, "starting", 0)
            await report(client, "paused", 300)
            playing = await client.get_now_playing()
            await report(client, "stopped", 800)
            after = await client.get_now_playing()
            recent = await client.get_album_list2("recent")
        finally:
            await client.cleanup()
        return playing, after, recent

    playing, after, recent = asyncio.run(scenario())
    mine = [entry for entry in playing if entry.username == listener]
    assert [(e.id, e.state, e.position_ms) for e in mine] == [(song, "paused", 300)]
    assert not [entry for entry in after if entry.username == listener]
    assert [a.id for a in recent] == [album]
    assert pysonic(writable, listener).getSong(song)["song"]["playCount"] == 1
    assert "playCount" not in pysonic(writable, watcher).getSong(song)["song"]


def test_pysonic_now_playing_is_seen_by_every_user(writable: RunningServer) -> None:
    listener, watcher = new_user(writable), new_user(writable)
    song, _ = ids(writable, "single1")
    pysonic(writable, listener).scrobble(song, submission=False)
    entries = pysonic(writable, watcher).getNowPlaying()["nowPlaying"]["entry"]
    entries = entries if isinstance(entries, list) else [entries]
    (entry,) = [e for e in entries if e["username"] == listener]
    assert entry["id"] == song and entry["minutesAgo"] == 0


def test_concurrent_scrobbles_and_stars_from_many_clients_lose_nothing(
    writable: RunningServer,
) -> None:
    """Sixteen clients at once, across gunicorn's worker processes: every play is counted,
    every star kept."""
    users = [new_user(writable) for _ in range(2)]
    song, album = ids(writable, "blue2")
    other_songs = [ids(writable, name)[0] for name in ("blue3", "double1", "single1", "single2")]
    plays_per_client, clients = 15, 16
    started = int(datetime.now(UTC).timestamp() * 1000)

    def client(n: int) -> None:
        api = HttpApi(writable.url, users[n % 2], PASSWORD)
        for i in range(plays_per_client):
            answer = api.get("scrobble", f="json", id=song, time=started + n * 1000 + i)
            assert answer.json()["subsonic-response"]["status"] == "ok"
            api.post("star", id=other_songs[(n + i) % len(other_songs)])

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))

    for user in users:
        api = HttpApi(writable.url, user, PASSWORD)
        assert api.ok("getSong", id=song)["song"]["playCount"] == clients // 2 * plays_per_client
        assert api.ok("getAlbum", id=album)["album"]["playCount"] == (
            clients // 2 * plays_per_client
        )
        starred = api.ok("getStarred2")["starred2"]["song"]
        assert {s["id"] for s in starred} == set(other_songs)
    db = sqlite3.connect(writable.library.settings.db)
    marks = ",".join("?" * len(users))
    (history,) = db.execute(
        f"SELECT count(*) FROM user_plays WHERE user IN ({marks})", users
    ).fetchone()
    assert history == clients * plays_per_client
