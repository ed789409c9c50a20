"""The ``opus`` beets plugin: an Opus copy of the library at one bitrate, kept in sync.

Enable it with ``plugins: opus`` and set ``opus: directory:``. ``beet opus sync`` brings the
mirror up to date (encodes on the queue for ``beetcrate worker``, or in local threads with
``--jobs``), ``beet opus status`` says how much of the library it holds, and with
``opus: auto: yes`` an import queues its new items. The Subsonic server streams mirror files
(``beetsplug.opus.state``) and transcodes the rest on the fly (``beetcrate.transcode``,
configured by the ``opus: stream:`` section). See docs/opus.md.

Modules: ``config`` (the ``opus:`` section), ``state`` (the sidecar tables; all the server
imports), ``plan`` (what a sync must do), ``mirror`` (writing one item's file and row),
``tasks`` (the queued encode), ``sync`` (running a plan), ``commands`` (the CLI and import hook).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from beets.plugins import BeetsPlugin

if TYPE_CHECKING:
    from beets.library import Album, Item, Library
    from beets.ui import Subcommand


class OpusPlugin(BeetsPlugin):
    # The rest of the package is imported inside the methods: the server imports
    # ``beetsplug.opus.state``, which runs this file, and must not load beets' UI, the queue
    # or the media layer with it.

    def __init__(self) -> None:
        from beetcrate.transcode import STREAM_DEFAULTS
        from beetsplug.opus.config import MIRROR_DEFAULTS

        super().__init__("opus")
        self.config.add(MIRROR_DEFAULTS)
        self.config["stream"].add(STREAM_DEFAULTS)
        self._imported: list[Item] = []
        self.register_listener("item_imported", self._on_item_imported)
        self.register_listener("album_imported", self._on_album_imported)
        self.register_listener("import", self._on_import_end)

    def commands(self) -> list[Subcommand]:
        from beetsplug.opus.commands import opus_command

        return [opus_command()]

    # The import hook: queue the new items once the import session ends.

    def _on_item_imported(self, lib: Library, item: Item) -> None:
        self._imported.append(item)

    def _on_album_imported(self, lib: Library, album: Album) -> None:
        self._imported.extend(album.items())

    def _on_import_end(self, lib: Library, paths: list[bytes]) -> None:
        from beetsplug.opus.commands import queue_imported
        from beetsplug.opus.state import MirrorError

        items, self._imported = self._imported, []
        if not self.config["auto"].get(bool) or not items:
            return
        try:
            queued = queue_imported(lib, items)
        except MirrorError as exc:
            # The import itself went fine; the mirror can catch up with `beet opus sync`.
            self._log.warning("not queueing imported items for the Opus mirror: {}", exc)
            return
        self._log.info("queued {} new tracks for the Opus mirror", queued)
