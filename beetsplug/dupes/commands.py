"""``beet dupes scan|list|show|resolve|undo|purge``, declared on ``beetcrate.subcommands``.

Each action is a thin function: read its options, call the plain modules, print. The flags and
the ``list --json`` output are public interfaces that scripts rely on: keep them as they are.
"""

from __future__ import annotations

import json
import optparse
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import confuse
import sqlite_utils
from beets import config, ui
from beets.library import Item, Library
from tqdm import tqdm

from beetcrate.queue import open_queue
from beetcrate.settings import SettingsError, queue_settings
from beetcrate.subcommands import Action, ActionFunc, option, subcommand
from beetsplug.dupes import store
from beetsplug.dupes.group import regroup
from beetsplug.dupes.model import Group, GroupKind, Relation, StoredGroup
from beetsplug.dupes.near import Neighbour, nearest
from beetsplug.dupes.resolve import ResolveError, Resolver
from beetsplug.dupes.scan import Scanner, is_current
from beetsplug.dupes.settings import DupesSettings, read_settings
from beetsplug.dupes.tasks import Job, enqueue_scan


@dataclass(frozen=True)
class Context:
    """What every action works with: the library, the plugin's settings and the sidecar."""

    lib: Library
    settings: DupesSettings
    db: sqlite_utils.Database

    @classmethod
    def open(cls, lib: Library, plugin: confuse.ConfigView) -> Context:
        settings = read_settings(plugin, config)
        return cls(lib, settings, store.open_store(settings.db))

    def resolver(self) -> Resolver:
        return Resolver(
            self.lib,
            self.db,
            self.settings.trash,
            fill_fields=self.settings.fill_tags,
            playlist_dirs=self.settings.playlist_dirs,
            playlist_tables=self.settings.playlist_tables,
        )

    def regroup(self) -> list[Group]:
        return regroup(self.lib, self.db, self.settings.ranking)

    def enqueue_scan(self, items: Sequence[Item]) -> int:
        """Queue a scan of ``items`` for ``beetcrate worker``; returns the batches queued."""
        # Read only now: a queue setting must not stop `beet dupes list`, or an import.
        try:
            queue = queue_settings(config)
            open_queue(queue)
        except SettingsError as exc:
            raise ui.UserError(str(exc)) from exc
        # Items read from the library have ids; beets types them optional for unsaved ones.
        item_ids = [item.id for item in items if item.id is not None]
        return enqueue_scan(Job.from_settings(self.settings), item_ids, queue.lease_seconds)


def scan(ctx: Context, opts: optparse.Values, query: list[str]) -> None:
    items = list(ctx.lib.items(query))
    fingerprints = ctx.settings.fingerprints
    todo = [item for item in items if not is_current(item, need_hash=fingerprints)]
    if opts.queue or (opts.jobs is None and len(todo) > ctx.settings.queue_threshold):
        batches = ctx.enqueue_scan(todo)
        ui.print_(
            f"queued {len(todo)} items in {batches} batches; a beetcrate worker scans them"
            " and regroups after the last one"
        )
        return
    scanner = Scanner(ctx.lib, ctx.settings.db, fingerprints, opts.jobs or 1)
    with tqdm(total=len(items), unit="file", desc="dupes scan", disable=None) as bar:
        report = scanner.run(items, progress=bar.update)
    for message in report.errors:
        ui.print_(f"error: {message}")
    groups = ctx.regroup()
    ui.print_(
        f"scanned {report.scanned}, unchanged {report.unchanged}, errors {len(report.errors)};"
        f" {len(groups)} groups"
    )
    _fail_if_errors(report.errors, "dupes scan")


def _fail_if_errors(errors: list[str], job: str) -> None:
    """The job went on past its failed files; its exit status still says some failed (the
    next scan tries them again, as nothing was recorded for them)."""
    if errors:
        raise ui.UserError(f"{job}: {len(errors)} file(s) could not be scanned; see above")


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


