"""``beet provenance show|log|revert|purge``: read and take back the recorded history.

``show`` explains, per field, why an item or album has its value; ``log`` lists changes in the
order they were made; ``revert`` sets values back (``beetsplug.provenance.revert`` decides which)
through beets, attributed to ``revert`` so that it is recorded and can itself be reverted;
``purge`` forgets removed items' histories. ``--json`` shapes are in docs/provenance.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from optparse import Values
from typing import Any

from beets import ui
from beets.dbcore.db import Model
from beets.dbcore.types import DateType
from beets.library import Album, Item, Library

from beetcrate.attribution import attributed
from beetcrate.durations import BadDuration, parse_duration
from beetcrate.subcommands import Action, option, subcommand
from beetsplug.provenance.revert import plan_revert
from beetsplug.provenance.store import Change, Kind, ProvenanceStore, iso_time
from beetsplug.provenance.values import Value, set_value, shown, stored_values

# What each source did, in words: "set by <words>".
SOURCE_WORDS = {
    "import:file": "the file's own tags, read on import",
    "import:asis": "the file's own tags, imported as they were",
    "import:musicbrainz": "a MusicBrainz import",
    "import:fingerprint": "an import matched by its audio fingerprint (AcoustID)",
    "found": "the library as provenance first found it",
    "modify": "beet modify",
    "edit": "beet edit",
    "mbsync": "beet mbsync (MusicBrainz)",
    "update": "beet update, read back from the file",
    "move": "beet move",
    "write": "beet write",
    "identify": "beet identify",
    "lastfm": "Last.fm",
    "revert": "beet provenance revert",
    "unknown": "an unknown source",
}


def source_words(source: str) -> str:
    if source in SOURCE_WORDS:
        return SOURCE_WORDS[source]
    if source.startswith("import:"):
        return f"an import from {source.removeprefix('import:')}"
    return f"the {source} plugin"


def evidence(change: Change) -> str:
    """ "(release 1234…, distance 0.04)": the candidate and how close it was, where known."""
    parts = []
    if change.candidate_id:
        parts.append(f"{change.candidate_kind or 'candidate'} {change.candidate_id}")
    if change.distance is not None:
        parts.append(f"distance {change.distance:.2f}")
    if change.score is not None:
        parts.append(f"score {change.score:.2f}")
    return f" ({', '.join(parts)})" if parts else ""


def when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def explain(changes: Sequence[Change]) -> str:
    """Why a field has its value, from its changes (oldest first), in one sentence."""
    last = changes[-1]
    value = shown_value(last.kind, last.field, last.new)
    said = f"{value} set by {source_words(last.source)}{evidence(last)} on {when(last.time)}"
    old = shown_value(last.kind, last.field, last.old)
    if len(changes) > 1:
        said += f"; before that {old} from {source_words(changes[-2].source)}"
    elif last.old is not None:
        said += f"; before that {old}"
    return said


def shown_value(kind: Kind, field: str, value: Value) -> str:
    """A value as a person reads it; a date field's timestamp as a date."""
    model = Album if kind is Kind.ALBUM else Item
    if isinstance(value, float) and isinstance(model._type(field), DateType):
        return when(value)
    return shown(value)


def parse_time(text: str) -> float:
    """A time as people write it: ``2026-11-30``, ``2026-11-30 09:12`` (local time, ISO 8601)
    or how long ago (``2h``, ``3 days``)."""
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        pass
    try:
        return time.time() - parse_duration(text)
    except BadDuration:
        raise ui.UserError(
            f"not a time: {text!r} (write 2026-11-30, 2026-11-30 09:12, or how long ago: 2h, 3d)"
        ) from None


def _kind(opts: Values) -> Kind:
    return Kind.ALBUM if opts.album else Kind.ITEM


def _models(lib: Library, kind: Kind, query: list[str]) -> list[Item] | list[Album]:
    if kind is Kind.ALBUM:
        return list(lib.albums(query))
    return list(lib.items(query))


def _ids(models: Sequence[Model]) -> list[int]:
    return [model.id for model in models if model.id is not None]


def label(model: Model) -> str:
    """``artist - title`` (``albumartist - album``), or what is missing when both are empty
    (a tagless file, or one whose tags a revert took back), as ``beet identify`` says it."""
    if isinstance(model, Album):
        names, missing = [model.albumartist, model.album], "(no album artist, no album)"
    else:
        names, missing = [model.artist, model.title], "(no artist, no title)"
    return " - ".join(filter(None, names)) or missing


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


ALBUM_OPTION = option("-a", "--album", action="store_true", help="albums, not items")
JSON_OPTION = option("--json", action="store_true", help="print JSON (docs/provenance.md)")


