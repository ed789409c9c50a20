"""One link's delivery, in this process, against the fake services: what a bad play, a
misbehaving server or a relink does to the plays waiting."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from beetcrate.scrobbling import store
from beetcrate.scrobbling.forward import MAX_SUBMISSION_S, ForwardConfig, Forwarder, backoff
from beetcrate.scrobbling.lastfm import Scrobbler
from beetcrate.scrobbling.model import SENT, Answer, Entry, Kind, Outcome, Service, Track
from beetcrate.settings import LastfmSettings, ListenBrainzSettings
from tests.scrobbling.fakes import FakeLastfm, FakeListenBrainz
from tests.scrobbling.tls import Certificates


def song(n: int, recording_mbid: str = "", release_mbid: str = "") -> Track:
    return Track(
        "The Testers",
        f"Song {n}",
        duration=200,
        recording_mbid=recording_mbid,
        release_mbid=release_mbid,
    )


def open_forwarder(tmp_path: Path, url: str, ca_file: Path, token: str) -> Forwarder:
    """A forwarder on a new sidecar where ann linked ListenBrainz at ``url`` with ``token``."""
    settings = ListenBrainzSettings(url, ca_file)
    config = ForwardConfig(
        tmp_path / "sidecar.db", tmp_path / "key", LastfmSettings(), settings, 30.0
    )
    forwarder = Forwarder(config)
    forwarder.links.link("ann", Service.LISTENBRAINZ, token, "ann")
    return forwarder


@pytest.fixture
def forwarder(
    tmp_path: Path, certificates: Certificates, listenbrainz: FakeListenBrainz
) -> Iterator[Forwarder]:
    token = listenbrainz.new_token("ann")
    forwarder = open_forwarder(tmp_path, listenbrainz.url, certificates.ca_file, token)
    yield forwarder
    forwarder.db.close()


def queue(forwarder: Forwarder, plays: list[tuple[Track, float]]) -> None:
    with forwarder._transaction() as tx:
        store.queue(tx, "ann", [Service.LISTENBRAINZ], Kind.LISTEN, plays, "DSub")


def deliver(forwarder: Forwarder) -> None:
    for lease in forwarder.dispatch(lambda lease: None):
        forwarder.deliver(lease)


def waiting(forwarder: Forwarder) -> int:
    return forwarder.db.execute("SELECT count(*) FROM scrobble_outbox").fetchone()[0]


def test_plays_are_queued_as_listenbrainz_takes_them(
    forwarder: Forwarder, listenbrainz: FakeListenBrainz
) -> None:
    now = time.time()
    good_mbid = str(uuid.uuid4())
    plays = [(song(n), now - 3600 + n) for n in range(47)]
    plays.insert(10, (song(100, recording_mbid="not-a-uuid", release_mbid=good_mbid), now - 60))
    plays.insert(20, (song(101), now + 2 * 3600))  # a client's clock two hours ahead
    plays.insert(30, (song(102), 86400.0))  # a client's clock at 1970

    queue(forwarder, plays)
    deliver(forwarder)

    titles = [listen["track_metadata"]["track_name"] for listen in listenbrainz.scrobbled("ann")]
    assert titles == [track.title for track, _ in plays if track.title != "Song 102"]
    info = listenbrainz.scrobbled("ann")[10]["track_metadata"]["additional_info"]
    assert "recording_mbid" not in info and info["release_mbid"] == good_mbid
    assert listenbrainz.scrobbled("ann")[20]["listened_at"] <= time.time()
    assert waiting(forwarder) == 0


def test_a_play_refused_on_its_own_is_dropped_and_the_rest_of_its_batch_sent(
    forwarder: Forwarder, listenbrainz: FakeListenBrainz
) -> None:
    now = time.time()
    queue(forwarder, [(song(n), now - 3600 + n) for n in range(50)])
    # A row the service refuses, queued by an earlier version that did not check times.
    forwarder.db.execute("UPDATE scrobble_outbox SET played_at = 86400 WHERE id = 23")
    forwarder.db.conn.commit()

    deliver(forwarder)

    titles = [listen["track_metadata"]["track_name"] for listen in listenbrainz.scrobbled("ann")]
    assert titles == [f"Song {n}" for n in range(50) if n != 22]
    assert waiting(forwarder) == 0


class Moved(BaseHTTPRequestHandler):
    """A plain HTTP server whose every answer is a redirect to ``target``."""

    target = ""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.send_response(301)
        self.send_header("Location", self.target + self.path.removeprefix("/1/"))
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_a_redirect_is_not_followed_and_the_plays_wait_with_what_to_fix(
    tmp_path: Path, certificates: Certificates, listenbrainz: FakeListenBrainz
) -> None:
    handler = type("ToFake", (Moved,), {"target": listenbrainz.url})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/1/"
    token = listenbrainz.new_token("ann")
    forwarder = open_forwarder(tmp_path, url, certificates.ca_file, token)
    try:
        queue(forwarder, [(song(1), time.time() - 60)])
        deliver(forwarder)
        [link] = forwarder.links.of("ann")
    finally:
        server.shutdown()
        server.server_close()
        forwarder.db.close()

    assert listenbrainz.requests == 0  # neither the token nor the play went to the other host
    assert link.waiting == 1
    assert f"redirects to {listenbrainz.url}submit-listens" in (link.last_error or "")


@pytest.mark.parametrize("status", [403, 404, 405])
def test_a_url_that_is_no_listenbrainz_api_keeps_the_plays_waiting(
    forwarder: Forwarder, listenbrainz: FakeListenBrainz, status: int
) -> None:
    listenbrainz.http_status = status
    queue(forwarder, [(song(1), time.time() - 60)])
    deliver(forwarder)

    [link] = forwarder.links.of("ann")
    assert link.waiting == 1
    assert "a ListenBrainz API?" in (link.last_error or "")


def test_a_task_leased_before_a_relink_cannot_claim_the_link_again(
    forwarder: Forwarder, listenbrainz: FakeListenBrainz
) -> None:
    queue(forwarder, [(song(1), time.time() - 60)])
    [old] = forwarder.dispatch(lambda lease: None)
    forwarder.links.unlink("ann", Service.LISTENBRAINZ)
    new_token = listenbrainz.new_token("ann-again")
    forwarder.links.link("ann", Service.LISTENBRAINZ, new_token, "ann-again")
    queue(forwarder, [(song(2), time.time() - 30)])

    with forwarder._transaction() as tx:
        assert not store.claim(tx, old, time.time(), 30.0)
    forwarder.deliver(old)
    assert listenbrainz.requests == 0

    deliver(forwarder)
    assert [who for who, _, _ in listenbrainz.listens] == ["ann-again"]


def retry_state(forwarder: Forwarder) -> tuple[float, int, str | None]:
    """(retry_at, failures, last_error) of ann's link."""
    return forwarder.db.execute(
        "SELECT retry_at, failures, last_error FROM scrobble_links WHERE user = 'ann'"
    ).fetchone()


