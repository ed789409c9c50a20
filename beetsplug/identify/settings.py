"""The ``identify:`` section of the beets configuration, read once into typed settings
(``SettingsError``: one line naming the setting)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import confuse

from beetcrate import genres
from beetcrate.settings import LastfmSettings, SettingsError, lastfm_settings, sidecar_path

DEFAULT_ACOUSTID_URL = "https://api.acoustid.org/v2/"

DEFAULTS = {
    "auto": True,
    # A distance: beets' best candidate at or above it gets fingerprinted. Empty: beets' own
    # strong-recommendation threshold (match: strong_rec_thresh), so only weak matches need one.
    "fingerprint_below": None,
    "min_score": 0.5,  # AcoustID results scoring less are not evidence
    "max_recordings": 5,  # recordings per file turned into singleton candidates
    "max_releases": 5,  # releases turned into album candidates, most shared first
    "acoustid": {"apikey": "", "url": DEFAULT_ACOUSTID_URL, "timeout": 10.0},
    # ``genres`` and the ``genre_*`` keys: beetcrate's Last.fm genre engine (docs/genres.md).
    **genres.DEFAULTS,
}


@dataclass(frozen=True)
class AcoustidSettings:
    apikey: str
    url: str  # the v2 API's base, e.g. https://api.acoustid.org/v2/
    timeout: float  # seconds per request


@dataclass(frozen=True)
class IdentifySettings:
    fingerprint_below: float
    min_score: float
    max_recordings: int
    max_releases: int
    acoustid: AcoustidSettings
    genres: genres.GenreSettings
    lastfm: LastfmSettings  # the account and server the genres are asked of
    sidecar: Path


def identify_settings(plugin: confuse.ConfigView, beets: confuse.ConfigView) -> IdentifySettings:
    """Settings from the plugin's section (``plugin``) and the rest of beets' configuration."""
    try:
        below = plugin["fingerprint_below"].get()
        threshold = (
            beets["match"]["strong_rec_thresh"].as_number() if below is None else float(below)
        )
        acoustid = plugin["acoustid"]
        url = acoustid["url"].as_str().strip()
        settings = IdentifySettings(
            fingerprint_below=float(threshold),
            min_score=float(plugin["min_score"].as_number()),
            max_recordings=plugin["max_recordings"].get(int),
            max_releases=plugin["max_releases"].get(int),
            acoustid=AcoustidSettings(
                apikey=acoustid["apikey"].as_str().strip(),
                url=url if url.endswith("/") else url + "/",
                timeout=float(acoustid["timeout"].as_number()),
            ),
            genres=genres.GenreSettings.from_config(plugin),
            lastfm=lastfm_settings(beets),
            sidecar=sidecar_path(beets),
        )
    except SettingsError:
        raise
    except (confuse.ConfigError, TypeError, ValueError) as exc:
        raise SettingsError(f"setting identify: {exc}") from exc
    if not url.startswith(("http://", "https://")):
        raise SettingsError(f"setting identify.acoustid.url: not an http(s) URL: {url!r}")
    if not 0 <= settings.min_score <= 1:
        raise SettingsError("setting identify.min_score: a score between 0 and 1")
    return settings
