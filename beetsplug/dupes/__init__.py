"""``beet dupes``: duplicate grouping by audio-only hash and Chromaprint fingerprint.

The plugin class only declares configuration, typed attributes and events; the commands live in
``beetsplug.dupes.commands`` and the work in plain modules (``scan``, ``group``, ``rank``,
``resolve``) that the tests drive without the CLI.
"""

from __future__ import annotations

from beets import config
from beets.library import Album, Item, Library
from beets.plugins import BeetsPlugin

from beetsplug.dupes import commands
from beetsplug.dupes.rank import DEFAULT_RANKING
from beetsplug.dupes.scan import ITEM_TYPES

DEFAULT_FILL = [
    "title",
    "artist",
    "album",
    "albumartist",
    "year",
    "track",
    "tracktotal",
    "disc",
    "genre",
    "label",
    "composer",
    "lyrics",
    "mb_trackid",
    "mb_albumid",
    "mb_artistid",
    "mb_albumartistid",
    "mb_releasegroupid",
]


class DupesPlugin(BeetsPlugin):
    item_types = ITEM_TYPES

    def __init__(self) -> None:
        super().__init__("dupes")
        self.config.add(
            {
                "auto": True,
                "fingerprint": True,
                "queue_threshold": 2000,
                "ranking": DEFAULT_RANKING,
                "preferred_directories": [],
                "fill_tags": DEFAULT_FILL,
                "trash": "",
                "playlist_dirs": [],
                "playlist_tables": ["playlist_entries"],
            }
        )
        self.imported: list[int] = []
        self.removed = False
        if self.config["auto"].get(bool):
            self.register_listener("item_imported", self.on_item_imported)
            self.register_listener("album_imported", self.on_album_imported)
            self.register_listener("item_removed", self.on_item_removed)
            self.register_listener("cli_exit", self.on_cli_exit)

    def commands(self) -> list:
        return [commands.dupes_command(self.config, config)]

    def on_item_imported(self, lib: Library, item: Item) -> None:
        self.imported.append(item.id)

    def on_album_imported(self, lib: Library, album: Album) -> None:
        self.imported.extend(item.id for item in album.items())

    def on_item_removed(self, item: Item) -> None:
        self.removed = True

    def on_cli_exit(self, lib: Library) -> None:
        """Bring the groups up to date once per command, after an import or a removal."""
        if self.imported or self.removed:
            commands.update_after_changes(lib, self.config, config, self.imported)
        self.imported, self.removed = [], False
