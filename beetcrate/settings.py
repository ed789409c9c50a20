"""beetcrate's settings: found the way ``beet`` finds its configuration.

The beets configuration is read from ``-c/--config FILE`` overlaid on the user's config
(``$BEETSDIR/config.yaml`` or the platform default), exactly as ``beet`` does. beetcrate's own
settings live in a ``beetcrate:`` section of that file; each can be overridden by an environment
variable ``BEETCRATE_<NAME>`` (``BEETCRATE_BIND=0.0.0.0:4533``, ``BEETCRATE_DB=…``).

This is the one place that turns configuration into paths and values: the ``beetcrate``
command calls ``load_settings``; a beets plugin, whose configuration ``beet`` has already read,
calls ``settings_from(beets.config)``. Everything else receives a ``Settings``.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import confuse
from beets import config as beets_config

from beetcrate.durations import BadDuration, parse_duration
from beetcrate.transcode import TranscodeConfig, TranscodeError

# Defaults of the ``beetcrate:`` section. Paths left empty are placed beside the beets library.
DEFAULTS: dict[str, object] = {
    "db": "",
    "secret_key_file": "",
    "cache_dir": "",
    "bind": "127.0.0.1:4533",
    "workers": 2,
    "threads": 32,
    # How often (seconds) a server process checks the beets database for changes.
    "refresh_interval": 2.0,
    "cover_cache_mb": 256,
    "max_cover_size": 2048,
    # Hide non-canonical members of exact-audio duplicate groups from browsing and search.
    "hide_duplicates": False,
}
PLAYLIST_DEFAULTS: dict[str, object] = {
    # A folder of .m3u/.m3u8 files served as read-only playlists that follow the files (beets'
    # ``playlist: playlist_dir:`` is served too).
    "import_dir": "",
    # Who owns them; empty: the first admin by name.
    "owner": "",
}
QUEUE_DEFAULTS: dict[str, object] = {
    "backend": "sqlite",
    "path": "",
    "redis_url": "redis://127.0.0.1:6379/0",
    "lease_seconds": 60.0,
}


CRATE_DEFAULTS: dict[str, object] = {
    # The folder of crate files (YAML, or Navidrome .nsp); empty: ``crates`` beside the library.
    "directory": "",
    # How old (a duration: "60s", "5m") a crate's contents may be when a client asks for it.
    "refresh_delay": "60s",
    # How much silence (a duration: "4h") ends a listening session.
    "session_gap": "4h",
}


# The scrobbling services (docs/scrobbling.md): Last.fm's API (or Libre.fm's, GNU FM's: the same
# protocol at another URL) and ListenBrainz's (or a self-hosted one, Maloja's).
LASTFM_DEFAULTS: dict[str, object] = {
    "api_key": "",
    "api_secret": "",
    "url": "https://ws.audioscrobbler.com/2.0/",
    # Certificates (PEM) trusted besides the system's: a server with a private CA.
    "ca_file": "",
}
LISTENBRAINZ_DEFAULTS: dict[str, object] = {
    "url": "https://api.listenbrainz.org/1/",
    "ca_file": "",
}


class Backend(enum.Enum):
    SQLITE = "sqlite"
    REDIS = "redis"


@dataclass(frozen=True)
class QueueSettings:
    """Where the queue keeps its tasks, and how long a running task's lease lasts."""

    backend: Backend = Backend.SQLITE
    path: Path | None = None  # the SQLite file; required for the sqlite backend
    redis_url: str = "redis://127.0.0.1:6379/0"
    lease_seconds: float = 60.0


@dataclass(frozen=True)
class PlaylistSettings:
    """The M3U playlists served read-only: the folders they are in, and who owns them."""

    import_dirs: tuple[Path, ...] = ()
    owner: str = ""  # empty: the first admin by name


@dataclass(frozen=True)
class CrateSettings:
    """The ``crates:`` section: where the crate files are, and how fresh crates and sessions
    are kept."""

    directory: Path = Path("crates")
    refresh_delay: float = 60.0  # seconds
    session_gap: float = 4 * 3600.0  # seconds


@dataclass(frozen=True)
class LastfmSettings:
    """The ``beetcrate: lastfm:`` section: the application's API account and where the API is.

    pylast speaks https only, so ``url`` is split into the host and path it posts to."""

    api_key: str = ""
    api_secret: str = ""
    url: str = "https://ws.audioscrobbler.com/2.0/"
    ca_file: Path | None = None

    @property
    def configured(self) -> bool:
        return bool(self.api_key and self.api_secret)

    @property
    def ws_server(self) -> tuple[str, str]:
        """(host[:port], path): what pylast calls its web-service server."""
        parts = urlsplit(self.url)
        return parts.netloc, parts.path or "/"

    @property
    def homepage(self) -> str:
        """Where users authorize an application: www.last.fm for Last.fm's API host, the API's
        own host otherwise (Libre.fm, GNU FM)."""
        host = self.ws_server[0]
        return "https://www.last.fm" if host == "ws.audioscrobbler.com" else f"https://{host}"


