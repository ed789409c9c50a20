"""How clients keep a copy of the library: the index's ``lastModified``, paging an empty
``search3``, and a change made with ``beet`` while gunicorn serves reaching every worker."""

from __future__ import annotations

import pytest
import requests

from tests.helper import run_beet, wait_for
from tests.subsonic.clients.expected import SONG_COUNT
from tests.subsonic.server import HttpApi, RunningServer

pytestmark = pytest.mark.integration


def test_get_indexes_answers_no_index_when_nothing_changed_since(http: HttpApi) -> None:
    # Folder clients (DSub…) cache the index and pass its lastModified back (milliseconds).
    # A catalog sync that changed something moves lastModified (each worker syncs on its own
    # after it starts), so wait until two answers in a row agree on it.
    def two_answers_agree() -> tuple[int, dict] | None:
        last_modified = http.ok("getIndexes")["indexes"]["lastModified"]
        unchanged = http.ok("getIndexes", ifModifiedSince=last_modified)["indexes"]
        return (last_modified, unchanged) if unchanged["lastModified"] == last_modified else None

    last_modified, unchanged = wait_for(
        two_answers_agree, timeout=2, interval=0.2, what="lastModified to settle"
    )
    assert unchanged["lastModified"] == last_modified
    assert "index" not in unchanged
    changed = http.ok("getIndexes", ifModifiedSince=last_modified - 1)["indexes"]
    assert [index["name"] for index in changed["index"]] == ["B", "E", "T", "V", "Z"]


@pytest.mark.parametrize(
    "query",
    [{"query": ""}, {"query": '""'}, {}],
    ids=["empty query", "literal quotes", "no query"],
)
def test_search3_empty_query_pages_return_every_song_once(
    server: RunningServer, http: HttpApi, query: dict[str, str]
) -> None:
    # A page size that does not divide the library, so the last page is a short one.
    page_size = 4
    seen: list[str] = []
    while True:
        page = http.ok(
            "search3",
            **query,
            artistCount=0,
            albumCount=0,
            songCount=page_size,
            songOffset=len(seen),
        )["searchResult3"]
        songs = page.get("song", [])
        seen += [song["id"] for song in songs]
        if len(songs) < page_size:
            break
    assert len(seen) == len(set(seen)) == SONG_COUNT
    beets_ids = {f"tr-{item.id}" for item in server.library.items.values()}
    assert beets_ids <= set(seen)


def test_a_beet_modify_while_serving_reaches_every_gunicorn_worker(
    own_server: RunningServer,
) -> None:
    # The owner runs ``beet -c CONFIG modify`` on the served library; only the database
    # changes (--nowrite: no tag writing).
    config = str(own_server.config)
    run_beet("-c", config, "modify", "--yes", "--nowrite", "bpm=137", "title:Blue Song 2")
    http = HttpApi(own_server.url)
    song = f"tr-{own_server.library.items['blue2'].id}"

    def bpm() -> int | None:
        # A new connection each time (no keep-alive session): the kernel hands each one to
        # whichever worker accepts first, so repeated calls reach both workers.
        params = {**http.credentials(), "id": song, "f": "json"}
        answer = requests.get(f"{own_server.url}/rest/getSong", params=params, timeout=30)
        return answer.json()["subsonic-response"]["song"].get("bpm")

    # Each worker process notices the change on its own; wait until one shows it, then until
    # twenty fresh connections in a row all do.
    wait_for(lambda: bpm() == 137, timeout=20, interval=0.2, what="the change to show")
    wait_for(
        lambda: [bpm() for _ in range(20)] == [137] * 20,
        timeout=20,
        interval=0.2,
        what="every worker to answer the new value",
    )
