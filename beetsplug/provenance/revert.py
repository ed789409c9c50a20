"""What ``beet provenance revert`` sets back: pure decisions over one item's or album's history.

- ``revert QUERY``: the last store that changed it (all the fields that store changed);
- ``revert QUERY FIELD…``: the last change of each field named;
- ``--source SOURCE``: fields whose value is ``SOURCE``'s, back to the value before it (before
  all of ``SOURCE``'s changes in a row); a field changed by someone else since is left;
- ``--to TIME``: fields back to their values as of that time; with ``--source``, only fields
  that nothing but ``SOURCE`` changed since.

What an item or album came with (its first store: the file's tags, the library as provenance
found it) has nothing before it and is never reverted; nor are a file's place (``path``: that
is ``beet move``'s), the album an item is stored under, and when beets took it in (``added``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from beetsplug.provenance.store import Change, milliseconds
from beetsplug.provenance.values import NOT_REVERTIBLE, Value


@dataclass(frozen=True)
class Restore:
    """A field to set back, from the value it has now."""

    field: str
    current: Value
    value: Value


@dataclass(frozen=True)
class Left:
    """A field the revert leaves as it is, and why."""

    field: str
    reason: str


@dataclass(frozen=True)
class RevertPlan:
    restores: tuple[Restore, ...]
    left: tuple[Left, ...]


def plan_revert(
    history: Sequence[Change],
    current: dict[str, Value],
    fields: Collection[str] = (),
    source: str | None = None,
    to: float | None = None,
) -> RevertPlan:
    """The restores that revert one item's or album's ``history`` (its changes in order)."""
    if not history:
        return RevertPlan((), ())
    first_store = history[0].store
    by_field: dict[str, list[Change]] = {}
    for change in history:
        by_field.setdefault(change.field, []).append(change)
    if fields:
        chosen = list(fields)
    elif source is None and to is None:
        last_store = history[-1].store
        chosen = [c.field for c in history if c.store == last_store]
    else:
        chosen = sorted(by_field)
    restores: list[Restore] = []
    left: list[Left] = []
    for field in chosen:
        changes = by_field.get(field, [])
        undone = _undone(changes, source, to)
        if isinstance(undone, str):
            if fields:  # a field the user named is always answered
                left.append(Left(field, undone))
            continue
        if field in NOT_REVERTIBLE:
            left.append(Left(field, NOT_REVERTIBLE[field]))
            continue
        if undone[0].store == first_store:
            if fields or source is not None:
                left.append(Left(field, f"came with it ({undone[0].source}): nothing before"))
            continue
        value = undone[0].old
        if current.get(field) != value:
            restores.append(Restore(field, current.get(field), value))
    return RevertPlan(tuple(restores), tuple(left))


def _undone(changes: Sequence[Change], source: str | None, to: float | None) -> list[Change] | str:
    """The changes of one field that the revert takes back, or why there are none."""
    if not changes:
        return "no change recorded"
    if to is not None:
        after = [c for c in changes if milliseconds(c.time) > milliseconds(to)]
        if not after:
            return "not changed since then"
        others = sorted({c.source for c in after} - {source}) if source is not None else []
        if others:
            return f"changed since by {', '.join(others)}"
        return after
    if source is not None:
        if changes[-1].source != source:
            if any(c.source == source for c in changes):
                return f"changed since by {changes[-1].source}"
            return f"never changed by {source}"
        run = [changes[-1]]
        for change in reversed(changes[:-1]):
            if change.source != source:
                break
            run.insert(0, change)
        return run
    return [changes[-1]]