@dataclass(frozen=True)
class ListenBrainzSettings:
    """The ``beetcrate: listenbrainz:`` section: the API root (ending in ``/1/``)."""

    url: str = "https://api.listenbrainz.org/1/"
    ca_file: Path | None = None


class SettingsError(confuse.ConfigError):
    """The configuration cannot be used; the message says what to fix.

    A ``confuse.ConfigError``, so that ``beet`` reports it in one line as it does its own."""


@dataclass(frozen=True)
class Settings:
    """Everything the server and the CLI need, resolved to absolute paths."""

    beets_library: Path
    music_directory: Path
    db: Path
    secret_key_file: Path
    cache_dir: Path
    bind: str = "127.0.0.1:4533"
    workers: int = 2
    threads: int = 32
    refresh_interval: float = 2.0
    cover_cache_mb: int = 256
    max_cover_size: int = 2048
    hide_duplicates: bool = False
    queue: QueueSettings = field(default_factory=QueueSettings)
    playlists: PlaylistSettings = field(default_factory=PlaylistSettings)
    # The ``opus: stream:`` section: on-the-fly transcoding profiles and limits.
    transcode: TranscodeConfig = field(default_factory=TranscodeConfig.defaults)
    crates: CrateSettings = field(default_factory=CrateSettings)
    lastfm: LastfmSettings = field(default_factory=LastfmSettings)
    listenbrainz: ListenBrainzSettings = field(default_factory=ListenBrainzSettings)


def read_beets_config(config_file: str | os.PathLike | None = None) -> confuse.Configuration:
    """Load the beets configuration as ``beet`` would, with an optional overlay file."""
    try:
        beets_config.read()
        if config_file:
            beets_config.set_file(os.fspath(config_file))
    except confuse.ConfigError as exc:
        raise SettingsError(f"beets configuration: {exc}") from exc
    beets_config["beetcrate"].add(DEFAULTS)
    return beets_config


def _coerce(value: str, default: object) -> object:
    if isinstance(default, bool):
        return value.strip().lower() in {"1", "yes", "true", "on"}
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return value


def load_settings(config_file: str | os.PathLike | None = None) -> Settings:
    """Read the beets configuration (as ``beet`` does) and resolve beetcrate's settings."""
    return settings_from(read_beets_config(config_file))


def _environment_or(section: confuse.ConfigView, name: str, default: object) -> object:
    env = os.environ.get(f"BEETCRATE_{name.upper()}")
    try:
        # An empty variable (``BEETCRATE_DB= beet …``) is no setting, as it was for every command.
        return _coerce(env, default) if env else section[name].get()
    except (ValueError, confuse.ConfigError) as exc:
        raise SettingsError(f"setting beetcrate.{name}: {exc}") from exc


def _library_path(config: confuse.ConfigView, name: str) -> Path:
    try:
        return Path(config[name].as_filename()).resolve()
    except confuse.ConfigError as exc:
        raise SettingsError(f"beets configuration: {exc}") from exc


def _path_setting(raw: object, default: Path) -> Path:
    text = str(raw or "")
    return Path(os.path.expanduser(text)).resolve() if text else default


def sidecar_path(config: confuse.ConfigView) -> Path:
    """The sidecar database: ``$BEETCRATE_DB``, else ``beetcrate: db:``, else ``beetcrate.db``
    beside the beets library. Every command, task and the server find it here."""
    config["beetcrate"].add(DEFAULTS)
    raw = _environment_or(config["beetcrate"], "db", "")
    return _path_setting(raw, _library_path(config, "library").parent / "beetcrate.db")


def queue_settings(config: confuse.ConfigView) -> QueueSettings:
    """The ``beetcrate: queue:`` section; the SQLite queue sits beside the library."""
    section = config["beetcrate"]["queue"]
    section.add(QUEUE_DEFAULTS)
    try:
        backend = Backend(section["backend"].as_choice([b.value for b in Backend]))
        path = section["path"].as_filename() if section["path"].get() else ""
        lease_seconds = float(section["lease_seconds"].as_number())
        redis_url = section["redis_url"].as_str()
    except confuse.ConfigError as exc:
        raise SettingsError(f"setting beetcrate.queue: {exc}") from exc
    default = _library_path(config, "library").parent / "beetcrate-queue.db"
    return QueueSettings(backend, _path_setting(path, default), redis_url, lease_seconds)


