"""The wire protocol: formats, methods, the response envelope, CORS and unknown methods."""

from __future__ import annotations

import json

from tests.subsonic.conftest import Api


def test_every_response_carries_the_opensubsonic_envelope(api: Api) -> None:
    body = api.ok("ping")
    assert body["version"] == "1.16.1"
    assert body["type"] == "beetcrate"
    assert body["serverVersion"]
    assert body["openSubsonic"] is True


def test_xml_is_the_default_format_and_uses_the_subsonic_namespace(api: Api) -> None:
    response = api.get("ping")
    assert response.mimetype == "text/xml"
    assert b'xmlns="http://subsonic.org/restapi"' in response.data
    assert b'status="ok"' in response.data


def test_jsonp_wraps_the_json_in_the_callback(api: Api) -> None:
    response = api.get("ping", f="jsonp", callback="handle")
    assert response.mimetype == "application/javascript"
    text = response.data.decode()
    assert text.startswith("handle(") and text.endswith(");")
    assert json.loads(text[len("handle(") : -2])["subsonic-response"]["status"] == "ok"


def test_view_suffix_answers_like_the_plain_method(api: Api) -> None:
    plain = api.client.get("/rest/getGenres", query_string={**api.credentials(), "f": "json"})
    view = api.client.get("/rest/getGenres.view", query_string={**api.credentials(), "f": "json"})
    assert plain.json == view.json


def test_form_post_is_folded_into_the_parameters(api: Api) -> None:
    response = api.client.post(
        "/rest/getAlbumList2", data={**api.credentials(), "f": "json", "type": "newest"}
    )
    assert response.json["subsonic-response"]["status"] == "ok"
    assert response.json["subsonic-response"]["albumList2"]["album"]


def test_formpost_and_apikey_extensions_are_advertised_without_credentials(api: Api) -> None:
    body = api.ok("getOpenSubsonicExtensions", auth=False)
    names = {extension["name"] for extension in body["openSubsonicExtensions"]}
    assert {"formPost", "apiKeyAuthentication"} <= names


def test_cors_headers_are_on_success_and_on_errors(api: Api) -> None:
    ok = api.get("ping")
    failed = api.get("getAlbum", id="al-999999")
    assert failed.status_code == 200
    for response in (ok, failed):
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_preflight_allows_content_type(api: Api) -> None:
    response = api.client.options(
        "/rest/ping",
        headers={
            "Origin": "https://client.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code in (200, 204)
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_unknown_method_is_a_subsonic_error_with_http_404(api: Api) -> None:
    response = api.get("getEverything", f="json")
    assert response.status_code == 404
    assert response.json["subsonic-response"]["error"]["code"] == 0


def test_ids_in_json_are_strings_and_integers_fit_int32(api: Api) -> None:
    songs = api.ok("search3", query="", songCount=500)["searchResult3"]["song"]

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("id", "parent", "albumId", "artistId", "coverArt"):
                    assert isinstance(value, str), (key, value)
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)
        elif isinstance(node, int) and not isinstance(node, bool):
            yield node

    assert all(-(2**31) <= number < 2**31 for number in walk(songs))


def test_an_integer_too_large_for_the_database_is_a_clear_error(api: Api) -> None:
    assert api.error("getAlbumList2", type="newest", offset=str(10**30)) == 0
    assert api.error("search3", query="", songOffset=str(10**30)) == 0
