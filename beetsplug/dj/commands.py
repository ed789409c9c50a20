"""``beet dj analyze | status | show | waveform | worker``: thin actions over ``DjLibrary``.

Each action parses its options (``beetcrate.subcommands``), calls the service and prints. beets
builds this command for every ``beet`` run, so the service, the queue and the engine are only
imported when a ``dj`` action runs.
"""

from __future__ import annotations

import json
import optparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import confuse
from beets import ui
from beets.library import Library

from beetcrate.subcommands import Action, option, subcommand

if TYPE_CHECKING:
    from beetsplug.dj.library import DjLibrary, Summary


class DjCommands:
    """The actions of ``beet dj``, over the service ``open_library`` gives for a library."""

    def __init__(
        self, open_library: Callable[[Library], DjLibrary], plugin_config: confuse.ConfigView
    ) -> None:
        self.open_library = open_library
        self.plugin_config = plugin_config

    def subcommand(self) -> ui.Subcommand:
        return subcommand(
            "dj",
            "DJ analysis: analyze, status, show, waveform, worker",
            [
                Action(
                    "analyze",
                    "analyse the matching items (queued for `beet dj worker` unless --now)",
                    self.analyze,
                    "[QUERY]",
                    [
                        option(
                            "--now", action="store_true", help="analyse here instead of queueing"
                        ),
                        option("-j", "--jobs", type="int", help="analyse here with N processes"),
                        option("-f", "--force", action="store_true", help="redo analysed tracks"),
                        option("-w", "--wait", action="store_true", help="wait for the workers"),
                    ],
                ),
                Action("status", "the queue and the tracks' states", self.status),
                Action(
                    "show",
                    "what the analysis found",
                    self.show,
                    "[QUERY]",
                    [option("--json", action="store_true", help="print JSON")],
                ),
                Action(
                    "waveform",
                    "draw one item's waveform, beat grid and cues into a PNG",
                    self.waveform,
                    "QUERY",
                    [
                        option(
                            "-o",
                            "--output",
                            metavar="FILE",
                            help="the PNG file to write (required)",
                        ),
                        option(
                            "--width",
                            type="int",
                            default=1600,
                            metavar="PX",
                            help="picture width in pixels (default 1600)",
                        ),
                        option(
                            "--height",
                            type="int",
                            default=240,
                            metavar="PX",
                            help="picture height in pixels (default 240)",
                        ),
                    ],
                ),
                Action(
                    "worker",
                    "run the queue's consumers and the writer that applies their results",
                    self.worker,
                    options=[option("-w", "--workers", type="int", help="consumer processes")],
                ),
            ],
        )

    def analyze(self, lib: Library, opts: optparse.Values, query: list[str]) -> None:
        now = bool(opts.now or opts.jobs)
        wait = bool(opts.wait)
        dj = self.open_library(lib)
        summary = dj.analyze(list(lib.items(query)), now, opts.jobs or 1, bool(opts.force), wait)
        _print_summary(summary, now or wait)
        if summary.failures:
            # Failed tracks are never marked analysed, so the next ``analyze`` tries them again.
            raise ui.UserError(f"dj analyze: {len(summary.failures)} track(s) failed; see above")

    def status(self, lib: Library, _opts: optparse.Values, _args: list[str]) -> None:
        ui.print_(self.open_library(lib).status())

    def show(self, lib: Library, opts: optparse.Values, query: list[str]) -> None:
        shown = self.open_library(lib).show(list(lib.items(query)))
        if opts.json:
            ui.print_(json.dumps(shown, indent=2))
        else:
            for record in shown:
                ui.print_(_readable(record))

    def waveform(self, lib: Library, opts: optparse.Values, query: list[str]) -> None:
        if not opts.output:
            raise ui.UserError("beet dj waveform needs -o FILE.png")
        items = list(lib.items(query))
        if len(items) != 1:
            raise ui.UserError(f"the query must match one item, it matches {len(items)}")
        self.open_library(lib).render(items[0], Path(opts.output), opts.width, opts.height)
        ui.print_(f"wrote {opts.output}")

    def worker(self, lib: Library, opts: optparse.Values, _args: list[str]) -> None:
        from beetsplug.dj.worker import run_worker

        run_worker(self.open_library(lib), opts.workers or self.plugin_config["workers"].get(int))


def _print_summary(summary: Summary, analysed: bool) -> None:
    if analysed:
        ui.print_(f"analysed {summary.done}, skipped {summary.skipped} already analysed")
    else:
        ui.print_(
            f"queued {summary.queued}, skipped {summary.skipped} already analysed"
            + (f", {summary.done} copies of analysed audio" if summary.done else "")
            + " (run `beet dj worker` to process the queue)"
        )
    if summary.failures:
        ui.print_(f"{len(summary.failures)} failed:")
        for failure in summary.failures:
            ui.print_(f"  {failure.path}: {failure.reason}")


def _readable(record: dict[str, Any]) -> str:
    if record.get("bpm") is None:
        return f"{record['path']}\n  not analysed"
    cues = ", ".join(f"{cue['kind']} {_clock(cue['time'])}" for cue in record.get("cues") or [])
    return "\n".join(
        [
            record["path"],
            f"  tempo  {record['bpm']:.2f} BPM (confidence {record.get('bpm_confidence', 0):.2f}),"
            f" {len(record['beats'])} beats, {len(record['downbeats'])} bars",
            f"  key    {record['key'] or '-'} ({record['camelot'] or '-'},"
            f" {record['openkey'] or '-'}), strength {record['key_strength']:.2f}",
            f"  level  {record['lufs']:.1f} LUFS, range {record.get('loudness_range', 0):.1f} LU,"
            f" true peak {record.get('true_peak', 0):.1f} dBTP",
            f"  feel   energy {record['energy']:.3f}, danceability {record['danceability']:.2f}",
            f"  cues   {cues or '-'}",
        ]
    )


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:06.3f}"
