"""What the plugin does when beets asks: ``beet opus sync|status``, and queueing imports.

Each entry point reads the ``opus:`` section into a ``MirrorConfig``, plans against the mirror's
state and hands the steps to ``beetsplug.opus.sync``; a ``MirrorError`` (bad configuration, a
changed bitrate) becomes beets' one-line ``UserError``.
"""

from __future__ import annotations

from collections.abc import Iterable
from optparse import Values

from beets import config as beets_config
from beets import ui
from beets.library import Item, Library

from beetcrate import subcommands
from beetcrate.queue import open_queue
from beetcrate.settings import queue_settings
from beetcrate.subcommands import option
from beetsplug.opus import sync
from beetsplug.opus.config import MirrorConfig
from beetsplug.opus.mirror import Result, remove_stale_temps
from beetsplug.opus.plan import Action, coverage, plan
from beetsplug.opus.state import MirrorError, MirrorState


def _sync(lib: Library, opts: Values, query: list[str]) -> None:
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
        ui.print_(f"  {_describe(lib, failure.item_id)}: {failure.result.value}: {failure.detail}")
    if summary.counts[Result.QUEUED]:
        ui.print_("  a worker encodes the queued tracks: `beetcrate worker`")
    if summary.failures:
        # Given-up items count too: the mirror lacks them until their file changes.
        raise ui.UserError(f"opus sync: {len(summary.failures)} item(s) not mirrored; see above")


def _status(lib: Library, opts: Values, args: list[str]) -> None:
    if args:
        raise ui.UserError(f"beet opus status takes no arguments, not {' '.join(args)!r}")
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


def opus_command() -> ui.Subcommand:
    """``beet opus sync [--wait] [--jobs N] [--rebuild] [QUERY]`` and ``beet opus status``."""
    sync_options = [
        option("-w", "--wait", action="store_true", help="show progress until the queue is done"),
        option(
            "-j",
            "--jobs",
            type="int",
            default=0,
            metavar="N",
            help="encode in N local threads, no worker",
        ),
        option("--rebuild", action="store_true", help="re-encode everything at opus.bitrate"),
    ]
    return subcommands.subcommand(
        "opus",
        help="keep an Opus mirror of the library",
        actions=[
            subcommands.Action(
                "sync", "bring the mirror up to date", _sync, "[QUERY]", sync_options
            ),
            subcommands.Action("status", "how much of the library the mirror holds", _status),
        ],
        user_errors=(MirrorError,),
    )


def _describe(lib: Library, item_id: int) -> str:
    item = lib.get_item(item_id)
    return f"{item.artist} - {item.title} ({item.filepath})" if item else f"item {item_id}"


def queue_imported(lib: Library, items: Iterable[Item]) -> int:
    """Queue encodes for the items an import added; returns how many were queued.

    Raises ``MirrorError`` when the mirror is not usable as configured.
    """
    config = MirrorConfig.from_beets(beets_config)
    state = MirrorState(config.db)
    steps = plan(lib, config, state, items=items)
    open_queue(queue_settings(beets_config))
    return sync.run(lib, config, state, steps, progress=False).counts[Result.QUEUED]
