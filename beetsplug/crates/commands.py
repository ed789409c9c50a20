"""``beet crate list|show|explain|refresh|export|freeze|next|path|sessions``.

Each action opens the crate engine on the library beets has open (``CrateEngine``), does one
thing and prints it, or with ``--json`` prints the documented JSON (``docs/crates.md``). A crate
file that does not load is one line on stderr; the other crates still work.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from optparse import Values
from pathlib import Path
from typing import Any

from beets import ui
from beets.library import Library

from beetcrate import subcommands
from beetcrate.crates import playlists, sessions
from beetcrate.crates.compile import describe
from beetcrate.crates.engine import CrateEngine, CrateSet
from beetcrate.crates.rules import Crate, CrateError
from beetcrate.subcommands import Action, option
from beetsplug.crates.output import (
    JSON_OPTION,
    USER_OPTION,
    engine_for,
    print_json,
    print_tracks,
)


def _load(engine: CrateEngine) -> CrateSet:
    crates = engine.load()
    for error in crates.errors:
        print(f"crate: {error}", file=sys.stderr)
    return crates


def _crate(crates: CrateSet, name: str) -> Crate:
    crate = crates.find(name)
    if crate is None:
        known = ", ".join(sorted(crates.crates)) or "none"
        raise ui.UserError(f"no crate named {name!r} (crates: {known})")
    return crate


def _listener(opts: Values, crate: Crate) -> str | None:
    """Whose user fields a crate reads: ``--user``, else its owner, as the server serves it."""
    return opts.user or crate.owner


def _one_argument(args: list[str], what: str) -> str:
    if len(args) != 1:
        raise ui.UserError(f"give one {what}")
    return args[0]


def _list(lib: Library, opts: Values, args: list[str]) -> None:
    with engine_for(lib) as engine:
        crates = _load(engine)
        summaries: list[dict[str, Any]] = []
        for crate in crates.crates.values():
            ids = engine.evaluate(crate, crates, _listener(opts, crate))
            summaries.append(
                {
                    "name": crate.name,
                    "file": str(crate.path),
                    "tracks": len(ids),
                    "public": crate.public,
                    "owner": crate.owner,
                    "comment": crate.comment,
                }
            )
    if opts.json:
        print_json(summaries)
        return
    for summary in summaries:
        ui.print_(f"{summary['name']}: {summary['tracks']} tracks ({Path(summary['file']).name})")


def _show(lib: Library, opts: Values, args: list[str]) -> None:
    name = _one_argument(args, "crate name")
    with engine_for(lib) as engine:
        crates = _load(engine)
        crate = _crate(crates, name)
        result = engine.run(crate, crates, _listener(opts, crate))
        tracks = engine.tracks(result.item_ids)
    if opts.json:
        shown: dict[str, Any] = {
            "name": crate.name,
            "rules": crate.source,
            "items": [track.as_json() for track in tracks],
        }
        if crate.mix:
            shown["broken_steps"] = list(result.breaks)
        print_json(shown)
        return
    breaks = set(result.breaks)
    print_tracks(tracks, breaks)
    if crate.mix:
        ui.print_(f"{len(breaks)} of {max(len(tracks) - 1, 0)} steps do not mix")


def _explain(lib: Library, opts: Values, args: list[str]) -> None:
    name = _one_argument(args, "crate name")
    with engine_for(lib) as engine:
        crates = _load(engine)
        crate = _crate(crates, name)
        compiled = engine.compile(crate, crates)
    ui.print_(describe(crate))
    ui.print_("")
    ui.print_(compiled.select())
    parameters = (["<listener>"] if compiled.reads_user_data else []) + list(compiled.params)
    ui.print_(f"-- parameters: {parameters}")


def _refresh(lib: Library, opts: Values, args: list[str]) -> None:
    """Evaluate every crate (or one): a crate that does not load or evaluate is its own line
    on stderr, the others are still evaluated, and the exit status says some failed."""
    with engine_for(lib) as engine:
        report = engine.refresh_index()
        crates = _load(engine)
        chosen = [_crate(crates, args[0])] if args else list(crates.crates.values())
        failed = 0 if args else len(crates.errors)
        for crate in chosen:
            try:
                ids = engine.evaluate(crate, crates, _listener(opts, crate))
            except CrateError as error:
                print(f"crate: {error}", file=sys.stderr)
                failed += 1
                continue
            ui.print_(f"{crate.name}: {len(ids)} tracks")
    ui.print_(f"({report.items} items in the library{', re-read' if report.rebuilt else ''})")
    if failed:
        raise ui.UserError(f"crate refresh: {failed} crate(s) failed; see above")


def _export(lib: Library, opts: Values, args: list[str]) -> None:
    name = _one_argument(args, "crate name")
    with engine_for(lib) as engine:
        crates = _load(engine)
        crate = _crate(crates, name)
        tracks = engine.tracks(engine.evaluate(crate, crates, _listener(opts, crate)))
    output = Path(opts.output) if opts.output else None
    relative_to = output.parent.resolve() if output and not opts.absolute else None
    text = playlists.m3u8(crate.name, tracks, relative_to)
    if output is None:
        sys.stdout.write(text)
        return
    playlists.write_atomically(output, text)
    ui.print_(f"{crate.name}: {len(tracks)} tracks written to {output}")


def _freeze(lib: Library, opts: Values, args: list[str]) -> None:
    name = _one_argument(args, "crate name")
    with engine_for(lib) as engine:
        crates = _load(engine)
        crate = _crate(crates, name)
        ids = engine.evaluate(crate, crates, _listener(opts, crate))
        new_name = opts.as_name or f"{crate.name} {datetime.now():%Y-%m-%d}"
        owner = _listener(opts, crate)
        if not owner:
            raise ui.UserError("whose playlist? give --user NAME (or owner: in the crate file)")
        try:
            playlist_id = playlists.freeze(engine.conn, owner, new_name, ids)
        except playlists.FreezeError as error:
            raise ui.UserError(str(error)) from None
    ui.print_(f"{new_name}: a playlist of {len(ids)} tracks (id pl-{playlist_id})")


def _sessions(lib: Library, opts: Values, args: list[str]) -> None:
    with engine_for(lib) as engine:
        rows = [
            {
                "user": found.session.user,
                "start": _iso(found.session.start),
                "end": _iso(found.session.end),
                "finished": found.session.finished,
                "title": sessions.title(found.session, _local_zone()),
                "harmonic_share": found.transitions.share_harmonic,
                "items": [track.as_json() for track in found.tracks],
            }
            for found in engine.sessions(opts.user, time.time())
        ]
    if opts.json:
        print_json(rows)
        return
    if not rows:
        ui.print_("no plays recorded yet")
    for row in rows:
        share = row["harmonic_share"]
        harmonic = f", {share:.0%} of transitions harmonic" if share is not None else ""
        ui.print_(f"{row['user']}: {row['title']}{harmonic}")


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def _local_zone() -> Any:
    return datetime.now().astimezone().tzinfo


def crate_command() -> ui.Subcommand:
    from beetsplug.crates import similar

    actions = [
        Action(
            "list",
            "list the crates and how many tracks each has",
            _list,
            options=[JSON_OPTION, USER_OPTION],
        ),
        Action(
            "show",
            "list a crate's tracks in playlist order",
            _show,
            "NAME",
            [USER_OPTION, JSON_OPTION],
        ),
        Action(
            "explain",
            "a crate's rules in words and the SQL they compile to",
            _explain,
            "NAME",
        ),
        Action(
            "refresh",
            "re-read the library and evaluate the crates",
            _refresh,
            "[NAME]",
            [USER_OPTION],
        ),
        Action(
            "export",
            "write a crate as an extended M3U8 playlist",
            _export,
            "NAME",
            [
                option("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)"),
                option(
                    "--absolute",
                    action="store_true",
                    help="absolute paths (default: relative to FILE's folder)",
                ),
                USER_OPTION,
            ],
        ),
        Action(
            "freeze",
            "save a crate's tracks of today as a static playlist",
            _freeze,
            "NAME",
            [
                option(
                    "--as",
                    dest="as_name",
                    metavar="NEWNAME",
                    help="the playlist's name (default: the crate's and today's date)",
                ),
                USER_OPTION,
            ],
        ),
        Action(
            "next",
            "what to play after a track",
            similar.next_tracks,
            "QUERY",
            similar.NEXT_OPTIONS,
        ),
        Action(
            "path",
            "a path of tracks from one track to another",
            similar.path,
            "FROM_QUERY TO_QUERY",
            similar.PATH_OPTIONS,
        ),
        Action(
            "sessions",
            "listening sessions from the play history",
            _sessions,
            options=[USER_OPTION, JSON_OPTION],
        ),
    ]
    return subcommands.subcommand(
        "crate", "DJ-aware smart playlists and sonic similarity", actions, (CrateError,)
    )