class ProvenanceCommands:
    def __init__(self, store: Callable[[], ProvenanceStore]) -> None:
        self.store = store

    def show(self, lib: Library, opts: Values, args: list[str]) -> None:
        if not args:
            raise ui.UserError("beet provenance show: give a query (beet provenance show QUERY)")
        kind = _kind(opts)
        models = _models(lib, kind, args)
        by_model: dict[int, dict[str, list[Change]]] = {}
        for change in self.store().history(kind, _ids(models)):
            by_model.setdefault(change.beets_id, {}).setdefault(change.field, []).append(change)
        shown_models = []
        for model in models:
            fields = sorted(by_model.get(model.id or 0, {}).items())
            if opts.json:
                shown_models.append(
                    {
                        "kind": kind.value,
                        "id": model.id,
                        "label": label(model),
                        "fields": {field: _field_json(changes) for field, changes in fields},
                    }
                )
                continue
            ui.print_(f"{label(model)}  ({kind.value} {model.id})")
            for field, changes in fields:
                ui.print_(f"  {field}: {explain(changes)}")
        if opts.json:
            _print_json(shown_models)
        elif not models:
            ui.print_("no match")

    def log(self, lib: Library, opts: Values, args: list[str]) -> None:
        since = parse_time(opts.since) if opts.since else None
        kind = _kind(opts) if (args or opts.album) else None
        ids = _ids(_models(lib, _kind(opts), args)) if args else None
        changes = self.store().history(kind, ids, since=since)
        if opts.json:
            _print_json([change.as_json() for change in changes])
            return
        for change in changes:
            gone = " (removed)" if change.removed is not None else ""
            ui.print_(
                f"{when(change.time)}  {change.kind.value} {change.beets_id}{gone}  "
                f"{change.field}: {shown_value(change.kind, change.field, change.old)} -> "
                f"{shown_value(change.kind, change.field, change.new)}  "
                f"[{change.source}{evidence(change)}]"
            )

    def revert(self, lib: Library, opts: Values, args: list[str]) -> None:
        if not args:
            raise ui.UserError(
                "beet provenance revert: give a query (beet provenance revert QUERY [FIELD ...])"
            )
        query, fields = _query_and_fields(args, _kind(opts))
        to = parse_time(opts.to) if opts.to else None
        kind = _kind(opts)
        models = _models(lib, kind, query)
        if not models:
            raise ui.UserError(f"nothing matches {' '.join(query)!r}")
        history = self.store().history(kind, _ids(models))
        write = ui.should_write()
        reverted = 0
        with attributed("revert"):
            for model in models:
                changes = [c for c in history if c.beets_id == model.id]
                plan = plan_revert(changes, stored_values(model), fields, opts.source, to)
                name = label(model)
                for left in plan.left:
                    ui.print_(f"{name}: {left.field} left: {left.reason}")
                if not plan.restores:
                    continue
                for restore in plan.restores:
                    set_value(model, restore.field, restore.value)
                    ui.print_(
                        f"{name}: {restore.field} {shown(restore.current)}"
                        f" -> {shown(restore.value)}"
                    )
                reverted += 1
                model.try_sync(write, move=False)
        if not reverted:
            ui.print_("nothing to revert")

    def purge(self, lib: Library, opts: Values, args: list[str]) -> None:
        count = self.store().purge()
        ui.print_(f"forgot the history of {count} removed items and albums")


def _query_and_fields(args: list[str], kind: Kind) -> tuple[list[str], list[str]]:
    """``QUERY [FIELD ...]``: the field names are the arguments at the end that name a field
    (``beet provenance revert artist:Radiohead title genre``); the query is the rest, at least
    the first argument."""
    known = set(Album.all_keys() if kind is Kind.ALBUM else Item.all_keys())
    split = len(args)
    while split > 1 and args[split - 1] in known:
        split -= 1
    return args[:split], args[split:]


def _field_json(changes: list[Change]) -> dict[str, object]:
    last = changes[-1]
    return {
        "value": last.new,
        "source": last.source,
        "candidate_id": last.candidate_id,
        "candidate_kind": last.candidate_kind,
        "distance": last.distance,
        "score": last.score,
        "confidence": last.confidence,
        "time": iso_time(last.time),
        "explanation": explain(changes),
        "history": [
            {
                key: value
                for key, value in change.as_json().items()
                if key not in ("kind", "id", "field", "removed")
            }
            for change in changes
        ],
    }


def provenance_command(store: Callable[[], ProvenanceStore]) -> ui.Subcommand:
    commands = ProvenanceCommands(store)
    return subcommand(
        "provenance",
        "where every value came from: show, log, revert, purge",
        [
            Action(
                "show",
                "per item, per field: value, source, candidate, confidence, time, and why",
                commands.show,
                "QUERY",
                [ALBUM_OPTION, JSON_OPTION],
            ),
            Action(
                "log",
                "the changes in the order they were made",
                commands.log,
                "[QUERY]",
                [
                    ALBUM_OPTION,
                    option("--since", metavar="TIME", help="changes since (2026-11-30, 2h)"),
                    JSON_OPTION,
                ],
            ),
            Action(
                "revert",
                "set values back: the last change, of fields, of a source, or as of a time",
                commands.revert,
                "QUERY [FIELD ...]",
                [
                    ALBUM_OPTION,
                    option("--source", metavar="SOURCE", help="take back this source's changes"),
                    option(
                        "--to", metavar="TIME", help="values as of this time (2026-11-30 09:12)"
                    ),
                ],
            ),
            Action(
                "purge",
                "forget the histories of removed items and albums",
                commands.purge,
            ),
        ],
    )
