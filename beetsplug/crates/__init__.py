"""The ``crates`` plugin: DJ-aware smart playlists, listening sessions and sonic similarity
(``beet crate …``).

A crate is a rule file in ``crates: directory:`` (YAML, or a Navidrome ``.nsp`` file as it is);
the engine that evaluates crates, orders mixes and finds similar tracks and paths is
``beetcrate.crates``, shared with the Subsonic server, which serves every crate as a playlist.
Enable with ``plugins: crates``. Configuration (all optional)::

    crates:
      directory: ~/Music/crates   # default: ``crates`` beside the beets library
      refresh_delay: 60s          # how old a crate may be when a client asks for it
      session_gap: 4h             # the silence that ends a listening session

beets loads this package for every command, so it imports nothing but the plugin class.
"""

from __future__ import annotations

from beets import ui
from beets.plugins import BeetsPlugin

from beetcrate.settings import CRATE_DEFAULTS


class CratesPlugin(BeetsPlugin):
    def __init__(self) -> None:
        super().__init__("crates")
        self.config.add(CRATE_DEFAULTS)

    def commands(self) -> list[ui.Subcommand]:
        from beetsplug.crates.commands import crate_command

        return [crate_command()]
