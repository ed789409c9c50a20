"""The ``dj`` plugin: DJ analysis of a beets library (``beet dj …``).

Tempo and beat grid, key, loudness, energy, danceability, cue points and waveforms, computed by
the ``analysis`` engine on the background queue and written to beets' fields and the sidecar.
The Subsonic server reads the stored analyses through ``beetsplug.dj.store``.

Enable with ``plugins: dj``. Configuration (all optional)::

    dj:
      auto: no              # queue new items on import
      tempo_range: [78, 180]  # preferred BPM range that resolves octave ambiguity
      workers: 2            # consumer processes of ``beet dj worker``

Modules: ``commands`` (the ``beet dj`` actions), ``library`` (``DjLibrary``, the operations),
``tasks`` (the Huey task, compute only), ``apply`` (the one writer), ``worker`` (consumers,
writer thread, lost-task watch), ``store`` and ``ledger`` (the sidecar tables), ``messages``
(what travels through the queue), ``fields`` (the beets fields), ``render`` (the PNG).
beets loads this package for every command, so it imports nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from beets import config, ui
from beets.library import Album, Item, Library
from beets.plugins import BeetsPlugin

from beetsplug.dj.fields import ITEM_TYPES

if TYPE_CHECKING:
    from beetsplug.dj.library import DjLibrary


class DjPlugin(BeetsPlugin):
    item_types = ITEM_TYPES

    def __init__(self) -> None:
        super().__init__("dj")
        self.config.add({"auto": False, "tempo_range": [78, 180], "workers": 2})
        if self.config["auto"].get(bool):
            self.register_listener("item_imported", self.imported_item)
            self.register_listener("album_imported", self.imported_album)

    def commands(self) -> list[ui.Subcommand]:
        from beetsplug.dj.commands import DjCommands

        return [DjCommands(self.library, self.config).subcommand()]

    def library(self, lib: Library) -> DjLibrary:
        """The plugin's operations over ``lib``, as the beets configuration describes them."""
        # The queue and the service load only when a dj command or hook runs.
        from beetsplug.dj.library import DjLibrary

        return DjLibrary.from_config(lib, config, self.config)

    def imported_item(self, lib: Library, item: Item) -> None:
        self.library(lib).enqueue_imported([item])

    def imported_album(self, lib: Library, album: Album) -> None:
        self.library(lib).enqueue_imported(list(album.items()))
