"""Internet radio: admins keep a list of stations that every user sees."""

from __future__ import annotations

import pytest
from flask import Flask

from subsonic.app import create_app
from tests.subsonic.conftest import LISTENER, LISTENER_PASSWORD, Api, build_library


@pytest.fixture
def own_app(tmp_path) -> Flask:
    """A server of the test's own: these tests change its stations."""
    return create_app(build_library(tmp_path).settings)


@pytest.fixture
def admin(own_app: Flask) -> Api:
    return Api(own_app.test_client())


@pytest.fixture
def listener(own_app: Flask) -> Api:
    return Api(own_app.test_client(), LISTENER, LISTENER_PASSWORD)


def _stations(api: Api) -> list[dict]:
    return api.ok("getInternetRadioStations")["internetRadioStations"].get(
        "internetRadioStation", []
    )


def test_stations_admins_add_are_listed_for_everyone_by_name(admin: Api, listener: Api) -> None:
    admin.ok_once("createInternetRadioStation", name="Zed FM", streamUrl="https://zed.fm/live")
    admin.ok_once(
        "createInternetRadioStation",
        fmt="xml",
        name="alpha radio",
        streamUrl="http://alpha.example/stream.mp3",
        homepageUrl="https://alpha.example/",
    )
    stations = _stations(listener)
    assert [(s["name"], s["streamUrl"]) for s in stations] == [
        ("alpha radio", "http://alpha.example/stream.mp3"),
        ("Zed FM", "https://zed.fm/live"),
    ]
    assert stations[0]["homePageUrl"] == "https://alpha.example/"
    assert "homePageUrl" not in stations[1]
    assert all(s["id"].startswith("ir-") for s in stations)


def test_admins_update_and_delete_stations(admin: Api) -> None:
    admin.ok_once("createInternetRadioStation", name="Old", streamUrl="http://old.example/")
    (station,) = _stations(admin)
    admin.ok("updateInternetRadioStation", id=station["id"], name="New", streamUrl="http://new/")
    assert [(s["name"], s["streamUrl"]) for s in _stations(admin)] == [("New", "http://new/")]
    admin.ok_once("deleteInternetRadioStation", id=station["id"])
    assert _stations(admin) == []
    assert admin.error("deleteInternetRadioStation", id=station["id"]) == 70


def test_listeners_cannot_change_stations(admin: Api, listener: Api) -> None:
    admin.ok_once("createInternetRadioStation", name="Mine", streamUrl="http://mine/")
    (station,) = _stations(admin)
    change = {"name": "Theirs", "streamUrl": "http://theirs/"}
    assert listener.error("createInternetRadioStation", **change) == 50
    assert listener.error("updateInternetRadioStation", id=station["id"], **change) == 50
    assert listener.error("deleteInternetRadioStation", id=station["id"]) == 50
    assert [s["name"] for s in _stations(listener)] == ["Mine"]


@pytest.mark.parametrize(
    ("method", "params", "code"),
    [
        ("createInternetRadioStation", {"name": "No stream"}, 10),
        ("createInternetRadioStation", {"streamUrl": "http://x/"}, 10),
        ("createInternetRadioStation", {"name": "Bad", "streamUrl": "javascript:alert(1)"}, 0),
        (
            "createInternetRadioStation",
            {"name": "B", "streamUrl": "http://x/", "homepageUrl": "x"},
            0,
        ),
        ("updateInternetRadioStation", {"id": "ir-99", "name": "N", "streamUrl": "http://x/"}, 70),
        ("updateInternetRadioStation", {"id": "tr-1", "name": "N", "streamUrl": "http://x/"}, 70),
        ("deleteInternetRadioStation", {"id": "ir-99"}, 70),
        ("deleteInternetRadioStation", {}, 10),
    ],
)
def test_bad_station_requests_get_the_spec_error(
    api: Api, method: str, params: dict, code: int
) -> None:
    # On the shared server: a refused request changes nothing.
    assert api.error(method, **params) == code
    assert _stations(api) == []
