"""DJ analysis served beside the Subsonic API, to the same users."""

from __future__ import annotations

import pytest

from analysis.waveform import unpack
from subsonic.app import create_app
from tests.helper import run_beet
from tests.subsonic.conftest import Api, MusicLibrary


@pytest.fixture
def analysed(own_library: MusicLibrary) -> tuple[MusicLibrary, int]:
    """The library after ``beet dj analyze --now`` on one song."""
    home = own_library.home
    home.configure(plugins=["dj"])
    item_id = own_library.items["blue1"].id
    run_beet("-c", str(home.config_file), "dj", "analyze", "--now", f"id:{item_id}")
    return own_library, item_id


def test_analysis_and_waveform_are_served_to_authenticated_users(
    analysed: tuple[MusicLibrary, int],
) -> None:
    library, item_id = analysed
    api = Api(create_app(library.settings).test_client())
    query = {**api.credentials(), "id": f"tr-{item_id}"}
    features = api.client.get("/beetcrate/dj/analysis", query_string=query)
    assert features.status_code == 200
    assert {"bpm", "key", "camelot", "openkey", "beats", "cues", "lufs"} <= set(features.json)
    waveform = api.client.get("/beetcrate/dj/waveform", query_string={**query, "zoom": "1"})
    assert waveform.status_code == 200
    assert unpack(waveform.data).points > 0


def test_dj_endpoints_answer_errors_with_http_status_codes(
    analysed: tuple[MusicLibrary, int],
) -> None:
    library, item_id = analysed
    api = Api(create_app(library.settings).test_client())
    creds = api.credentials()
    wrong = {**creds, "t": "0" * 32}
    other = library.items["blue2"].id
    cases = [
        ({**wrong, "id": f"tr-{item_id}"}, 401),
        ({**creds, "id": f"tr-{other}"}, 404),
        ({**creds, "id": "tr-999999"}, 404),
        ({**creds, "id": "../etc/passwd"}, 404),
        (creds, 400),
    ]
    for query, status in cases:
        response = api.client.get("/beetcrate/dj/analysis", query_string=query)
        assert response.status_code == status, query
        assert response.json["error"]
    bad_zoom = {**creds, "id": f"tr-{item_id}", "zoom": "9"}
    assert api.client.get("/beetcrate/dj/waveform", query_string=bad_zoom).status_code == 400
