"""Plays go from the real Flask app through the outbox and a real worker to the services:
in order, once, after outages and restarts, never for a link refused or a play unlinked."""

from __future__ import annotations

from beetcrate.cli import main
from beetcrate.scrobbling.model import Service
from tests.scrobbling.conftest import Served, Worker, wait_until
from tests.scrobbling.fakes import FakeLastfm, FakeListenBrainz, LastfmError
from tests.subsonic.conftest import Api

T0 = 1_700_000_000  # epoch seconds of the first play


def link_lastfm(served: Served, lastfm: FakeLastfm, user: str = "alice") -> str:
    key = lastfm.new_session(f"{user}-on-lastfm")
    config = str(served.home.config_file)
    assert main(["-c", config, "user", "link", user, "lastfm", "--session-key", key]) == 0
    return key


def link_listenbrainz(served: Served, listenbrainz: FakeListenBrainz, user: str = "alice") -> str:
    token = listenbrainz.new_token(f"{user}-on-lb")
    config = str(served.home.config_file)
    assert main(["-c", config, "user", "link", user, "listenbrainz", "--token", token]) == 0
    return token


def play(api: Api, served: Served, *names: str, at: int = T0) -> None:
    """Scrobble (submission=true) ``names`` played a minute apart from ``at``."""
    times = [str((at + 60 * n) * 1000) for n in range(len(names))]
    api.ok_once("scrobble", id=[served.id(name) for name in names], time=times)


def test_plays_reach_both_services_with_what_they_know_of_the_song(
    served: Served,
    alice: Api,
    lastfm: FakeLastfm,
    listenbrainz: FakeListenBrainz,
    worker: Worker,
) -> None:
    link_lastfm(served, lastfm)
    link_listenbrainz(served, listenbrainz)
    blue1 = served.songs["blue1"]

    alice.ok_once("scrobble", id=served.id("blue1"), submission="false")
    wait_until(lambda: lastfm.now_playing, "Last.fm's now playing")
    playing = lastfm.now_playing[0]
    assert playing["artist"] == "The Testers" and playing["track"] == "Blue Song 1"
    assert playing["album"] == "Blue Album" and playing["albumArtist"] == "The Testers"
    assert playing["duration"] == "181" and playing["trackNumber"] == "1"
    assert playing["mbid"] == blue1.mb_trackid and playing["account"] == "alice-on-lastfm"
    wait_until(lambda: listenbrainz.listens, "ListenBrainz's playing_now")
    user, kind, listen = listenbrainz.listens[0]
    assert (user, kind) == ("alice-on-lb", "playing_now")
    assert "listened_at" not in listen

    play(alice, served, "blue1", "blue2", "jingle", "blue3")
    wait_until(lambda: len(lastfm.scrobbles) == 3, "three scrobbles on Last.fm")
    wait_until(lambda: len(listenbrainz.scrobbled("alice-on-lb")) == 4, "four listens")

    # Last.fm: in play order, the jingle (20 s) left out, every field of the song.
    assert [s["track"] for s in lastfm.scrobbles] == ["Blue Song 1", "Blue Song 2", "Blue Song 3"]
    assert [s["timestamp"] for s in lastfm.scrobbles] == [str(T0), str(T0 + 60), str(T0 + 180)]
    first = lastfm.scrobbles[0]
    assert first["album"] == "Blue Album" and first["albumArtist"] == "The Testers"
    assert first["trackNumber"] == "1" and first["duration"] == "181"
    assert first["mbid"] == blue1.mb_trackid

    # ListenBrainz: every listen, in order, with its MusicBrainz ids and the players' names.
    listens = listenbrainz.scrobbled("alice-on-lb")
    assert [listen["listened_at"] for listen in listens] == [T0 + 60 * n for n in range(4)]
    metadata = listens[0]["track_metadata"]
    assert metadata["artist_name"] == "The Testers" and metadata["track_name"] == "Blue Song 1"
    assert metadata["release_name"] == "Blue Album"
    info = metadata["additional_info"]
    assert info["recording_mbid"] == blue1.mb_trackid
    assert info["release_mbid"] == blue1.mb_albumid
    assert info["artist_mbids"] == [blue1.mb_artistid]
    assert info["duration"] == 181 and info["tracknumber"] == 1
    assert info["submission_client"] == "beetcrate" and info["media_player"] == "pytest"
    assert listenbrainz.invalid == []
