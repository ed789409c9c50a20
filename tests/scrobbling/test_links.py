"""``beetcrate user link|unlink|list``: credentials checked with the service, stored encrypted,
never printed; the settings that name the services."""

from __future__ import annotations

import io
import re
import urllib.request

import pytest

from beetcrate.cli import main
from beetcrate.scrobbling.model import Service
from beetcrate.settings import SettingsError, load_settings
from tests.helper import BeetsHome, start_process, stop_process
from tests.scrobbling.conftest import Served
from tests.scrobbling.fakes import FakeLastfm, FakeListenBrainz
from tests.scrobbling.tls import Certificates
from tests.subsonic.conftest import Api


def test_the_web_authorization_links_the_account_the_user_approved(
    served: Served, lastfm: FakeLastfm, certificates: Certificates
) -> None:
    config = str(served.home.config_file)
    linking = start_process("beetcrate", "-c", config, "user", "link", "alice", "lastfm")
    try:
        assert linking.stdout is not None
        url = ""
        while not url:
            line = linking.stdout.readline()
            assert line, "the command ended without printing the authorization page"
            url = line.strip() if "/api/auth/" in line else ""
        assert url.startswith(f"https://{lastfm.host}/api/auth/?api_key={lastfm.api_key}")
        # The user opens the page and allows beetcrate.
        with urllib.request.urlopen(url, context=certificates.client_context()) as page:
            assert b"authorized" in page.read()
        assert linking.wait(timeout=60) == 0
    finally:
        output = stop_process(linking)
    assert "linked alice to lastfm account rj" in output
    (key,) = lastfm.sessions
    assert key not in output
    link = served.link_of("alice", Service.LASTFM)
    assert link is not None and link.account == "rj"
    assert served.links().secret("alice", Service.LASTFM) == key


def test_the_web_authorization_gives_up_after_its_wait(
    served: Served, lastfm: FakeLastfm, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(served.home.config_file)
    assert main(["-c", config, "user", "link", "alice", "lastfm", "--wait", "0"]) == 1
    assert "not approved within 0 seconds; nothing was linked" in capsys.readouterr().err
    assert served.links().of("alice") == []


def test_a_session_key_or_a_token_the_service_refuses_is_not_stored(
    served: Served,
    lastfm: FakeLastfm,
    listenbrainz: FakeListenBrainz,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = str(served.home.config_file)
    assert main(["-c", config, "user", "link", "alice", "lastfm", "--session-key", "nope"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Invalid session key" in error
    assert main(["-c", config, "user", "link", "alice", "listenbrainz", "--token", "nope"]) == 1
    assert "refused the token: Token invalid." in capsys.readouterr().err
    assert main(["-c", config, "user", "link", "nobody", "listenbrainz", "--token", "x"]) == 1
    assert "no user named 'nobody'" in capsys.readouterr().err
    assert served.links().of() == []


def test_calls_signed_with_another_secret_are_refused(
    served: Served, lastfm: FakeLastfm, capsys: pytest.CaptureFixture[str]
) -> None:
    served.home.configure(beetcrate={"lastfm": {"api_secret": "not the secret"}})
    key = lastfm.new_session("rj")
    config = str(served.home.config_file)
    assert main(["-c", config, "user", "link", "alice", "lastfm", "--session-key", key]) == 1
    assert "Invalid method signature supplied" in capsys.readouterr().err


def test_session_keys_and_tokens_are_encrypted_at_rest_and_listed_without_them(
    served: Served,
    lastfm: FakeLastfm,
    listenbrainz: FakeListenBrainz,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key, token = lastfm.new_session("rj"), listenbrainz.new_token("lb-alice")
    config = str(served.home.config_file)
    assert main(["-c", config, "user", "link", "alice", "lastfm", "--session-key", key]) == 0
    assert main(["-c", config, "user", "link", "alice", "listenbrainz", "--token", token]) == 0
    assert main(["-c", config, "user", "list"]) == 0
    output = capsys.readouterr().out
    assert "alice  admin  lastfm: rj; listenbrainz: lb-alice" in output
    assert key not in output and token not in output
    db = served.settings.db
    stored = b"".join(
        path.read_bytes() for path in (db, db.with_name(db.name + "-wal")) if path.exists()
    )
    assert b"alice" in stored  # the link rows are there…
    assert key.encode() not in stored and token.encode() not in stored  # …the secrets are not


def test_secrets_read_from_standard_input_never_appear_on_the_command_line(
    served: Served,
    lastfm: FakeLastfm,
    listenbrainz: FakeListenBrainz,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key, token = lastfm.new_session("rj"), listenbrainz.new_token("lb-alice")
    config = str(served.home.config_file)
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{key}\n"))
    assert main(["-c", config, "user", "link", "alice", "lastfm", "--session-key", "-"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{token}\n"))
    assert main(["-c", config, "user", "link", "alice", "listenbrainz"]) == 0
    assert main(["-c", config, "user", "list"]) == 0
    assert "alice  admin  lastfm: rj; listenbrainz: lb-alice" in capsys.readouterr().out


def test_settings_name_the_services_urls(beets_home: BeetsHome) -> None:
    settings = load_settings(beets_home.config_file)
    assert settings.lastfm.url == "https://ws.audioscrobbler.com/2.0/"
    assert settings.lastfm.ws_server == ("ws.audioscrobbler.com", "/2.0/")
    assert settings.lastfm.homepage == "https://www.last.fm"
    assert not settings.lastfm.configured
    assert settings.listenbrainz.url == "https://api.listenbrainz.org/1/"

    beets_home.configure(
        beetcrate={
            "lastfm": {"api_key": "a", "api_secret": "b", "url": "https://libre.fm/2.0"},
            "listenbrainz": {"url": "http://maloja.lan:42010/apis/listenbrainz/1"},
        }
    )
    settings = load_settings(beets_home.config_file)
    assert settings.lastfm.ws_server == ("libre.fm", "/2.0/")
    assert settings.lastfm.homepage == "https://libre.fm"
    assert settings.listenbrainz.url == "http://maloja.lan:42010/apis/listenbrainz/1/"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"lastfm": {"url": "http://libre.fm/2.0/"}}, "beetcrate.lastfm.url: a https:// URL"),
        ({"lastfm": {"api_key": "only the key"}}, "give both api_key and api_secret"),
        ({"listenbrainz": {"url": "listenbrainz.org"}}, "beetcrate.listenbrainz.url"),
    ],
)
def test_settings_that_cannot_work_are_one_clear_error(
    beets_home: BeetsHome, section: dict, message: str
) -> None:
    beets_home.configure(beetcrate=section)
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(beets_home.config_file)


def test_the_scrobble_call_answers_while_no_worker_runs_and_services_are_down(
    served: Served, alice: Api, lastfm: FakeLastfm, listenbrainz: FakeListenBrainz
) -> None:
    """Nothing on the request's way talks to a service: with both down and no worker, the
    plays wait in the outbox."""
    key = lastfm.new_session("rj")
    config = str(served.home.config_file)
    assert main(["-c", config, "user", "link", "alice", "lastfm", "--session-key", key]) == 0
    lastfm.down()
    listenbrainz.down()
    alice.ok_once("scrobble", id=served.id("blue1"), submission="false")
    alice.ok_once("scrobble", id=served.id("blue1"))
    link = served.link_of("alice", Service.LASTFM)
    assert link is not None and link.waiting == 2
