"""Internet radio: getInternetRadioStations for everyone; admins create, update and delete.

Stream and home page addresses must be http(s) URLs: clients open them as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlparse

from subsonic import ids, nodes
from subsonic.responses import GENERIC, NOT_AUTHORIZED, NOT_FOUND, ApiError, Payload
from subsonic.userdata import radio
from subsonic.userdata.radio import Station

if TYPE_CHECKING:
    from subsonic.api import ApiRequest


def _station_node(station: Station) -> Payload:
    return nodes.compact(
        {
            "id": ids.station_id(station.id),
            "name": station.name,
            "streamUrl": station.stream_url,
            "homePageUrl": station.homepage_url,
        }
    )


def _url(name: str, value: str) -> str:
    if urlparse(value).scheme not in ("http", "https"):
        raise ApiError(GENERIC, f"{name} must be an http or https URL, not {value!r}")
    return value


def _station(request: ApiRequest, station_id: int) -> Station:
    """The station as the request describes it (``name``, ``streamUrl``, ``homepageUrl``)."""
    if not request.user.admin:
        raise ApiError(NOT_AUTHORIZED, "Only admins can change internet radio stations")
    stream_url = _url("streamUrl", request.require("streamUrl"))
    name = request.require("name")
    homepage = request.get("homepageUrl")
    return Station(
        station_id, name, stream_url, _url("homepageUrl", homepage) if homepage else None
    )


def get_internet_radio_stations(request: ApiRequest) -> Payload:
    stations = radio.stations(request.services.library.conn)
    return {"internetRadioStations": {"internetRadioStation": [_station_node(s) for s in stations]}}


def create_internet_radio_station(request: ApiRequest) -> Payload:
    station = _station(request, 0)
    radio.add(request.services.userdata, station.name, station.stream_url, station.homepage_url)
    return {}


def update_internet_radio_station(request: ApiRequest) -> Payload:
    station = _station(request, ids.parse_station(request.require("id")))
    if not radio.update(request.services.userdata, station):
        raise ApiError(NOT_FOUND, f"Internet radio station not found: {request.get('id')}")
    return {}


def delete_internet_radio_station(request: ApiRequest) -> Payload:
    if not request.user.admin:
        raise ApiError(NOT_AUTHORIZED, "Only admins can delete internet radio stations")
    station_id = request.require("id")
    if not radio.remove(request.services.userdata, ids.parse_station(station_id)):
        raise ApiError(NOT_FOUND, f"Internet radio station not found: {station_id}")
    return {}