def list_groups(ctx: Context, opts: optparse.Values, query: list[str]) -> None:
    groups = store.load_groups(ctx.db)
    if query:
        wanted = {item.id for item in ctx.lib.items(query)}
        groups = [g for g in groups if g.item_ids & wanted]
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
    """Paths and similarities of the items related to the group (an edit or extended version of
    its recording) but not duplicates of it."""
    hashes = {m.audio_hash for m in group.members}
    others = set()
    for edge in store.edges(ctx.db):
        if edge.relation is Relation.RELATED and (edge.a in hashes) != (edge.b in hashes):
            others.add((edge.b if edge.a in hashes else edge.a, edge.similarity))
    paths = []
    for audio_hash, similarity in sorted(others):
        for item in ctx.lib.items(f"audio_hash:{audio_hash}"):
            paths.append((os.fsdecode(item.path), similarity))
    return paths


def show(ctx: Context, opts: optparse.Values, args: list[str]) -> None:
    if opts.near:
        show_near(ctx, args, opts.count, opts.json)
        return
    if opts.json:
        raise ui.UserError("--json goes with --near (`beet dupes list --json` lists the groups)")
    if len(args) != 1:
        raise ui.UserError("usage: beet dupes show GROUP, or beet dupes show ITEM --near")
    group = _group_arg(ctx, args[0])
    _print_group(group)
    ui.print_("why the canonical copy (*):")
    for line in group.explanation:
        ui.print_(f"  {line}")
    for path, similarity in related(ctx, group):
        ui.print_(f"  related (not a duplicate), similarity {similarity:.3f}: {path}")


def near_json(item: Item, neighbours: Sequence[Neighbour]) -> dict[str, object]:
    """The public ``show --near --json`` shape (docs/dupes.md)."""
    return {
        "item": {"id": item.id, "path": os.fsdecode(item.path)},
        "nearest": [
            {
                "id": n.item_id,
                "path": n.path,
                "score": n.score,
                "relation": n.relation,
                "similarity": n.similarity,
                "coverage": n.coverage,
                "drift": n.drift,
                "hit_gap": n.hit_gap,
                "groups": [{"id": g.id, "kind": g.kind.value} for g in n.groups],
                "rule": n.rule,
            }
            for n in neighbours
        ],
    }


def show_near(ctx: Context, query: list[str], count: int, as_json: bool = False) -> None:
    """The items nearest the one ``query`` names, each with its score and why it is apart."""
    if count < 1:
        raise ui.UserError("--count must be at least 1")
    items = list(ctx.lib.items(query)) if query else []
    if len(items) != 1:
        found = f"it matches {len(items)}" if query else "none given"
        raise ui.UserError(f"--near needs a query naming one item; {found}")
    item = items[0]
    if not item.get("audio_hash"):
        raise ui.UserError(f"not scanned yet: {os.fsdecode(item.path)}; run `beet dupes scan`")
    neighbours = nearest(ctx.db, item, list(ctx.lib.items("audio_hash::.")), count)
    if as_json:
        print(json.dumps(near_json(item, neighbours), indent=2))
        return
    ui.print_(f"nearest to {os.fsdecode(item.path)}:")
    for n in neighbours:
        measures = f"score {n.score:.3f}"
        if n.similarity is not None and n.coverage is not None:
            measures += f" (similarity {n.similarity:.3f}, coverage {n.coverage:.0%}"
            measures += f", drift {n.drift:.2f} frames" if n.drift is not None else ""
            measures += f", hits {n.hit_gap:.1f} ms apart)" if n.hit_gap is not None else ")"
        ui.print_(f"  {measures}: {n.path}")
        ui.print_(f"    {n.rule}")
    if not neighbours:
        ui.print_("  no other scanned item")


