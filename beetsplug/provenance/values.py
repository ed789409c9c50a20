"""A beets model's stored values as provenance keeps them: what beets writes to its database.

Values are taken in their SQL form (``Type.to_sql``: a list field is its delimited string, a
date its timestamp), so two snapshots compare exactly as the database would, and a value goes
back into a model through ``Type.from_sql``. Paths (bytes in beets) are kept as text (decoded
the way the file system names them). Empty values (``None``, ``""``, and zero: beets' null for a
number, such as a track number 0) are left out: an absent field and an empty one are the same
to a reader.
"""

from __future__ import annotations

import functools
import operator
import os
from typing import Any

from beets import context
from beets.dbcore.db import LazyDict, Model
from beets.dbcore.types import MULTI_VALUE_DELIMITER, BasePathType, Type

# A stored value as JSON keeps it: text, a number, or absent (None).
Value = str | int | float | None

# Fields beets itself changes that say nothing about the music: the item's id never changes,
# and ``mtime`` (when beets last read or wrote the file) moves on every write of the tags.
UNRECORDED = frozenset({"id", "mtime"})

# Fields a revert does not set back, and why: a file's place is ``beet move``'s business, an
# item's album is the album it is stored under, and ``added`` is when beets took the item or
# album in (beets sets it on import, in the same store as the match; emptied, it would say 1970).
NOT_REVERTIBLE = {
    "path": "a file's place is changed by beet move",
    "artpath": "a file's place is changed by beet move",
    "album_id": "an item's album is changed by beet import",
    "added": "when beets took it in, not a value of the music",
}


def stored_values(model: Model) -> dict[str, Value]:
    """The model's non-empty fields (fixed and flexible), as beets stores them."""
    values: dict[str, Value] = {}
    fixed_types = type(model)._fields
    for fields in (model._values_fixed, model._values_flex):
        # beets converts a value read from its database on first use; most are never used
        # (and most are empty), so unconverted values are only converted when not empty; a
        # command that shows changes (``beet modify``) has converted them all.
        # (The tests are inline and cheapest first: this runs for every field of every store.)
        converted: dict[str, Value] = fields.data if isinstance(fields, LazyDict) else fields
        from_database = getattr(fields, "_raw", {})
        if converted.keys() >= from_database.keys():
            from_database = {}
        for key, raw in from_database.items():
            if raw is None or (raw.__class__ in _PLAIN and not raw) or key in converted:
                continue
            kind = fixed_types.get(key) or model._type(key)
            _keep(values, key, _to_sql(kind, kind.from_sql(raw)))
        for key, value in _non_empty(converted).items():
            if value.__class__ in _AS_STORED:
                # beets' types store text and numbers as they are
                values[key] = value
            else:
                kind = fixed_types.get(key) or model._type(key)
                _keep(values, key, _to_sql(kind, value))
    for key in UNRECORDED:
        values.pop(key, None)
    return values


def _non_empty(converted: dict[str, Value]) -> dict[str, Value]:
    """The values that are not beets' nulls (nothing, no text, zero, no list), each tested for
    truth in C: most of a model's fields are empty, and testing them one by one in Python costs
    more than the rest of reading its values. (A value that refuses to be tested, a numpy
    array, never gets here: beets tests every value it is given against the one it replaces.)"""
    present: dict[str, Value] = dict(filter(_VALUE, converted.items()))
    return present


_VALUE = operator.itemgetter(1)


# Model values that beets' types (``Type.to_sql``) store unchanged: only lists (delimited
# text), paths (bytes) and booleans (numbers) are turned into something else.
_AS_STORED = frozenset({str, int, float})


# The types whose empty values (beets' nulls: nothing, no text, zero, no list) are left out;
# a plugin may hold other values (a numpy array) that refuse to be tested for truth.
_PLAIN = frozenset({str, bytes, int, float, bool, list})


def _to_sql(kind: Type, value: Any) -> Any:
    """``kind.to_sql(value)``; for a path in the music directory, without beets' conversion
    (``os.path.relpath``: a third of the cost of reading a stored item's values)."""
    if value.__class__ is bytes and isinstance(kind, BasePathType):
        inside = _in_music_directory(value)
        if inside is not None:
            return inside
    return kind.to_sql(value)


def _in_music_directory(path: bytes) -> bytes | None:
    """What beets stores for ``path`` when it is a normalized path below the music directory
    (its part below it); None for any other path, which beets' own conversion takes."""
    prefix = _music_directory_prefix(context.get_music_dir())
    if (
        prefix is None
        or len(path) <= len(prefix)
        or not path.startswith(prefix)
        or b"\\" in path  # beets stores a backslash as a slash
        or os.path.normpath(path) != path
    ):
        return None
    return path[len(prefix) :]


@functools.lru_cache(maxsize=8)
def _music_directory_prefix(music_dir: bytes) -> bytes | None:
    """The music directory with a trailing separator, when paths below it are found by their
    beginning alone: on POSIX, for a normalized absolute directory."""
    if os.sep != "/" or not os.path.isabs(music_dir) or os.path.normpath(music_dir) != music_dir:
        return None
    return os.path.join(music_dir, b"")


def _keep(values: dict[str, Value], key: str, sql: Any) -> None:
    plain = _plain(sql)
    if plain is not None and plain != "" and plain != 0:
        values[key] = plain


def _plain(sql: Any) -> Value:
    if isinstance(sql, bytes):
        return os.fsdecode(sql)
    if isinstance(sql, bool):
        return int(sql)
    if sql is None or isinstance(sql, str | int | float):
        return sql
    return str(sql)


def changes_between(old: dict[str, Value], new: dict[str, Value]) -> dict[str, list[Value]]:
    """Field → [old, new] (a pair as JSON keeps it) for every field whose value differs
    between two snapshots."""
    # (Values are text and numbers, so the items' sets give the fields that differ.)
    return {field: [old.get(field), new.get(field)] for field, _ in old.items() ^ new.items()}


def set_value(model: Model, field: str, value: Value) -> None:
    """Give ``model`` a stored value back (absent: a flexible field is deleted, a fixed one
    emptied)."""
    if value is None:
        if field in model._fields:
            model[field] = None
        elif field in model:
            del model[field]
        return
    model[field] = model._type(field).from_sql(value)


SHOWN_LENGTH = 60


def shown(value: Value) -> str:
    """A value as a person reads it: quoted text, a bare number, or "empty"."""
    if value is None:
        return "empty"
    if isinstance(value, str):
        text = value.replace(MULTI_VALUE_DELIMITER, "; ")
        # A fingerprint or lyrics in full would bury the other fields (--json has them whole).
        return repr(text if len(text) <= SHOWN_LENGTH else text[: SHOWN_LENGTH - 1] + "…")
    return f"{value:g}" if isinstance(value, float) else str(value)
