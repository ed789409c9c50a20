"""The ``beet dupes`` command and its actions: scan, list, show, resolve, undo, purge.

Each action is a thin function: parse its options, call the plain classes, print.
"""

from __future__ import annotations

import json
import optparse
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import confuse
from beets import config, ui
from beets.library import Library
from tqdm import tqdm

from beetcrate.queue import open_queue
from beetcrate.settings import queue_settings, sidecar_path
from beetsplug.dupes import store
from beetsplug.dupes.group import regroup
from beetsplug.dupes.model import Group, GroupKind, Relation, StoredGroup
from beetsplug.dupes.rank import Ranking
from beetsplug.dupes.resolve import ResolveError, Resolver
from beetsplug.dupes.scan import Scanner, is_current
from beetsplug.dupes.tasks import Job, enqueue_scan

USAGE = """%prog ACTION [OPTIONS] [ARGS]

actions:
  scan [QUERY]            hash and fingerprint items (inline, or on the queue if many)
  list [QUERY]            list duplicate groups (--json for scripts)
  show GROUP              one group: members, canonical pick and why, related tracks
  resolve [GROUP...|--all]  dry run by default; --apply keeps the canonical, trashes the rest
  undo [ACTION]           restore an applied resolution (the latest by default)
  purge                   delete the trash for good (asks first)

Run `beet dupes ACTION --help` for an action's options."""


class Context:
    """The resolved configuration every action needs."""

    def __init__(self, lib: Library, plugin: confuse.ConfigView, beets: confuse.ConfigView):
        self.lib = lib
        self.plugin = plugin
        self.beets = beets
        self.db_path = str(sidecar_path(beets))
        self.db = store.open_store(self.db_path)
        try:
            self.ranking = Ranking(
                plugin["ranking"].as_str_seq(), plugin["preferred_directories"].as_str_seq()
            )
        except ValueError as exc:
            raise ui.UserError(f"dupes.ranking: {exc}") from exc

    def resolver(self) -> Resolver:
        trash = self.plugin["trash"].get() or ""
        library_dir = Path(os.fsdecode(self.lib.directory))
        playlist_dirs = [Path(p) for p in self.plugin["playlist_dirs"].as_str_seq()]
        try:
            beets_playlists = self.beets["playlist"]["playlist_dir"].get()
        except confuse.NotFoundError:
            beets_playlists = None
        if beets_playlists:
            playlist_dirs.append(Path(os.path.expanduser(beets_playlists)))
        return Resolver(
            self.lib,
            self.db,
            Path(os.path.expanduser(trash)) if trash else library_dir / ".dupes-trash",
            fill_fields=self.plugin["fill_tags"].as_str_seq(),
            playlist_dirs=playlist_dirs,
            playlist_tables=self.plugin["playlist_tables"].as_str_seq(),
        )

    def job(self) -> Job:
        return Job(
            library=self.beets["library"].as_filename(),
            directory=os.fsdecode(self.lib.directory),
            db=self.db_path,
            fingerprints=self.plugin["fingerprint"].get(bool),
            ranking=list(self.ranking.order),
            preferred_directories=list(self.ranking.preferred_directories),
        )


def _parser(usage: str) -> optparse.OptionParser:
    return optparse.OptionParser(usage=f"beet dupes {usage}")


def scan(ctx: Context, argv: Sequence[str]) -> None:
    parser = _parser("scan [QUERY] [--jobs N | --queue]")
    parser.add_option("-j", "--jobs", type="int", help="scan inline with N processes")
    parser.add_option("--queue", action="store_true", help="scan on the beetcrate queue")
    opts, args = parser.parse_args(list(argv))
    items = list(ctx.lib.items(args))
    fingerprints = ctx.plugin["fingerprint"].get(bool)
    todo = [item for item in items if not is_current(item, need_hash=fingerprints)]
    threshold = ctx.plugin["queue_threshold"].get(int)
    if opts.queue or (opts.jobs is None and len(todo) > threshold):
        open_queue(queue_settings(ctx.beets))
        batches = enqueue_scan(ctx.job(), [item.id for item in todo])
        ui.print_(
            f"queued {len(todo)} items in {batches} batches; a beetcrate worker scans them"
            " and regroups after the last one"
        )
        return
    scanner = Scanner(ctx.lib, ctx.db_path, fingerprints, opts.jobs or 1)
    with tqdm(total=len(items), unit="file", desc="dupes scan", disable=None) as bar:
        report = scanner.run(items, progress=bar.update)
    for message in report.errors:
        ui.print_(f"error: {message}")
    groups = regroup(ctx.lib, ctx.db, ctx.ranking)
    ui.print_(
        f"scanned {report.scanned}, unchanged {report.unchanged}, errors {len(report.errors)};"
        f" {len(groups)} groups"
    )


