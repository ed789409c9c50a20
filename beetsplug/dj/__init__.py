"""The ``dj`` plugin: DJ analysis of a beets library (``beet dj …``).

Enable with ``plugins: dj``. Configuration (all optional)::

    dj:
      auto: no              # queue new items on import
      tempo_range: [78, 180]  # preferred BPM range that resolves octave ambiguity
      workers: 2            # consumer processes of ``beet dj worker``
"""

from __future__ import annotations

from optparse import Values
from typing import TYPE_CHECKING

from beets import config, ui
from beets.library import Album, Item, Library
from beets.plugins import BeetsPlugin

from beetsplug.dj.fields import ITEM_TYPES

if TYPE_CHECKING:
    from beetsplug.dj.cli import DjLibrary


class DjPlugin(BeetsPlugin):
    item_types = ITEM_TYPES

    def __init__(self) -> None:
        super().__init__("dj")
        self.config.add({"auto": False, "tempo_range": [78, 180], "workers": 2})
        if self.config["auto"].get(bool):
            self.register_listener("item_imported", self.imported_item)
            self.register_listener("album_imported", self.imported_album)

    def commands(self) -> list[ui.Subcommand]:
        command = ui.Subcommand("dj", help="DJ analysis: analyze, status, show, waveform, worker")
        command.parser.usage = "beet dj analyze|status|show|waveform|worker [options] [QUERY]"
        # Options after the action belong to it.
        command.parser.disable_interspersed_args()
        command.func = self.run
        return [command]

    def _library(self, lib: Library) -> DjLibrary:
        # The engine (numpy, scipy, essentia) loads only when a dj command or hook runs.
        from beetsplug.dj.cli import DjLibrary

        return DjLibrary(lib, config, self.config)

    def run(self, lib: Library, opts: Values, args: list[str]) -> None:
        if not args:
            raise ui.UserError("usage: beet dj analyze|status|show|waveform|worker [QUERY]")
        from beetsplug.dj import cli

        cli.run(self._library(lib), args[0], args[1:], self.config)

    def imported_item(self, lib: Library, item: Item) -> None:
        self._library(lib).enqueue_imported([item])

    def imported_album(self, lib: Library, album: Album) -> None:
        self._library(lib).enqueue_imported(list(album.items()))
