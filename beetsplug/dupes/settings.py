"""The plugin's configuration, read once per command into one typed value.

The ``dupes:`` section of the beets configuration (defaults in ``beetsplug.dupes``), plus what
beetcrate decides for every plugin: where the sidecar and the queue are (``beetcrate.settings``).
A configuration mistake is a one-line ``UserError``, as beets reports its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import confuse
from beets import ui

from beetcrate.settings import (
    SettingsError,
    playlist_settings,
    sidecar_path,
)
from beetsplug.dupes.rank import Ranking


@dataclass(frozen=True)
class DupesSettings:
    library: Path  # the beets database, which a queued scan opens again
    music_directory: Path
    db: Path  # the sidecar
    fingerprints: bool  # match re-encodings too, not only byte-identical audio
    queue_threshold: int  # more items than this to scan go to the queue
    ranking: Ranking
    trash: Path
    fill_tags: tuple[str, ...]
    playlist_dirs: tuple[Path, ...]  # m3u files to repoint, beets' playlist plugin's included
    playlist_tables: tuple[str, ...]  # sidecar tables with an item_id column to repoint


def read_settings(plugin: confuse.ConfigView, beets: confuse.ConfigView) -> DupesSettings:
    """The settings from the plugin's section ``plugin`` of the beets configuration ``beets``."""
    try:
        music_directory = Path(beets["directory"].as_filename())
        trash = plugin["trash"].get() or ""
        return DupesSettings(
            library=Path(beets["library"].as_filename()),
            music_directory=music_directory,
            db=sidecar_path(beets),
            fingerprints=plugin["fingerprint"].get(bool),
            queue_threshold=plugin["queue_threshold"].get(int),
            ranking=_ranking(plugin),
            trash=Path(os.path.expanduser(trash)) if trash else music_directory / ".dupes-trash",
            fill_tags=tuple(plugin["fill_tags"].as_str_seq()),
            playlist_dirs=_playlist_dirs(plugin, beets),
            playlist_tables=tuple(plugin["playlist_tables"].as_str_seq()),
        )
    except (SettingsError, confuse.ConfigError) as exc:
        raise ui.UserError(str(exc)) from exc


def _ranking(plugin: confuse.ConfigView) -> Ranking:
    try:
        return Ranking(plugin["ranking"].as_str_seq(), plugin["preferred_directories"].as_str_seq())
    except ValueError as exc:
        raise ui.UserError(f"dupes.ranking: {exc}") from exc


def _playlist_dirs(plugin: confuse.ConfigView, beets: confuse.ConfigView) -> tuple[Path, ...]:
    directories = [Path(p) for p in plugin["playlist_dirs"].as_str_seq()]
    # And the folders whose M3U files the server serves (beets' playlist_dir among them).
    directories += playlist_settings(beets).import_dirs
    return tuple(dict.fromkeys(directories))
