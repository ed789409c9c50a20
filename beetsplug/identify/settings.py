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
    # ``lastfm``: what Last.fm knows of the artists of what is imported or applied (their
    # MusicBrainz ids where missing, the server's artist pages); ``no``: nothing.
    "artist_info": False,
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
    artist_info: bool  # ``artist_info: lastfm``
    lastfm: LastfmSettings  # the account and server the genres and artists are asked of
    sidecar: Path


def identify_settings(plugin: confuse.ConfigView, beets: confuse.ConfigView) -> IdentifySettings:
    """Settings from the plugin's section (``plugin``) and the rest of beets' configuration."""
    try:
        below = plugin["fingerprint_below"]
        threshold = (
            beets["match"]["strong_rec_thresh"] if below.get() is None else below
        ).as_number()
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
            artist_info=_artist_info(plugin["artist_info"]),
            lastfm=lastfm_settings(beets),
            sidecar=sidecar_path(beets),
        )
    except SettingsError:
        raise
    except confuse.ConfigError as exc:  # its message names the key: "identify.min_score: …"
        raise SettingsError(f"setting {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting identify: {exc}") from exc
    if not url.startswith(("http://", "https://")):
        raise SettingsError(f"setting identify.acoustid.url: not an http(s) URL: {url!r}")
    if not 0 <= settings.min_score <= 1:
        raise SettingsError("setting identify.min_score: a score between 0 and 1")
    for key in ("max_recordings", "max_releases"):
        if getattr(settings, key) < 1:  # 0 would turn the fingerprint step off unsaid
            raise SettingsError(f"setting identify.{key}: a whole number from 1")
    if settings.acoustid.timeout <= 0:
        raise SettingsError("setting identify.acoustid.timeout: seconds, more than 0")
    return settings


def _artist_info(view: confuse.ConfigView) -> bool:
    value = view.get()
    if value in (False, None, "no"):
        return False
    if value == "lastfm":
        return True
    raise SettingsError(f"setting {view.name}: lastfm or no, not {value!r}")
