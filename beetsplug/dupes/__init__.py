"""``beet dupes``: find the duplicate tracks in a beets library and resolve them safely.

Two kinds of duplicate are found: *exact-audio* copies (the same audio bytes under different
tags, found by an audio-only hash) and *same-recording* copies (re-encodings, found by
Chromaprint fingerprints). Each group gets a canonical copy picked by a configurable ranking;
resolving a group keeps that copy, fills its missing tags from the others and moves the others
to a trash folder, journaled so that it can be undone.

This module is only the beets plugin: configuration defaults, the typed attributes the scan
writes on items, and the events that keep the groups current. It stays light because the
Subsonic server imports ``beetsplug.dupes.store`` (and so this package) to hide duplicates; the
commands and everything under them load on first use. The other modules:

- ``commands``: the ``beet dupes`` actions; ``settings``: the plugin's configuration, read once;
- ``scan``: hash and fingerprint files; ``fingerprint`` and ``index``: compare fingerprints;
- ``group``: from hashes and matches to groups; ``rank``: the canonical pick and why;
- ``resolve``, ``journal``, ``playlists``: resolve a group, undo it, purge the trash;
- ``model``: the types passed between modules; ``store``: the tables in the sidecar;
- ``tasks``: scans on the shared queue, for ``beetcrate worker``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from beets.dbcore import types
from beets.plugins import BeetsPlugin

from beetsplug.dupes.rank import DEFAULT_RANKING

if TYPE_CHECKING:
    from beets.library import Album, Item, Library
    from beets.ui import Subcommand

# The typed flexible attributes the scan writes on items (``scan.record``).
ITEM_TYPES: dict[str, types.Type[Any, Any]] = {
    "audio_hash": types.STRING,
    # The file's modification time when it was hashed: a date, so `beet ls` and provenance show
    # it as one (stored as the same float seconds).
    "audio_hash_mtime": types.DATE,
    "audio_hash_size": types.INTEGER,
    "audio_prescreen": types.STRING,
    "dupes_art": types.BOOLEAN,
}

# Tags a resolution copies onto the canonical copy when it lacks them and another copy has them.
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

    def commands(self) -> list[Subcommand]:
        from beetsplug.dupes.commands import dupes_command

        return [dupes_command(self.config)]

    def on_item_imported(self, lib: Library, item: Item) -> None:
        self._note_imported([item])

    def on_album_imported(self, lib: Library, album: Album) -> None:
        self._note_imported(album.items())

    def _note_imported(self, items: Iterable[Item]) -> None:
        # An imported item is stored, so it has an id; beets types it optional for unsaved ones.
        self.imported += [item.id for item in items if item.id is not None]

    def on_item_removed(self, item: Item) -> None:
        self.removed = True

    def on_cli_exit(self, lib: Library) -> None:
        """Bring the groups up to date once per command, after an import or a removal."""
        if self.imported or self.removed:
            from beetsplug.dupes.commands import update_after_changes

            update_after_changes(lib, self.config, self.imported)
        self.imported, self.removed = [], False
