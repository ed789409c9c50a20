"""Genre fixtures: the fake Last.fm over TLS (the scrobbling tests' fixtures, the one harness for
Last.fm) and the settings that point the product's real pylast client at it."""

from __future__ import annotations

import pytest

from beetcrate.genres import LastfmTags
from beetcrate.scrobbling.lastfm import Throttle
from beetcrate.settings import LastfmSettings
from tests.scrobbling.conftest import certificates, lastfm  # noqa: F401 (fixtures)
from tests.scrobbling.fakes import FakeLastfm
from tests.scrobbling.tls import Certificates


@pytest.fixture
def lastfm_settings(lastfm: FakeLastfm, certificates: Certificates) -> LastfmSettings:  # noqa: F811
    return LastfmSettings(lastfm.api_key, lastfm.api_secret, lastfm.url, certificates.ca_file)


@pytest.fixture
def tags(lastfm_settings: LastfmSettings) -> LastfmTags:
    """One run's tags (no wait between calls: the fake has no rate to keep)."""
    return LastfmTags(lastfm_settings, throttle=Throttle(0.0))