def independent(groups: Sequence[StoredGroup]) -> list[StoredGroup]:
    """Groups to resolve with ``--all``: same-recording first, then exact-audio groups whose
    members no same-recording group already takes care of."""
    ordered = sorted(groups, key=lambda g: (g.kind is not GroupKind.SAME_RECORDING, g.id))
    covered: set[int] = set()
    chosen = []
    for group in ordered:
        if group.item_ids <= covered:
            continue
        covered |= group.item_ids
        chosen.append(group)
    return chosen


def resolve(ctx: Context, opts: optparse.Values, args: list[str]) -> None:
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
        ctx.regroup()
    else:
        ui.print_("dry run: nothing changed; add --apply to do it")
    if failed:
        raise ui.UserError(f"{failed} group(s) not resolved; see the errors above")


def undo(ctx: Context, opts: optparse.Values, args: list[str]) -> None:
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
    ctx.regroup()


def purge(ctx: Context, opts: optparse.Values, args: list[str]) -> None:
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


def dupes_command(plugin: confuse.ConfigView) -> ui.Subcommand:
    """``beet dupes``, with the settings read from the plugin's config section ``plugin``."""

    def with_context(run: Callable[[Context, optparse.Values, list[str]], None]) -> ActionFunc:
        return lambda lib, opts, args: run(Context.open(lib, plugin), opts, args)

    return subcommand(
        "dupes",
        "find and resolve duplicate tracks",
        [
            Action(
                "scan",
                "hash and fingerprint items (inline, or on the queue if many)",
                with_context(scan),
                "[QUERY]",
                [
                    option("-j", "--jobs", type="int", help="scan inline with N processes"),
                    option("--queue", action="store_true", help="scan on the beetcrate queue"),
                ],
            ),
            Action(
                "list",
                "list duplicate groups (--json for scripts)",
                with_context(list_groups),
                "[QUERY]",
                [option("--json", action="store_true", help="print JSON for scripts")],
            ),
            Action(
                "show",
                "one group: members, canonical pick and why, related tracks;"
                " --near: the items nearest one item and what keeps them apart",
                with_context(show),
                "GROUP | ITEM --near [--count N] [--json]",
                [
                    option(
                        "--near",
                        action="store_true",
                        help="ITEM is a beets query naming one item: list the items nearest it,"
                        " each with its score and the rule that kept it apart (or its group)",
                    ),
                    option(
                        "--count",
                        type="int",
                        default=5,
                        help="with --near, how many items to list (default 5)",
                    ),
                    option("--json", action="store_true", help="with --near, print JSON"),
                ],
            ),
            Action(
                "resolve",
                "dry run by default; --apply keeps the canonical, trashes the rest",
                with_context(resolve),
                "[GROUP...|--all]",
                [
                    option("--all", action="store_true", help="every group"),
                    option("--apply", action="store_true", help="do it (default: dry run)"),
                ],
            ),
            Action(
                "undo",
                "restore an applied resolution (the latest by default)",
                with_context(undo),
                "[ACTION]",
                [option("--list", action="store_true", help="list the actions that can be undone")],
            ),
            Action(
                "purge",
                "delete the trash for good (asks first)",
                with_context(purge),
                options=[
                    option("-y", "--yes", action="store_true", help="do not ask for confirmation")
                ],
            ),
        ],
    )


def update_after_changes(lib: Library, plugin: confuse.ConfigView, imported: list[int]) -> None:
    """After an import or a removal: scan what came in, then regroup (queued if many)."""
    ctx = Context.open(lib, plugin)
    items = [item for item in map(lib.get_item, imported) if item is not None]
    if len(items) > ctx.settings.queue_threshold:
        ctx.enqueue_scan(items)
        return
    report = Scanner(lib, ctx.settings.db, ctx.settings.fingerprints).run(items)
    for message in report.errors:
        ui.print_(f"dupes: {message}")
    ctx.regroup()
    _fail_if_errors(report.errors, "dupes")
