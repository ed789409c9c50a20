"""Lyrics through py-sonic, knuckles and py-opensonic, from a gunicorn of this module's own: a
``.lrc`` file and beets' ``lyrics`` field, both added while it serves (lyrics are read when
asked for, so neither needs a restart nor a rescan)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import knuckles
import libopensonic
import libsonic
import pytest
from beets.library import Library

from tests.subsonic.clients.conftest import assert_no_errors
from tests.subsonic.conftest import ADMIN, ADMIN_PASSWORD, LISTENER, LISTENER_PASSWORD
from tests.subsonic.server import HttpApi, RunningServer, running_server

pytestmark = pytest.mark.integration

ENHANCED_LRC = "[ti:Blue]\n[00:00.20]<00:00.20>Blue <00:00.40>words\n[00:00.70]More blue\n"
PLAIN = "Chanson words\n\nSecond verse"


@pytest.fixture(scope="module")
def lyrical_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("lyrics")) as running:
        library = running.library
        blue = Path(library.items["blue1"].path.decode())
        blue.with_suffix(".lrc").write_text(ENHANCED_LRC)
        lib = Library(str(library.settings.beets_library), str(library.settings.music_directory))
        item = lib.get_item(library.items["single1"].id)
        item.lyrics = PLAIN
        item.store()
        lib._close()
        yield running
        assert_no_errors(running.log())


def test_opensonic_gets_synced_lines_from_a_lrc_file(lyrical_server: RunningServer) -> None:
    song_id = f"tr-{lyrical_server.library.items['blue1'].id}"

    async def scenario() -> list:
        client = libopensonic.AsyncConnection(
            "http://127.0.0.1",
            username=LISTENER,
            password=LISTENER_PASSWORD,
            port=lyrical_server.port,
        )
        try:
            extensions = {e.name for e in await client.get_open_subsonic_extensions()}
            assert "songLyrics" in extensions
            return await client.get_lyrics_by_song_id(song_id)
        finally:
            await client.cleanup()

    (lyrics,) = asyncio.run(scenario())
    assert lyrics.synced is True and lyrics.display_title == "Blue"
    assert [(line.start, line.value) for line in lyrics.line] == [
        (200, "Blue words"),
        (700, "More blue"),
    ]


def test_pysonic_and_knuckles_get_plain_lyrics_by_artist_and_title(
    lyrical_server: RunningServer,
) -> None:
    alice = libsonic.Connection("http://127.0.0.1", ADMIN, ADMIN_PASSWORD, port=lyrical_server.port)
    bob = knuckles.Subsonic(
        f"127.0.0.1:{lyrical_server.port}",
        LISTENER,
        LISTENER_PASSWORD,
        "knuckles-test",
        use_https=False,
    )
    from_beets = alice.getLyrics(artist="Élodie", title="Chanson 1")["lyrics"]
    assert from_beets["value"] == PLAIN
    from_file = bob.media_retrieval.get_lyrics("The Testers", "Blue Song 1")
    assert (from_file.artist_name, from_file.song_title) == ("The Testers", "Blue Song 1")
    assert from_file.lyrics == "Blue words\nMore blue"


def test_lyrics_answers_validate_over_http(lyrical_server: RunningServer) -> None:
    http = HttpApi(lyrical_server.url)
    song_id = f"tr-{lyrical_server.library.items['single1'].id}"
    structured = http.ok("getLyricsBySongId", id=song_id)["lyricsList"]["structuredLyrics"]
    assert [line["value"] for line in structured[0]["line"]] == [
        "Chanson words",
        "",
        "Second verse",
    ]
    assert http.ok("getLyrics", artist="Nobody", title="Nothing")["lyrics"]["value"] == ""