def test_an_answer_cut_short_is_a_failure_retried_later(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))

    def answer_half() -> None:
        connection, _ = listener.accept()
        with connection, connection.makefile("rb") as request:
            length = 0
            while (line := request.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            request.read(length)
            connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"st')

    threading.Thread(target=answer_half, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/1/"
    forwarder = open_forwarder(tmp_path, url, tmp_path / "unused", "token")
    forwarder.config = replace(forwarder.config, listenbrainz=ListenBrainzSettings(url))
    try:
        queue(forwarder, [(song(1), time.time() - 60)])
        deliver(forwarder)
        retry_at, failures, last_error = retry_state(forwarder)
        assert waiting(forwarder) == 1
    finally:
        listener.close()
        forwarder.db.close()
    assert retry_at > time.time() and failures == 1
    assert "IncompleteRead" in (last_error or "")


def test_a_client_that_cannot_be_made_or_fails_is_retried_later(
    tmp_path: Path, forwarder: Forwarder
) -> None:
    forwarder.config = replace(
        forwarder.config,
        listenbrainz=replace(forwarder.config.listenbrainz, ca_file=tmp_path / "missing.pem"),
    )
    queue(forwarder, [(song(1), time.time() - 60)])
    deliver(forwarder)
    assert retry_state(forwarder)[1:] == (
        1,
        "FileNotFoundError: [Errno 2] No such file or directory",
    )

    class Broken:
        def submit(self, kind: Kind, entries: object) -> Answer:
            raise RuntimeError("a bug")

    forwarder._make_submitter = lambda config, service, secret: Broken()
    forwarder.db.execute("UPDATE scrobble_links SET retry_at = 0")
    forwarder.db.conn.commit()
    deliver(forwarder)
    retry_at, failures, last_error = retry_state(forwarder)
    assert (failures, last_error) == (2, "RuntimeError: a bug")
    assert retry_at > time.time() and waiting(forwarder) == 1


def test_credentials_the_key_cannot_decrypt_reject_the_link(forwarder: Forwarder) -> None:
    forwarder.links.key = Fernet(Fernet.generate_key())
    queue(forwarder, [(song(1), time.time() - 60)])
    deliver(forwarder)

    [link] = forwarder.links.of("ann")
    assert link.rejected == "stored credentials cannot be decrypted with this key file"
    assert link.waiting == 1


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def slow_forwarder(forwarder: Forwarder, clock: Clock, seconds: float) -> Forwarder:
    """The same sidecar, through a service whose every submission takes ``seconds`` of
    ``clock``, the dispatcher renewing leases every 10 s meanwhile."""

    class Slow:
        def submit(self, kind: Kind, entries: Sequence[Entry]) -> Answer:
            for _ in range(int(seconds // 10)):
                clock.now += 10
                slow.renew_submissions()
            return SENT

    slow = Forwarder(forwarder.config, lambda config, service, secret: Slow(), clock)
    return slow


def test_a_slow_submission_keeps_its_lease(forwarder: Forwarder) -> None:
    clock = Clock()
    slow = slow_forwarder(forwarder, clock, seconds=60)  # twice the lease
    queue(forwarder, [(song(1), time.time() - 60)])
    deliver(slow)
    assert waiting(forwarder) == 0


def test_a_submission_that_hangs_lets_the_link_go(forwarder: Forwarder) -> None:
    clock = Clock()
    slow = slow_forwarder(forwarder, clock, seconds=MAX_SUBMISSION_S + 60)
    queue(forwarder, [(song(1), time.time() - 60)])
    deliver(slow)
    assert waiting(forwarder) == 1  # its answer came after the lease ended: sent again later


def test_a_lease_or_a_backoff_from_before_the_clock_was_set_back_ends(
    forwarder: Forwarder,
) -> None:
    queue(forwarder, [(song(1), time.time() - 60)])
    a_day_ahead = time.time() + 86400
    forwarder.db.execute("UPDATE scrobble_links SET lease = 'x', lease_until = ?", [a_day_ahead])
    forwarder.db.conn.commit()
    assert len(forwarder.dispatch(lambda lease: None)) == 1

    forwarder.db.execute(
        "UPDATE scrobble_links SET lease = NULL, lease_until = 0, retry_at = ?", [a_day_ahead]
    )
    forwarder.db.conn.commit()
    assert len(forwarder.dispatch(lambda lease: None)) == 1


def test_a_failing_listenbrainz_is_retried_with_backoff_not_its_rate_limit_wait(
    forwarder: Forwarder, listenbrainz: FakeListenBrainz
) -> None:
    listenbrainz.http_status = 503  # its rate-limit headers say: again in under a second
    queue(forwarder, [(song(1), time.time() - 60)])
    deliver(forwarder)
    forwarder.db.execute("UPDATE scrobble_links SET retry_at = 0")
    forwarder.db.conn.commit()
    before = time.time()
    deliver(forwarder)

    retry_at, failures, _ = retry_state(forwarder)
    assert failures == 2 and retry_at >= before + backoff(2)


def test_a_page_that_is_not_last_fms_keeps_the_plays_waiting_with_one_line(
    lastfm: FakeLastfm, certificates: Certificates
) -> None:
    settings = LastfmSettings(lastfm.api_key, lastfm.api_secret, lastfm.url, certificates.ca_file)
    scrobbler = Scrobbler(settings, lastfm.new_session("rj"))
    lastfm.http_status = 200
    lastfm.error_page = b'<?xml version="1.0"?><portal>sign in to the hotel wifi</portal>'

    answer = scrobbler.submit(Kind.LISTEN, [Entry(1, Kind.LISTEN, song(1), time.time() - 60, "t")])

    assert answer.outcome is Outcome.RETRY
    assert "not a Last.fm API page" in answer.message and "\n" not in answer.message
    assert lastfm.scrobbles == []
