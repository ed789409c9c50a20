"""The ``opus`` beets plugin: ``beet opus sync|status`` and the import hook.

Enable it with ``plugins: opus``. The commands are thin: the mirror's logic is in
``beetsplug.opus.plan`` (what to do), ``beetsplug.opus.mirror`` (doing one step) and
``beetsplug.opus.sync`` (running a plan); the server's on-the-fly transcoding, configured by
the ``opus: stream:`` section, is in ``beetcrate.transcode``. See docs/opus.md.
"""

from __future__ import annotations

from optparse import Values

from beets import config as beets_config
from beets import ui
from beets.library import Album, Item, Library
from beets.plugins import BeetsPlugin

from beetcrate.queue import open_queue
from beetcrate.settings import queue_settings
from beetcrate.transcode import STREAM_DEFAULTS
from beetsplug.opus import sync
from beetsplug.opus.config import MIRROR_DEFAULTS, MirrorConfig
from beetsplug.opus.mirror import Result, remove_stale_temps
from beetsplug.opus.plan import Action, coverage, plan
from beetsplug.opus.state import MirrorError, MirrorState

USAGE = """%prog sync [--wait] [--jobs N] [--rebuild] [QUERY]
       %prog status"""


class OpusPlugin(BeetsPlugin):
    def __init__(self) -> None:
        super().__init__("opus")
        self.config.add(MIRROR_DEFAULTS)
        self.config["stream"].add(STREAM_DEFAULTS)
        self._imported: list[Item] = []
        self.register_listener("item_imported", self._on_item_imported)
        self.register_listener("album_imported", self._on_album_imported)
        self.register_listener("import", self._on_import_end)

    def commands(self) -> list[ui.Subcommand]:
        command = ui.Subcommand("opus", help="keep an Opus mirror of the library")
        command.parser.usage = USAGE
        command.parser.add_option(
            "-w", "--wait", action="store_true", help="show progress until the queue is done"
        )
        command.parser.add_option(
            "-j", "--jobs", type="int", default=0, help="encode in N local threads, no worker"
        )
        command.parser.add_option(
            "--rebuild", action="store_true", help="re-encode everything at opus.bitrate"
        )
        command.func = self._dispatch
        return [command]

    def _dispatch(self, lib: Library, opts: Values, args: list[str]) -> None:
        actions = {"sync": self._sync, "status": self._status}
        if not args or args[0] not in actions:
            raise ui.UserError(f"usage: beet opus {{{'|'.join(actions)}}} (see beet opus -h)")
        try:
            actions[args[0]](lib, opts, args[1:])
        except MirrorError as exc:
            raise ui.UserError(str(exc)) from exc

    def _sync(self, lib: Library, opts: Values, query: list[str]) -> None:
        config = MirrorConfig.from_beets(beets_config)
        state = MirrorState(config.db)
        remove_stale_temps(config.root)
        steps = plan(lib, config, state, query, rebuild=opts.rebuild)
        if not opts.jobs:
            open_queue(queue_settings(beets_config))
            encodes = sum(step.action is Action.ENCODE for step in steps)
            if opts.wait and encodes:
                ui.print_(f"waiting for `beetcrate worker` to encode {encodes} tracks…")
        summary = sync.run(lib, config, state, steps, jobs=opts.jobs, wait=opts.wait)
        ui.print_(f"opus mirror: {summary.line()}")
        for failure in summary.failures:
            ui.print_(
                f"  {_describe(lib, failure.item_id)}: {failure.result.value}: {failure.detail}"
            )
        if summary.counts[Result.QUEUED]:
            ui.print_("  a worker encodes the queued tracks: `beetcrate worker`")

    def _status(self, lib: Library, opts: Values, args: list[str]) -> None:
        config = MirrorConfig.from_beets(beets_config)
        report = coverage(lib, MirrorState(config.db), config)
        share = 100 * report.mirrored / report.items if report.items else 100.0
        bitrate = f"{report.bitrate} kbps" if report.bitrate else "not created yet"
        ui.print_(f"opus mirror {config.root} ({bitrate})")
        ui.print_(
            f"  {report.mirrored} of {report.items} items mirrored ({share:.1f}%), "
            f"{report.bytes / 2**20:.1f} MiB"
        )
        missing = report.items - report.mirrored - len(report.failed)
        if missing:
            ui.print_(f"  {missing} not mirrored yet (run `beet opus sync`)")
        for record in report.failed:
            ui.print_(f"  failed: {_describe(lib, record.item_id)}: {record.error or ''}")

    # The import hook: queue the new items once the import session ends.

    def _on_item_imported(self, lib: Library, item: Item) -> None:
        self._imported.append(item)

    def _on_album_imported(self, lib: Library, album: Album) -> None:
        self._imported.extend(album.items())

    def _on_import_end(self, lib: Library, paths: list[bytes]) -> None:
        items, self._imported = self._imported, []
        if not self.config["auto"].get(bool) or not items:
            return
        try:
            config = MirrorConfig.from_beets(beets_config)
            state = MirrorState(config.db)
            steps = plan(lib, config, state, items=items)
        except MirrorError as exc:
            # The import itself went fine; the mirror can catch up with `beet opus sync`.
            self._log.warning("not queueing imported items for the Opus mirror: {}", exc)
            return
        open_queue(queue_settings(beets_config))
        summary = sync.run(lib, config, state, steps, progress=False)
        self._log.info("queued {} new tracks for the Opus mirror", summary.counts[Result.QUEUED])


def _describe(lib: Library, item_id: int) -> str:
    item = lib.get_item(item_id)
    return f"{item.artist} - {item.title} ({item.filepath})" if item else f"item {item_id}"
