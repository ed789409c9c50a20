"""The dispatcher of ``beetcrate worker`` delivers in its own process, without the Huey queue,
and keeps looking at the outbox whatever one look raised."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from beetcrate.queue import huey
from beetcrate.scrobbling.dispatcher import start_dispatcher
from beetcrate.scrobbling.forward import Forwarder
from tests.scrobbling.conftest import wait_until
from tests.scrobbling.fakes import FakeListenBrainz
from tests.scrobbling.test_delivery import open_forwarder, queue, song
from tests.scrobbling.tls import Certificates


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def test_plays_are_delivered_by_the_dispatcher_without_the_queue_after_a_failed_look(
    tmp_path: Path,
    certificates: Certificates,
    listenbrainz: FakeListenBrainz,
    monkeypatch: pytest.MonkeyPatch,
    stop: threading.Event,
) -> None:
    token = listenbrainz.new_token("ann")
    forwarder = open_forwarder(tmp_path, listenbrainz.url, certificates.ca_file, token)
    queue(forwarder, [(song(n), time.time() - 60 + n) for n in range(3)])
    looks = []
    dispatch = Forwarder.dispatch

    def fails_first(self: Forwarder, *args: object, **kwargs: object) -> object:
        looks.append(1)
        if len(looks) == 1:
            raise ConnectionError("the first look fails")
        return dispatch(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Forwarder, "dispatch", fails_first)
    start_dispatcher(forwarder.config, stop, interval=0.01)

    wait_until(lambda: len(listenbrainz.scrobbled("ann")) == 3, "the plays delivered")
    assert huey.pending_count() == 0  # no task, so no settings or secrets in the queue
    forwarder.db.close()