def _matching_groups(ctx: Context, query: Sequence[str]) -> list[StoredGroup]:
    groups = store.load_groups(ctx.db)
    if query:
        wanted = {item.id for item in ctx.lib.items(list(query))}
        groups = [g for g in groups if g.item_ids & wanted]
    return groups


def to_json(groups: Sequence[Group]) -> dict[str, list[dict[str, object]]]:
    """The public ``--json`` shape: kind, similarity, canonical path, member paths."""
    return {
        "groups": [
            {
                "kind": g.kind.value,
                "similarity": g.similarity,
                "canonical": g.canonical_path,
                "members": [m.path for m in g.members],
            }
            for g in groups
        ]
    }


def _print_group(group: StoredGroup) -> None:
    ui.print_(f"group {group.id}: {group.kind.value}, similarity {group.similarity:.3f}")
    for member in group.members:
        mark = "*" if member.item_id == group.canonical_id else " "
        ui.print_(f"  {mark} {member.path}")


def list_groups(ctx: Context, argv: Sequence[str]) -> None:
    parser = _parser("list [QUERY] [--json]")
    parser.add_option("--json", action="store_true", help="print JSON for scripts")
    opts, args = parser.parse_args(list(argv))
    groups = _matching_groups(ctx, args)
    if opts.json:
        print(json.dumps(to_json(groups), indent=2))
        return
    for group in groups:
        _print_group(group)
    ui.print_(f"{len(groups)} groups (* marks the canonical copy)")


def _group_arg(ctx: Context, text: str) -> StoredGroup:
    if not text.isdigit():
        raise ui.UserError(f"not a group id: {text}")
    found = store.load_groups(ctx.db, [int(text)])
    if not found:
        raise ui.UserError(f"no group {text}; `beet dupes list` shows them")
    return found[0]


def related(ctx: Context, group: Group) -> list[tuple[str, float]]:
    """Items related to the group (an edit or extended version) but not duplicates of it."""
    hashes = {m.audio_hash for m in group.members}
    others = set()
    for a, b, relation, similarity in store.edges(ctx.db):
        if relation is Relation.RELATED and (a in hashes) != (b in hashes):
            others.add((b if a in hashes else a, similarity))
    paths = []
    for audio_hash, similarity in sorted(others):
        for item in ctx.lib.items(f"audio_hash:{audio_hash}"):
            paths.append((os.fsdecode(item.path), similarity))
    return paths


def show(ctx: Context, argv: Sequence[str]) -> None:
    parser = _parser("show GROUP")
    _, args = parser.parse_args(list(argv))
    if len(args) != 1:
        raise ui.UserError("usage: beet dupes show GROUP")
    group = _group_arg(ctx, args[0])
    _print_group(group)
    ui.print_("why the canonical copy (*):")
    for line in group.explanation:
        ui.print_(f"  {line}")
    for path, similarity in related(ctx, group):
        ui.print_(f"  related (not a duplicate), similarity {similarity:.3f}: {path}")


def independent(groups: Sequence[StoredGroup]) -> list[StoredGroup]:
    """Groups to resolve with ``--all``: same-recording first, then exact-audio groups whose
    members no same-recording group already takes care of."""
    ordered = sorted(groups, key=lambda g: (g.kind is not GroupKind.SAME_RECORDING, g.id))
    covered: set[int] = set()
    chosen = []
    for group in ordered:
        ids = group.item_ids
        if ids <= covered:
            continue
        covered |= ids
        chosen.append(group)
    return chosen


