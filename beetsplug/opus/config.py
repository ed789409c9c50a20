"""The mirror's configuration: the ``opus:`` section of the beets config, resolved once.

A ``MirrorConfig`` is plain frozen data, so it travels with each queued encode to whichever
worker runs it, and a worker keeps one library connection per distinct configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import confuse
from beets.util.pathformats import get_path_formats

from beetcrate.settings import sidecar_path
from beetsplug.opus.state import MirrorError

MIRROR_DEFAULTS: dict[str, object] = {
    "directory": "",
    "bitrate": 128,
    "auto": False,
    # Attempts at a failing source before a sync stops trying it (until the file changes).
    "retries": 3,
    "paths": {
        "default": "$albumartist/$album ($year)/$track - $title",
        "singleton": "$artist/singles/$title",
    },
}


@dataclass(frozen=True)
class MirrorConfig:
    """Where the mirror is, at what bitrate, and where the library and the sidecar are."""

    root: Path
    bitrate: int  # kbps
    library: Path
    music_directory: Path
    db: Path  # the sidecar holding the mirror's state
    retries: int = 3
    paths: tuple[tuple[str, str], ...] = ()  # (query, path format), as beets' own ``paths``

    @classmethod
    def from_beets(cls, config: confuse.ConfigView) -> MirrorConfig:
        section = config["opus"]
        section.add(MIRROR_DEFAULTS)
        if not section["directory"].get():
            raise MirrorError("set opus.directory in the beets config to the mirror's folder")
        return cls(
            root=Path(section["directory"].as_filename()).resolve(),
            bitrate=section["bitrate"].get(int),
            library=Path(config["library"].as_filename()).resolve(),
            music_directory=Path(config["directory"].as_filename()).resolve(),
            db=sidecar_path(config),
            retries=section["retries"].get(int),
            paths=tuple(get_path_formats(section["paths"])),
        )
