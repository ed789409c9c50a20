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
    # The jingle is a singleton: the catalog shows it on "[Singles]", which is no album of it.
    jingle = listens[2]["track_metadata"]
    assert jingle["track_name"] == "Jingle" and "[Singles]" not in str(jingle)
    assert listenbrainz.invalid == []


def test_plays_made_during_outages_arrive_later_once_and_in_order(
    served: Served,
    alice: Api,
    lastfm: FakeLastfm,
    listenbrainz: FakeListenBrainz,
    worker: Worker,
) -> None:
    link_lastfm(served, lastfm)
    link_listenbrainz(served, listenbrainz)
    play(alice, served, "blue1", at=T0)
    wait_until(lambda: len(lastfm.scrobbles) == 1, "the first scrobble")
    wait_until(lambda: len(listenbrainz.scrobbled("alice-on-lb")) == 1, "the first listen")

    # Last.fm says "try again later" (error 16); ListenBrainz is gone (connections refused).
    lastfm.failing = LastfmError(16, "There was a temporary error processing your request")
    listenbrainz.down()
    for n in range(1, 6):
        play(alice, served, f"blue{1 + n % 3}", at=T0 + 600 * n)
    wait_until(
        lambda: (link := served.link_of("alice", Service.LASTFM)) and link.last_error,
        "a failed attempt on Last.fm",
    )
    wait_until(
        lambda: (link := served.link_of("alice", Service.LISTENBRAINZ)) and link.last_error,
        "a failed attempt on ListenBrainz",
    )
    assert served.link_of("alice", Service.LASTFM).waiting == 5  # type: ignore[union-attr]

    # The worker dies and another starts while the services are still away.
    worker.stop()
    listenbrainz.up()
    listenbrainz.http_status = 503
    worker.start()
    play(alice, served, "blue3", at=T0 + 600 * 6)
    wait_until(lambda: listenbrainz.requests > 0, "an attempt on the ListenBrainz that answers 503")

    lastfm.failing = None
    listenbrainz.http_status = 0
    wait_until(lambda: len(lastfm.scrobbles) == 7, "every scrobble on Last.fm", timeout=60)
    wait_until(
        lambda: len(listenbrainz.scrobbled("alice-on-lb")) == 7,
        "every listen on ListenBrainz",
        timeout=60,
    )
    expected = [str(T0 + 600 * n) for n in range(7)]
    assert [s["timestamp"] for s in lastfm.scrobbles] == expected
    listened = [listen["listened_at"] for listen in listenbrainz.scrobbled("alice-on-lb")]
    assert listened == [T0 + 600 * n for n in range(7)]
    assert served.link_of("alice", Service.LASTFM).waiting == 0  # type: ignore[union-attr]


def test_a_rate_limited_listenbrainz_gets_every_listen_at_its_pace(
    served: Served, alice: Api, listenbrainz: FakeListenBrainz, worker: Worker
) -> None:
    link_listenbrainz(served, listenbrainz)
    listenbrainz.rate_limit, listenbrainz.window = 2, 0.5
    for n in range(12):
        play(alice, served, "blue1", at=T0 + 600 * n)
    wait_until(lambda: len(listenbrainz.scrobbled("alice-on-lb")) == 12, "every listen")
    listened = [listen["listened_at"] for listen in listenbrainz.scrobbled("alice-on-lb")]
    assert listened == [T0 + 600 * n for n in range(12)]


def test_a_revoked_session_key_is_recorded_and_stops_the_link_until_linked_again(
    served: Served,
    alice: Api,
    lastfm: FakeLastfm,
    listenbrainz: FakeListenBrainz,
    worker: Worker,
    capsys,
) -> None:
    key = link_lastfm(served, lastfm)
    link_listenbrainz(served, listenbrainz)
    lastfm.revoke(key)
    play(alice, served, "blue1", at=T0)
    wait_until(
        lambda: (link := served.link_of("alice", Service.LASTFM)) and link.rejected,
        "the rejection recorded",
    )
    link = served.link_of("alice", Service.LASTFM)
    assert link is not None and link.rejected == "Invalid session key - Please re-authenticate"
    calls = len(lastfm.calls) + lastfm.requests

    # Later plays wait; the dispatcher leaves the link alone (ListenBrainz, dispatched by the
    # same worker, gets its listens meanwhile).
    play(alice, served, "blue2", at=T0 + 600)
    wait_until(lambda: len(listenbrainz.scrobbled("alice-on-lb")) == 2, "both listens")
    play(alice, served, "blue3", at=T0 + 1200)
    wait_until(lambda: len(listenbrainz.scrobbled("alice-on-lb")) == 3, "the third listen")
    assert len(lastfm.calls) + lastfm.requests == calls

    capsys.readouterr()
    assert main(["-c", str(served.home.config_file), "user", "list"]) == 0
    listed = capsys.readouterr().out
    assert "lastfm: alice-on-lastfm REJECTED" in listed
    assert "Invalid session key - Please re-authenticate" in listed and "(3 waiting)" in listed

    link_lastfm(served, lastfm)
    wait_until(lambda: len(lastfm.scrobbles) == 3, "the plays that waited")
    assert [s["timestamp"] for s in lastfm.scrobbles] == [str(T0 + 600 * n) for n in range(3)]


def test_an_invalid_listenbrainz_token_is_recorded_and_stops_the_link(
    served: Served, alice: Api, listenbrainz: FakeListenBrainz, worker: Worker
) -> None:
    token = link_listenbrainz(served, listenbrainz)
    del listenbrainz.tokens[token]
    play(alice, served, "blue1", at=T0)
    wait_until(
        lambda: (link := served.link_of("alice", Service.LISTENBRAINZ)) and link.rejected,
        "the rejection recorded",
    )
    link = served.link_of("alice", Service.LISTENBRAINZ)
    assert link is not None and link.rejected == "Invalid authorization token."
    assert link.waiting == 1 and listenbrainz.listens == []


def test_plays_made_without_a_link_are_never_sent(
    served: Served,
    alice: Api,
    bob: Api,
    lastfm: FakeLastfm,
    listenbrainz: FakeListenBrainz,
    worker: Worker,
) -> None:
    play(alice, served, "blue1", at=T0)
    link_lastfm(served, lastfm)
    link_listenbrainz(served, listenbrainz)
    play(bob, served, "blue2", at=T0 + 600)  # bob linked nothing
    play(alice, served, "blue3", at=T0 + 1200)
    wait_until(lambda: lastfm.scrobbles, "alice's linked play on Last.fm")
    wait_until(lambda: listenbrainz.listens, "alice's linked play on ListenBrainz")
    assert [s["track"] for s in lastfm.scrobbles] == ["Blue Song 3"]
    assert [listen["listened_at"] for listen in listenbrainz.scrobbled("alice-on-lb")] == [
        T0 + 1200
    ]
    assert served.links().of("bob") == []


def test_unlinking_drops_the_plays_still_waiting(
    served: Served, alice: Api, listenbrainz: FakeListenBrainz
) -> None:
    link_listenbrainz(served, listenbrainz)
    play(alice, served, "blue1", "blue2")  # no worker runs: they wait
    assert served.link_of("alice", Service.LISTENBRAINZ).waiting == 2  # type: ignore[union-attr]
    config = str(served.home.config_file)
    assert main(["-c", config, "user", "unlink", "alice", "listenbrainz"]) == 0
    assert served.links().of("alice") == []
    assert main(["-c", config, "user", "unlink", "alice", "listenbrainz"]) == 1
