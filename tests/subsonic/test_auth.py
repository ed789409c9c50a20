"""Authentication: every method but the spec's public ones needs valid credentials."""

from __future__ import annotations

import hashlib

import pytest

from subsonic.api import PROTECTED
from tests.subsonic.conftest import ADMIN, ADMIN_PASSWORD, LISTENER, LISTENER_PASSWORD, Api

CLIENT = {"v": "1.16.1", "c": "pytest"}


def test_plain_password_logs_in(api: Api) -> None:
    api.ok("ping", auth=False, u=ADMIN, p=ADMIN_PASSWORD, **CLIENT)


def test_hex_encoded_password_logs_in(api: Api) -> None:
    encoded = "enc:" + LISTENER_PASSWORD.encode().hex()
    api.ok("ping", auth=False, u=LISTENER, p=encoded, **CLIENT)


def test_salted_token_logs_in(api: Api) -> None:
    token = hashlib.md5((ADMIN_PASSWORD + "s4lt").encode()).hexdigest()
    api.ok("ping", auth=False, u=ADMIN, t=token, s="s4lt", **CLIENT)


@pytest.mark.parametrize(
    "credentials",
    [
        {"u": ADMIN, "p": "wrong"},
        {"u": "nobody", "p": ADMIN_PASSWORD},
        {"u": ADMIN, "t": "0" * 32, "s": "salt"},
        {"u": ADMIN, "p": "enc:zz-not-hex"},
    ],
)
def test_wrong_credentials_are_error_40(api: Api, credentials: dict) -> None:
    assert api.error("ping", auth=False, **credentials, **CLIENT) == 40


@pytest.mark.parametrize(
    "credentials",
    [{}, {"p": ADMIN_PASSWORD}, {"u": ADMIN}, {"u": ADMIN, "t": "abc"}, {"u": ADMIN, "s": "x"}],
)
def test_missing_credentials_are_error_10(api: Api, credentials: dict) -> None:
    assert api.error("ping", auth=False, **credentials, **CLIENT) == 10


def test_missing_client_name_is_error_10(api: Api) -> None:
    assert api.error("ping", auth=False, u=ADMIN, p=ADMIN_PASSWORD, v="1.16.1") == 10


def test_api_key_logs_in_and_conflicts_with_a_username(app, api: Api) -> None:
    key = app.extensions["beetcrate"].users.new_api_key(LISTENER)
    body = api.ok("getUser", auth=False, apiKey=key, username=LISTENER, **CLIENT)
    assert body["user"]["username"] == LISTENER
    assert api.error("ping", auth=False, apiKey=key, u=LISTENER, **CLIENT) == 43
    assert api.error("ping", auth=False, apiKey=key + "x", **CLIENT) == 44


@pytest.mark.parametrize("method", sorted(PROTECTED))
def test_every_protected_method_refuses_anonymous_requests(api: Api, method: str) -> None:
    response = api.get(method, auth=False, f="json", id="tr-1", **CLIENT)
    assert response.json["subsonic-response"]["error"]["code"] == 10


def test_listener_cannot_list_users_or_start_scans(listener_api: Api) -> None:
    assert listener_api.error("getUsers") == 50
    assert listener_api.error("getUser", username=ADMIN) == 50
    assert listener_api.error("startScan") == 50
    assert listener_api.ok("getUser", username=LISTENER)["user"]["adminRole"] is False
