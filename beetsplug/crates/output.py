"""What every ``beet crate`` action shares: the engine over beets' open library, the
``--json`` and ``--user`` options, and how a track is printed."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from beets import config as beets_config
from beets import ui
from beets.library import Library

from beetcrate.crates.engine import CrateEngine
from beetcrate.crates.tracks import Track
from beetcrate.settings import SettingsError, crate_settings, sidecar_path
from beetcrate.subcommands import option

JSON_OPTION = option("--json", action="store_true", help="print JSON (see docs/crates.md)")
USER_OPTION = option(
    "--user", metavar="USER", help="evaluate user fields (loved, rating, plays) for USER"
)
NOT_A_CLEAN_MIX = "  (not a clean mix)"


@contextmanager
def engine_for(lib: Library) -> Iterator[CrateEngine]:
    """The crate engine on the library beets opened, configured as ``crates:`` says."""
    try:
        settings = crate_settings(beets_config)
    except SettingsError as error:
        raise ui.UserError(str(error)) from None
    engine = CrateEngine(
        sidecar_path(beets_config),
        Path(os.fsdecode(lib.path)),
        Path(os.fsdecode(lib.directory)),
        settings,
    )
    try:
        yield engine
    finally:
        engine.close()


def print_json(data: Any) -> None:
    # ``default=str``: a crate's rules as written may hold YAML dates (``after: 2024-01-31``).
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def track_line(track: Track) -> str:
    """ "Artist - Title  [124.0 BPM 8A energy 0.52]", the DJ part as far as it is known."""
    dj = " ".join(
        part
        for part in (
            f"{track.bpm:.1f} BPM" if track.bpm else "",
            track.key.camelot if track.key else "",
            f"energy {track.energy:.2f}" if track.energy is not None else "",
        )
        if part
    )
    return f"{track.artist} - {track.title}" + (f"  [{dj}]" if dj else "")


def print_tracks(tracks: list[Track], breaks: set[int], numbered: bool = False) -> None:
    """One line a track; the positions in ``breaks`` do not mix from the track before."""
    for position, track in enumerate(tracks):
        number = f"{position + 1:>3}. " if numbered else ""
        mark = NOT_A_CLEAN_MIX if position in breaks else ""
        ui.print_(number + track_line(track) + mark)