def playlist_settings(config: confuse.ConfigView) -> PlaylistSettings:
    """The ``beetcrate: playlists:`` section, plus beets' own ``playlist: playlist_dir:``."""
    section = config["beetcrate"]["playlists"]
    section.add(PLAYLIST_DEFAULTS)
    beets_folder = config["playlist"]["playlist_dir"]
    try:
        folders = [section["import_dir"].as_str()]
        if beets_folder.exists():
            folders.append(beets_folder.as_str())
        owner = section["owner"].as_str()
    except confuse.ConfigError as exc:
        raise SettingsError(f"setting beetcrate.playlists: {exc}") from exc
    paths = dict.fromkeys(_path_setting(folder, Path()) for folder in folders if folder)
    return PlaylistSettings(tuple(paths), owner)


def crate_settings(config: confuse.ConfigView) -> CrateSettings:
    """The ``crates:`` section (the ``crates`` plugin's, read by the server too)."""
    section = config["crates"]
    section.add(CRATE_DEFAULTS)
    try:
        directory = section["directory"].as_str()
        refresh_delay = parse_duration(section["refresh_delay"].get())
        session_gap = parse_duration(section["session_gap"].get())
    except (confuse.ConfigError, BadDuration) as exc:
        raise SettingsError(f"setting crates: {exc}") from exc
    default = _library_path(config, "library").parent / "crates"
    return CrateSettings(_path_setting(directory, default), refresh_delay, session_gap)


def _service_url(name: str, url: str, schemes: tuple[str, ...]) -> str:
    """``url`` ending in ``/`` (paths are appended to it), if it is a URL of ``schemes``."""
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.netloc:
        wanted = " or ".join(f"{scheme}://" for scheme in schemes)
        raise SettingsError(f"setting beetcrate.{name}.url: a {wanted} URL, not {url!r}")
    return url if url.endswith("/") else url + "/"


def _optional_path(raw: str) -> Path | None:
    return _path_setting(raw, Path()) if raw else None


def lastfm_settings(config: confuse.ConfigView) -> LastfmSettings:
    """The ``beetcrate: lastfm:`` section; an https URL, as pylast speaks nothing else."""
    section = config["beetcrate"]["lastfm"]
    section.add(LASTFM_DEFAULTS)
    try:
        api_key, api_secret = section["api_key"].as_str(), section["api_secret"].as_str()
        url, ca_file = section["url"].as_str(), section["ca_file"].as_str()
    except confuse.ConfigError as exc:
        raise SettingsError(f"setting beetcrate.lastfm: {exc}") from exc
    if bool(api_key) != bool(api_secret):
        raise SettingsError("setting beetcrate.lastfm: give both api_key and api_secret")
    url = _service_url("lastfm", url, ("https",))
    return LastfmSettings(api_key, api_secret, url, _optional_path(ca_file))


def listenbrainz_settings(config: confuse.ConfigView) -> ListenBrainzSettings:
    """The ``beetcrate: listenbrainz:`` section."""
    section = config["beetcrate"]["listenbrainz"]
    section.add(LISTENBRAINZ_DEFAULTS)
    try:
        url, ca_file = section["url"].as_str(), section["ca_file"].as_str()
    except confuse.ConfigError as exc:
        raise SettingsError(f"setting beetcrate.listenbrainz: {exc}") from exc
    url = _service_url("listenbrainz", url, ("https", "http"))
    return ListenBrainzSettings(url, _optional_path(ca_file))


def settings_from(config: confuse.ConfigView) -> Settings:
    """Resolve beetcrate's settings from a beets configuration already read."""
    config["beetcrate"].add(DEFAULTS)
    section = config["beetcrate"]
    values = {name: _environment_or(section, name, default) for name, default in DEFAULTS.items()}
    library = _library_path(config, "library")
    directory = _library_path(config, "directory")
    home = library.parent
    values.pop("db")
    secret_key_file = _path_setting(values.pop("secret_key_file"), home / "beetcrate.key")
    cache_dir = _path_setting(values.pop("cache_dir"), home / "beetcrate-cache")
    try:
        transcode = TranscodeConfig.from_beets(config)
    except (TranscodeError, confuse.ConfigError, TypeError, KeyError, ValueError) as exc:
        raise SettingsError(f"setting opus.stream: {exc}") from exc
    return Settings(
        beets_library=library,
        music_directory=directory,
        db=sidecar_path(config),
        secret_key_file=secret_key_file,
        cache_dir=cache_dir,
        queue=queue_settings(config),
        playlists=playlist_settings(config),
        transcode=transcode,
        crates=crate_settings(config),
        lastfm=lastfm_settings(config),
        listenbrainz=listenbrainz_settings(config),
        **values,  # type: ignore[arg-type]
    )