def resolve(ctx: Context, argv: Sequence[str]) -> None:
    parser = _parser("resolve [GROUP...|--all] [--apply]")
    parser.add_option("--all", action="store_true", help="every group")
    parser.add_option("--apply", action="store_true", help="do it (default: dry run)")
    opts, args = parser.parse_args(list(argv))
    if bool(args) == bool(opts.all):
        raise ui.UserError("give GROUP ids or --all")
    groups = (
        independent(store.load_groups(ctx.db)) if opts.all else [_group_arg(ctx, a) for a in args]
    )
    resolver = ctx.resolver()
    failed = 0
    next_id = resolver.next_action_id()
    for group in groups:
        try:
            plan = resolver.apply(group) if opts.apply else resolver.plan(group, next_id)
        except ResolveError as exc:
            ui.print_(f"error: {exc}")
            failed += 1
            continue
        next_id += 1
        ui.print_(f"group {group.id} ({group.kind.value}):")
        for line in plan.describe():
            ui.print_(f"  {line}")
    if opts.apply:
        regroup(ctx.lib, ctx.db, ctx.ranking)
    else:
        ui.print_("dry run: nothing changed; add --apply to do it")
    if failed:
        raise ui.UserError(f"{failed} group(s) not resolved; see the errors above")


def undo(ctx: Context, argv: Sequence[str]) -> None:
    parser = _parser("undo [ACTION] [--list]")
    parser.add_option("--list", action="store_true", help="list the actions that can be undone")
    opts, args = parser.parse_args(list(argv))
    resolver = ctx.resolver()
    if opts.list:
        for action in resolver.applied():
            ui.print_(
                f"action {action.id} ({action.created}, group {action.group_id}):"
                f" kept {action.plan.keep_path}, trashed {len(action.plan.moves)}"
            )
        return
    if args and not args[0].isdigit():
        raise ui.UserError(f"not an action id: {args[0]}")
    try:
        plan = resolver.undo(int(args[0]) if args else None)
    except ResolveError as exc:
        raise ui.UserError(str(exc)) from exc
    for move in plan.moves:
        ui.print_(f"restored {move.source}")
    regroup(ctx.lib, ctx.db, ctx.ranking)


def purge(ctx: Context, argv: Sequence[str]) -> None:
    parser = _parser("purge [--yes]")
    parser.add_option("-y", "--yes", action="store_true", help="do not ask for confirmation")
    opts, _ = parser.parse_args(list(argv))
    resolver = ctx.resolver()
    files = [move.target for action in resolver.applied() for move in action.plan.moves]
    if not files:
        ui.print_("the trash is empty")
        return
    ui.print_(f"{len(files)} files in the trash will be deleted for good; undo will not work")
    if not opts.yes and not ui.input_yn("Delete them? (y/n)", require=True):
        ui.print_("nothing deleted")
        return
    for path in resolver.purge():
        ui.print_(f"deleted {path}")


ACTIONS: dict[str, Callable[[Context, Sequence[str]], None]] = {
    "scan": scan,
    "list": list_groups,
    "show": show,
    "resolve": resolve,
    "undo": undo,
    "purge": purge,
}


def dupes_command(plugin: confuse.ConfigView) -> ui.Subcommand:
    command = ui.Subcommand("dupes", help="find and resolve duplicate tracks")
    command.parser.usage = USAGE
    # Options after the action belong to the action's own parser.
    command.parser.disable_interspersed_args()

    def run(lib: Library, _opts: optparse.Values, args: list[str]) -> None:
        if not args or args[0] not in ACTIONS:
            command.parser.print_help()
            raise ui.UserError(f"choose an action: {', '.join(ACTIONS)}")
        ACTIONS[args[0]](Context(lib, plugin, config), args[1:])

    command.func = run
    return command


def update_after_changes(lib: Library, plugin: confuse.ConfigView, imported: list[int]) -> None:
    """After an import or a removal: scan what came in, then regroup (queued if many)."""
    beets = config
    ctx = Context(lib, plugin, beets)
    items = [item for item in map(lib.get_item, imported) if item is not None]
    if len(items) > plugin["queue_threshold"].get(int):
        open_queue(queue_settings(beets))
        enqueue_scan(ctx.job(), [item.id for item in items])
        return
    report = Scanner(lib, ctx.db_path, plugin["fingerprint"].get(bool)).run(items)
    for message in report.errors:
        ui.print_(f"dupes: {message}")
    regroup(lib, ctx.db, ctx.ranking)
