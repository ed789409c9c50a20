"""``identify: artist_info: lastfm`` and ``beet identify --artist-info``: the artists of what is
imported or applied, from the fake Last.fm (over TLS, through pylast): missing MusicBrainz ids
filled and recorded as Last.fm's, and the artist pages the server shows stored in the sidecar."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from mediafile import MediaFile

from beetcrate import lastfm_info, sidecar
from beetcrate.credentials import load_key
from beetcrate.settings import LastfmSettings
from subsonic import ids
from subsonic.app import create_app
from subsonic.store import Users
from tests.helper import BeetsHome
from tests.identify.catalogue import ARTISTS, Kind, mbid
from tests.identify.conftest import Incoming, lastfm_account
from tests.provenance.conftest import log
from tests.scrobbling.conftest import certificates, lastfm  # noqa: F401 (fixtures)
from tests.scrobbling.fakes import Call, FakeLastfm, LastfmError
from tests.scrobbling.tls import Certificates
from tests.subsonic.conftest import Api

WELL_ARTIST = ARTISTS[0]  # the artist of the first set's well-tagged album
SINGLES_ARTIST = ARTISTS[3]  # … and of its singles
BIOGRAPHY = f"{WELL_ARTIST} play quiet songs about the sea."


@pytest.fixture
def artists_home(
    identify_home: BeetsHome,
    lastfm: FakeLastfm,  # noqa: F811
    certificates: Certificates,  # noqa: F811
) -> BeetsHome:
    identify_home.configure(
        plugins=["musicbrainz", "identify", "provenance"],
        beetcrate=lastfm_account(lastfm, certificates),
        identify={"artist_info": "lastfm"},
    )
    for name in ARTISTS:
        lastfm.know_artist(
            name, mbid("artist", name), biography=f"{name} play quiet songs about the sea."
        )
    lastfm.know_artist(WELL_ARTIST, mbid("artist", WELL_ARTIST), BIOGRAPHY, similar=(ARTISTS[1],))
    return identify_home


def folder_of(incoming: Incoming, kind: Kind) -> Path:
    return next(
        Path(path).parent
        for path, spec in incoming[1].items()
        if spec.kind is kind and not spec.singleton
    )


@pytest.fixture
def well_tagged_as_is(artists_home: BeetsHome, incoming: Incoming) -> BeetsHome:
    """The well-tagged album imported as-is with Last.fm's artist info off: no artist ids yet,
    for ``beet identify --artist-info`` to find."""
    artists_home.configure(identify={"artist_info": "no"})
    artists_home("import", "-q", "-A", str(folder_of(incoming, Kind.WELL_TAGGED)))
    return artists_home


def test_an_album_imported_as_is_gets_its_artist_ids_from_lastfm_recorded_and_revertible(
    artists_home: BeetsHome, incoming: Incoming
) -> None:
    artists_home("import", "-q", "-A", str(folder_of(incoming, Kind.WELL_TAGGED)))
    album = artists_home.lib.albums().get()
    expected = mbid("artist", WELL_ARTIST)
    # In the library; the files keep their tags, as beets leaves them on an as-is import.
    assert album is not None and album.mb_albumartistid == expected
    for item in album.items():
        assert item.mb_artistid == expected and item.mb_artistids == [expected]
        assert item.mb_albumartistid == expected
    filled = [e for e in log(artists_home) if e["field"] == "mb_artistid"]
    assert filled and {e["source"] for e in filled} == {"lastfm"}
    page = "https://www.last.fm/music/The+Quiet+Tides"
    assert {(e["candidate_kind"], e["candidate_id"]) for e in filled} == {("artist page", page)}

    artists_home("provenance", "revert", f"artist:{WELL_ARTIST}", "--source", "lastfm")
    assert all(not item.mb_artistid for item in artists_home.lib.items())


def test_an_id_the_match_gave_is_never_replaced_by_lastfms(
    artists_home: BeetsHome,
    incoming: Incoming,
    lastfm: FakeLastfm,  # noqa: F811
) -> None:
    other = mbid("artist", "someone else with the same name")
    lastfm.know_artist(WELL_ARTIST, other, BIOGRAPHY)
    artists_home("import", "-q", str(folder_of(incoming, Kind.WELL_TAGGED)))
    album = artists_home.lib.albums().get()
    matched = mbid("artist", WELL_ARTIST)  # what MusicBrainz gave
    assert album is not None and album.mb_albumartistid == matched
    assert {item.mb_artistid for item in album.items()} == {matched}
    # Asked by the id the item has; Last.fm does not know it, so by name.
    asked = [call.params for call in lastfm.calls_of("artist.getInfo")]
    assert [(p.get("mbid"), p.get("artist"), p.get("autocorrect")) for p in asked] == [
        (matched, None, None),
        (None, WELL_ARTIST, "0"),
    ]


def test_each_artist_is_asked_about_once_an_import_and_not_again_while_the_cache_is_fresh(
    artists_home: BeetsHome,
    incoming: Incoming,
    lastfm: FakeLastfm,  # noqa: F811
) -> None:
    loose = incoming[0] / "loose"
    artists_home("import", "-q", "-A", "-s", str(loose))
    info = [call.params["artist"] for call in lastfm.calls_of("artist.getInfo")]
    # The single and the two misleading files name the singles' artist; the two unknown files
    # name artists Last.fm does not know, which is an answer too; the bare files name nobody.
    assert sorted(info) == sorted({SINGLES_ARTIST, "Unsigned 00", "Unsigned 01"})
    similar = [call.params["artist"] for call in lastfm.calls_of("artist.getSimilar")]
    assert similar == [SINGLES_ARTIST]  # nothing is similar to an artist Last.fm does not know
    singles = artists_home.lib.items(f"artist:{SINGLES_ARTIST}")
    assert len(singles) == 3
    assert {item.mb_artistid for item in singles} == {mbid("artist", SINGLES_ARTIST)}

    calls = len(lastfm.calls)
    artists_home("identify", "--artist-info", "--apply")
    assert len(lastfm.calls) == calls  # every answer came from the sidecar's cache


def test_the_servers_artist_page_shows_the_imported_artist_with_lastfm_down(
    artists_home: BeetsHome,
    incoming: Incoming,
    lastfm: FakeLastfm,  # noqa: F811
) -> None:
    artists_home("import", "-q", "-A", str(folder_of(incoming, Kind.WELL_TAGGED)))
    lastfm.down()
    account = LastfmSettings(lastfm.api_key, lastfm.api_secret, lastfm.url)
    settings = artists_home.server_settings(lastfm=account)
    users = Users(sidecar.connect(settings.db), load_key(settings.secret_key_file))
    users.add("alice", "alice's password", admin=True)
    api = Api(create_app(settings).test_client(), "alice", "alice's password")
    info = api.ok("getArtistInfo2", id=ids.artist_id(WELL_ARTIST))["artistInfo2"]
    assert info["biography"] == BIOGRAPHY
    assert info["lastFmUrl"] == "https://www.last.fm/music/The+Quiet+Tides"
    assert info["musicBrainzId"] == mbid("artist", WELL_ARTIST)
    # Its similar artists are in the cache too, for when the library has them.
    with closing(sqlite3.connect(settings.db)) as conn:
        similar = lastfm_info.read(conn, lastfm_info.similar_artists(WELL_ARTIST).key)
    assert similar is not None and similar.fresh and similar.value == [ARTISTS[1]]


def test_lastfm_down_is_one_line_and_the_import_goes_on(
    artists_home: BeetsHome,
    incoming: Incoming,
    lastfm: FakeLastfm,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    lastfm.down()
    folders = [str(folder_of(incoming, kind)) for kind in (Kind.WELL_TAGGED, Kind.TYPOS)]
    artists_home("import", "-q", "-A", *folders)
    lines = [line for line in capsys.readouterr().err.splitlines() if "artist info:" in line]
    assert len(lines) == 1 and lines[0].endswith("; no more artist info in this command")
    assert len(artists_home.lib.albums()) == 2
    assert not any(item.mb_artistid for item in artists_home.lib.items())


def test_identify_artist_info_reports_the_ids_it_would_fill_and_fills_them_with_apply(
    well_tagged_as_is: BeetsHome,
) -> None:
    artists_home = well_tagged_as_is
    assert not any(item.mb_artistid for item in artists_home.lib.items())
    expected = mbid("artist", WELL_ARTIST)

    report = json.loads(artists_home("identify", "--artist-info", "--json"))
    assert len(report) == 3 and not any(entry["applied"] for entry in report)
    assert all(
        entry["changes"]
        == {
            "mb_albumartistid": {"old": "", "new": expected},
            "mb_artistid": {"old": "", "new": expected},
        }
        for entry in report
    )
    assert not any(item.mb_artistid for item in artists_home.lib.items())

    printed = artists_home("identify", "--artist-info", "--apply")
    assert "3 item(s): 3 with artist ids from Last.fm, 3 filled" in printed
    assert {item.mb_artistid for item in artists_home.lib.items()} == {expected}
    assert {MediaFile(item.path).mb_albumartistid for item in artists_home.lib.items()} == {
        expected
    }


def test_identify_apply_asks_about_the_artist_it_applied_by_its_musicbrainz_id(
    artists_home: BeetsHome,
    incoming: Incoming,
    lastfm: FakeLastfm,  # noqa: F811
) -> None:
    artists_home("import", "-q", "-A", str(folder_of(incoming, Kind.TAGLESS)))
    assert lastfm.calls_of("artist.getInfo") == []  # as-is and tagless: no artist to ask about
    artists_home("identify", "--apply")
    album = artists_home.lib.albums().get()
    assert album is not None and album.albumartist == ARTISTS[2]
    asked = [call.params.get("mbid") for call in lastfm.calls_of("artist.getInfo")]
    assert asked == [mbid("artist", ARTISTS[2])]  # once, for the album and its tracks
    with closing(sqlite3.connect(artists_home.sidecar)) as conn:
        page = lastfm_info.read(conn, lastfm_info.artist_info(ARTISTS[2]).key)
    assert (
        page is not None
        and page.value["biography"] == f"{ARTISTS[2]} play quiet songs about the sea."
    )


def test_identify_artist_info_with_lastfm_down_says_no_item_was_asked(
    well_tagged_as_is: BeetsHome,
    lastfm: FakeLastfm,  # noqa: F811
) -> None:
    artists_home = well_tagged_as_is
    lastfm.down()

    report = json.loads(artists_home("identify", "--artist-info", "--json"))
    assert len(report) == 3 and not any(entry["asked"] or entry["changes"] for entry in report)
    printed = artists_home("identify", "--artist-info")
    assert "no artist id to fill" not in printed
    assert printed.count("not asked: Last.fm could not be reached") == 3
    assert "3 item(s): 0 with artist ids from Last.fm, 3 not asked" in printed


def test_identify_artist_info_with_lastfm_failing_partway_says_which_items_were_asked(
    well_tagged_as_is: BeetsHome,
    lastfm: FakeLastfm,  # noqa: F811
) -> None:
    artists_home = well_tagged_as_is
    album = artists_home.lib.albums().get()
    assert album is not None
    guest = list(album.items())[-1]  # the last track the command asks about
    guest.artist = "Zephyr Guest"  # sorts after the album artist: still last
    guest.store()
    answer = lastfm.methods["artist.getInfo"]

    @lastfm.method("artist.getInfo")
    def down_after_the_album_artist(call: Call) -> str:
        if call.params.get("artist") == guest.artist:
            raise LastfmError(11, "Service Offline - This service is temporarily offline")
        return answer(call)

    report = json.loads(artists_home("identify", "--artist-info", "--json"))
    # The tracks asked about before Last.fm went down keep their answers; the guest's was
    # never asked.
    assert [entry["asked"] for entry in report] == [True, True, False]
    assert report[0]["changes"] and report[1]["changes"]
