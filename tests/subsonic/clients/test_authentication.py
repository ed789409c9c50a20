"""Logging in as clients do and fail to: error 40 on HTTP 200, API keys (OpenSubsonic
``apiKeyAuthentication``) and their errors 43 and 44, and credentials kept out of the log."""

from __future__ import annotations

import hashlib

import pytest
import requests

from tests.helper import wait_for
from tests.subsonic.conftest import ADMIN, ADMIN_PASSWORD, LISTENER, LISTENER_PASSWORD
from tests.subsonic.server import HttpApi, RunningServer

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "credentials",
    [
        {"u": ADMIN, "p": "wrong"},
        {"u": ADMIN, "p": "enc:" + b"wrong".hex()},
        {"u": ADMIN, "t": "0" * 32, "s": "abcdef"},
        {"u": "nobody", "p": ADMIN_PASSWORD},
    ],
    ids=["plain password", "enc password", "token", "unknown user"],
)
def test_wrong_credentials_are_error_40_with_http_200(
    server: RunningServer, credentials: dict[str, str]
) -> None:
    http = HttpApi(server.url)
    assert http.error("ping", auth=False, v="1.16.1", c="test", **credentials) == 40
    # Clients tell an OpenSubsonic server apart even from its failed answers.
    body = http.get("ping", auth=False, v="1.16.1", c="test", f="json", **credentials).json()
    envelope = body["subsonic-response"]
    assert envelope["openSubsonic"] is True
    assert envelope["type"] == "beetcrate"
    assert envelope["version"] == "1.16.1"


def test_api_key_authenticates_as_its_user(http: HttpApi, bob_api_key: str) -> None:
    key = {"apiKey": bob_api_key, "v": "1.16.1", "c": "test"}
    assert http.ok("getUser", auth=False, username=LISTENER, **key)["user"]["username"] == LISTENER
    # bob is no admin: another user's record is refused, proving who the key logged in as.
    assert http.error("getUser", auth=False, username=ADMIN, **key) == 50


@pytest.mark.parametrize(
    "other",
    [
        pytest.param({"u": LISTENER}, id="u"),
        pytest.param(
            {"p": LISTENER_PASSWORD},
            id="p",
        ),
        pytest.param(
            {"t": "0" * 32, "s": "abcdef"},
            id="t and s",
        ),
    ],
)
def test_api_key_with_other_credentials_is_error_43(
    http: HttpApi, bob_api_key: str, other: dict[str, str]
) -> None:
    # apiKeyAuth.md: "passing in u must be treated as an error 43" and "If multiple
    # conflicting authentication parameters are passed in, the server must return an error 43".
    params = {"apiKey": bob_api_key, **other, "v": "1.16.1", "c": "test"}
    assert http.error("ping", auth=False, **params) == 43


def test_a_new_api_key_revokes_the_previous_one(own_server: RunningServer) -> None:
    # apiKeyAuth.md: servers must allow revoking keys; issuing a new one is how beetcrate does.
    server, http = own_server, HttpApi(own_server.url)
    first = server.cli("user", "apikey", ADMIN).strip()
    assert http.ok("ping", auth=False, apiKey=first, v="1.16.1", c="test")
    second = server.cli("user", "apikey", ADMIN).strip()
    assert second != first
    assert http.error("ping", auth=False, apiKey=first, v="1.16.1", c="test") == 44
    assert http.ok("ping", auth=False, apiKey=second, v="1.16.1", c="test")


def test_extensions_answer_without_credentials(http: HttpApi) -> None:
    # getopensubsonicextensions.md: must be publicly accessible; clients call it before login.
    extensions = http.ok("getOpenSubsonicExtensions", auth=False)["openSubsonicExtensions"]
    assert {"name": "apiKeyAuthentication", "versions": [1]} in extensions


def test_unknown_api_key_is_error_44(http: HttpApi) -> None:
    assert http.error("ping", auth=False, apiKey="not-a-key", v="1.16.1", c="test") == 44


def test_credentials_never_reach_the_access_log(server: RunningServer, bob_api_key: str) -> None:
    salt = "5a175a175a17"
    token = hashlib.md5((ADMIN_PASSWORD + salt).encode()).hexdigest()
    secrets = {
        "p": ADMIN_PASSWORD,
        "enc": "enc:" + ADMIN_PASSWORD.encode().hex(),
        "t": token,
        "apiKey": bob_api_key,
    }
    requests_with_secrets = [
        {"u": ADMIN, "p": secrets["p"]},
        {"u": ADMIN, "p": secrets["enc"]},
        {"u": ADMIN, "t": token, "s": salt},
        {"apiKey": bob_api_key},
    ]
    marker = '"GET /rest/getScanStatus'
    before = server.log().count(marker)
    for credentials in requests_with_secrets:
        answer = requests.get(
            f"{server.url}/rest/getScanStatus",
            params={**credentials, "v": "1.16.1", "c": "test", "f": "json"},
            timeout=30,
        )
        assert answer.json()["subsonic-response"]["status"] == "ok"
    # The access log is written after each answer; wait until our lines are there.
    wait_for(
        lambda: server.log().count(marker) >= before + len(requests_with_secrets),
        what=lambda: f"the access log lines:\n{server.log()[-2000:]}",
    )
    log = server.log()
    for value in [*secrets.values(), ADMIN_PASSWORD.replace(" ", "+"), salt, "apiKey="]:
        assert value not in log, value
