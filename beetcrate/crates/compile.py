"""A crate's rules as one SQL query over ``crate_items``, and in words.

``compile_crate`` turns the rule tree into a WHERE clause with bound parameters (no value ever
reaches the SQL text), an ORDER BY and a LIMIT/OFFSET. What SQL cannot know is asked of a
``Context``: which playlist a name means, and which items a beets query string matches when
beets cannot say it in SQL (queries on flexible attributes, which beets matches in Python).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from beetcrate.crates.fields import DJ_NUMBERS, LIST_SEPARATOR, Field, FieldCatalog, Kind
from beetcrate.crates.keys import Key
from beetcrate.crates.rules import (
    Condition,
    Crate,
    CrateError,
    Group,
    HarmonicRule,
    InPlaylist,
    Operator,
    QueryRule,
    Rule,
    SortKey,
    TempoRule,
    is_number,
)

DAY = 86400.0
# Without a sort, a crate lists like ``beet ls``: by album artist, album, disc and track.
DEFAULT_ORDER = ("albumartist", "album", "disc", "track")


@dataclass(frozen=True)
class StoredPlaylist:
    """A playlist kept in the sidecar (``playlist_entries``)."""

    id: int


@dataclass(frozen=True)
class ItemSet:
    """Items known by id: another crate's contents, or what a beets query matched."""

    ids: tuple[int, ...]


@dataclass(frozen=True)
class BeetsClause:
    """A beets query as beets writes it in SQL over its ``items`` table, with its values."""

    sql: str
    values: tuple[object, ...]


class Context(Protocol):
    def playlist(self, name: str, path: Path | None) -> StoredPlaylist | ItemSet:
        """The playlist (or crate) ``name`` means, by id or name, or the one read from the
        file ``path`` when given. Raises ``LookupError``."""
        ...

    def beets_query(self, query: str) -> BeetsClause | ItemSet:
        """A beets query as SQL over ``beets.items`` (the ATTACHed library), or the items
        it matches when beets can only match it in Python. Raises ``ValueError``."""
        ...


@dataclass(frozen=True)
class CompiledCrate:
    crate: Crate
    where: str
    params: tuple[object, ...]
    order_by: str
    reads_user_data: bool
    reads_time: bool = False  # ``inTheLast``/``notInTheLast`` or a ``random`` sort

    def select(self, annotations: str = "user_annotations") -> str:
        """The query; its first parameter is the listener's name when ``reads_user_data``.
        ``annotations`` names the table (or an empty view) the user fields read."""
        rest = f" WHERE {self.where} ORDER BY {self.order_by}"
        if not self.reads_user_data:
            return "SELECT c.id FROM crate_items c" + rest
        # The listener's song annotations, read once into a keyed temporary table: a look-up
        # per item in the annotations' (user, target) key is 3x slower at 100k items.
        listener = (
            "WITH u AS MATERIALIZED (SELECT CAST(substr(target, 4) AS INTEGER) AS item_id,"
            " starred, rating, play_count, last_played, rated"
            f" FROM {annotations} WHERE user = ? AND kind = 'song') "
        )
        return listener + "SELECT c.id FROM crate_items c LEFT JOIN u ON u.item_id = c.id" + rest


def compile_crate(crate: Crate, fields: FieldCatalog, context: Context) -> CompiledCrate:
    """Raises ``CrateError`` naming the rule that cannot be compiled."""
    compiler = _Compiler(crate, fields, context)
    where = compiler.rule(crate.rules)
    order_by = compiler.order(crate.sort)
    return CompiledCrate(
        crate, where, tuple(compiler.params), order_by, compiler.reads_user, compiler.reads_time
    )


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _tempo_windows(rule: TempoRule) -> list[tuple[float, float]]:
    low, high = rule.near * (1 - rule.tolerance / 100), rule.near * (1 + rule.tolerance / 100)
    factors = (1.0, 0.5, 2.0) if rule.half_double else (1.0,)
    return [(low * factor, high * factor) for factor in factors]


def _harmonic_keys(rule: HarmonicRule) -> list[Key]:
    # Round the wheel, A before B at each number: 7A, 8A, 8B, 9A.
    keys = rule.key.mixes_into(boost=rule.boost, diagonal=rule.diagonal)
    return sorted(keys, key=lambda key: (key.number, not key.minor))


class _Compiler:
    def __init__(self, crate: Crate, fields: FieldCatalog, context: Context) -> None:
        self.crate, self.fields, self.context = crate, fields, context
        self.params: list[object] = []
        self.reads_user = False
        self.reads_time = False
        self.now = time.time()

    def fail(self, line: int, rule: str, problem: str) -> CrateError:
        return CrateError(self.crate.path, line, rule, problem)

    def bind(self, value: object) -> str:
        self.params.append(value)
        return "?"

    def field(self, name: str, line: int, rule: str) -> Field:
        try:
            found = self.fields.resolve(name)
        except ValueError as error:
            raise self.fail(line, rule, str(error)) from None
        self.reads_user = self.reads_user or found.user
        return found

    def rule(self, rule: Rule) -> str:
        if isinstance(rule, Group):
            if not rule.rules:
                return "1" if rule.match_all else "0"
            joiner = " AND " if rule.match_all else " OR "
            return "(" + joiner.join(self.rule(child) for child in rule.rules) + ")"
        if isinstance(rule, TempoRule):
            windows = _tempo_windows(rule)
            return (
                "("
                + " OR ".join(
                    f"c.tempo BETWEEN {self.bind(low)} AND {self.bind(high)}"
                    for low, high in windows
                )
                + ")"
            )
        if isinstance(rule, HarmonicRule):
            codes = [key.code for key in _harmonic_keys(rule)]
            return f"c.key_code IN ({', '.join(self.bind(code) for code in codes)})"
        if isinstance(rule, InPlaylist):
            return self.in_playlist(rule)
        if isinstance(rule, QueryRule):
            return self.query(rule)
        return self.condition(rule)

    def in_playlist(self, rule: InPlaylist) -> str:
        text = f"{'notInPlaylist' if rule.negated else 'inPlaylist'}: {rule.playlist}"
        try:
            playlist = self.context.playlist(rule.playlist, rule.path)
        except LookupError as error:
            raise self.fail(rule.line, text, str(error) or "no such playlist") from None
        if isinstance(playlist, StoredPlaylist):
            members = "SELECT item_id FROM playlist_entries WHERE playlist_id = " + self.bind(
                playlist.id
            )
        else:
            members = "SELECT value FROM json_each(" + self.bind(_ids_json(playlist.ids)) + ")"
        return f"c.id {'NOT IN' if rule.negated else 'IN'} ({members})"

    def query(self, rule: QueryRule) -> str:
        try:
            found = self.context.beets_query(rule.query)
        except ValueError as error:
            raise self.fail(rule.line, f"query: {rule.query}", str(error)) from None
        if isinstance(found, ItemSet):
            return "c.id IN (SELECT value FROM json_each(" + self.bind(_ids_json(found.ids)) + "))"
        # beets' clause has its own ``?``s: its values are bound where it sits in the text.
        self.params.extend(found.values)
        return f"c.id IN (SELECT id FROM beets.items WHERE {found.sql})"

    def condition(self, rule: Condition) -> str:
        text = f"{rule.operator.value}: {{{rule.field}: {rule.value}}}"
        field = self.field(rule.field, rule.line, text)
        operator, value, sql = rule.operator, rule.value, field.sql
        if operator in (Operator.IS_MISSING, Operator.IS_PRESENT):
            missing = (operator is Operator.IS_MISSING) == (value is not False)
            return f"{'' if missing else 'NOT '}{self.missing(field)}"
        if operator in (Operator.IN_THE_LAST, Operator.NOT_IN_THE_LAST):
            self.reads_time = True
            if field.kind is not Kind.DATE:
                raise self.fail(rule.line, text, f"{field.name} is not a date")
            since = self.bind(self.now - float(value) * DAY)
            if operator is Operator.IN_THE_LAST:
                return f"{sql} >= {since}"
            return f"({sql} IS NULL OR {sql} < {since})"
        if field.kind is Kind.LIST:
            return self.list_condition(field, operator, value, rule.line, text)
        if operator in (Operator.CONTAINS, Operator.NOT_CONTAINS):
            pattern = self.bind(f"%{_like(str(value))}%")
            negate = "NOT " if operator is Operator.NOT_CONTAINS else ""
            return f"coalesce({sql}, '') {negate}LIKE {pattern} ESCAPE '\\'"
        if operator is Operator.STARTS_WITH:
            return f"{sql} LIKE {self.bind(_like(str(value)) + '%')} ESCAPE '\\'"
        if operator is Operator.ENDS_WITH:
            return f"{sql} LIKE {self.bind('%' + _like(str(value)))} ESCAPE '\\'"
        compare, values = self.comparable(field, value, rule, text)
        if operator is Operator.IN_THE_RANGE:
            low, high = sorted(values)
            return f"{compare} BETWEEN {self.bind(low)} AND {self.bind(high)}"
        (one,) = values
        if operator in (Operator.GT, Operator.AFTER):
            return f"{compare} > {self.bind(one)}"
        if operator in (Operator.LT, Operator.BEFORE):
            return f"{compare} < {self.bind(one)}"
        if field.kind is Kind.DATE and operator in (Operator.IS, Operator.IS_NOT):
            day = float(one) - float(one) % DAY
            inside = f"{compare} BETWEEN {self.bind(day)} AND {self.bind(day + DAY - 0.001)}"
            return inside if operator is Operator.IS else f"NOT coalesce({inside}, 0)"
        # Text compares exactly, as in Navidrome; contains/startsWith/endsWith ignore case.
        if operator is Operator.IS:
            return f"{compare} = {self.bind(one)}"
        return f"coalesce({compare} <> {self.bind(one)}, 1)"

    def comparable(
        self, field: Field, value: object, rule: Condition, text: str
    ) -> tuple[str, list[Any]]:
        """The expression to compare and the value(s) converted to its kind."""
        raw: list[Any] = list(value) if isinstance(value, list) else [value]
        if rule.operator in (Operator.BEFORE, Operator.AFTER) and field.kind is Kind.TEXT:
            # Dates kept as text (``date``, ``originaldate``) compare as ISO dates.
            return field.sql, [time.strftime("%Y-%m-%d", time.gmtime(float(v))) for v in raw]
        if field.kind is Kind.BOOL:
            if not all(isinstance(v, bool) for v in raw):
                raise self.fail(rule.line, text, f"{field.name} is true or false")
            return field.sql, [int(bool(v)) for v in raw]
        as_numbers = field.text_stored and all(is_number(v) for v in raw)
        if field.kind in (Kind.NUMBER, Kind.DATE) or as_numbers:
            numbers = []
            for v in raw:
                if field.kind is Kind.DATE and not is_number(v):
                    v = _date_value(v)
                elif isinstance(v, str):
                    # Navidrome reads "0" as 0 (SQLite's affinity): ``{"gt": {"size": "0"}}``.
                    v = _number_value(v)
                if not is_number(v):
                    raise self.fail(rule.line, text, f"{field.name} takes a number")
                numbers.append(float(v))
            sql = field.sql if field.kind is not Kind.TEXT else f"CAST({field.sql} AS REAL)"
            return sql, numbers
        return field.sql, [str(v) for v in raw]

    def missing(self, field: Field) -> str:
        if field.missing is not None:
            return f"({field.missing})"
        if field.kind in (Kind.TEXT, Kind.LIST):
            return f"(coalesce({field.sql}, '') = '')"
        if field.name in DJ_NUMBERS or field.user or field.kind is Kind.BOOL:
            return f"({field.sql} IS NULL)"
        # beets writes 0 for a number it does not know (bpm, year, track).
        return f"(coalesce({field.sql}, 0) = 0)"

    def list_condition(
        self, field: Field, operator: Operator, value: object, line: int, text: str
    ) -> str:
        """A multi-valued field: ``is`` means one of its values is exactly that (``isNot``:
        none is); ``contains`` that one of them contains it, ignoring case."""
        sql, sep = field.sql, LIST_SEPARATOR
        if operator in (Operator.IS, Operator.IS_NOT):
            found = f"instr(coalesce({sql}, ''), {self.bind(f'{sep}{value}{sep}')}) > 0"
            return found if operator is Operator.IS else f"NOT {found}"
        needle = _like(str(value))
        patterns = {
            Operator.CONTAINS: f"%{needle}%",
            Operator.NOT_CONTAINS: f"%{needle}%",
            Operator.STARTS_WITH: f"%{sep}{needle}%",
            Operator.ENDS_WITH: f"%{needle}{sep}%",
        }
        if operator not in patterns:
            raise self.fail(line, text, f"{field.name} has several values: use is or contains")
        negate = "NOT " if operator is Operator.NOT_CONTAINS else ""
        return f"coalesce({sql}, '') {negate}LIKE {self.bind(patterns[operator])} ESCAPE '\\'"

    def order(self, sort: Sequence[SortKey]) -> str:
        keys = sort or tuple(SortKey(name) for name in DEFAULT_ORDER)
        parts = []
        for key in keys:
            if key.field.lower() == "random":
                self.reads_time = True
                # Seeded, so a crate keeps its order between refreshes of one day.
                parts.append(f"bc_shuffle(c.id, {self.bind(int(self.now // DAY))})")
                continue
            text = f"sort: {'-' if key.descending else ''}{key.field}"
            field = self.field(key.field, self.crate.rules.line, text)
            direction = "DESC" if key.descending else "ASC"
            parts.append(f"{field.sortable} {direction} NULLS LAST")
        return ", ".join([*parts, "c.id"])


def _ids_json(ids: Sequence[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in ids) + "]"


def _number_value(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text


def _date_value(value: object) -> object:
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        return value
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).timestamp()


_WORDS = {
    Operator.IS: "is",
    Operator.IS_NOT: "is not",
    Operator.GT: "is more than",
    Operator.LT: "is less than",
    Operator.CONTAINS: "contains",
    Operator.NOT_CONTAINS: "does not contain",
    Operator.STARTS_WITH: "starts with",
    Operator.ENDS_WITH: "ends with",
    Operator.IN_THE_RANGE: "is between",
    Operator.BEFORE: "is before",
    Operator.AFTER: "is after",
    Operator.IN_THE_LAST: "is in the last",
    Operator.NOT_IN_THE_LAST: "is not in the last",
    Operator.IS_MISSING: "is missing",
    Operator.IS_PRESENT: "is present",
}


def describe_rule(rule: Rule, depth: int = 0) -> list[str]:
    """The rule tree in words, one line per rule, indented by depth."""
    pad = "  " * depth
    if isinstance(rule, Group):
        head = f"{pad}{'all' if rule.match_all else 'any'} of:"
        return [head] + [line for child in rule.rules for line in describe_rule(child, depth + 1)]
    if isinstance(rule, TempoRule):
        half = " (or half or double time)" if rule.half_double else ""
        return [f"{pad}tempo within {rule.tolerance:g} % of {rule.near:g} BPM{half}"]
    if isinstance(rule, HarmonicRule):
        keys = ", ".join(key.camelot for key in _harmonic_keys(rule))
        return [f"{pad}key mixes into {rule.key.camelot} ({rule.key.name}): one of {keys}"]
    if isinstance(rule, InPlaylist):
        return [f"{pad}{'not ' if rule.negated else ''}in the playlist {rule.playlist!r}"]
    if isinstance(rule, QueryRule):
        return [f"{pad}matches the beets query {rule.query!r}"]
    value = rule.value
    if rule.operator is Operator.IN_THE_RANGE:
        words = f"{value[0]} and {value[1]}"
    elif rule.operator in (Operator.IN_THE_LAST, Operator.NOT_IN_THE_LAST):
        words = f"{value:g} days"
    elif rule.operator in (Operator.BEFORE, Operator.AFTER):
        words = datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%d")
    elif rule.operator in (Operator.IS_MISSING, Operator.IS_PRESENT):
        words = ""
    else:
        words = repr(value)
    return [f"{pad}{rule.field} {_WORDS[rule.operator]} {words}".rstrip()]


def describe(crate: Crate) -> str:
    """The whole crate in words: its rules, then how it is ordered and cut."""
    lines = describe_rule(crate.rules)
    if crate.mix:
        curve = f", energy {crate.curve.value}" if crate.curve else ""
        lines.append(f"ordered as a mix: each step harmonic and within 6 % tempo{curve}")
    elif crate.sort:
        lines.append(
            "sorted by "
            + ", ".join(f"{k.field}{' descending' if k.descending else ''}" for k in crate.sort)
        )
    if crate.offset:
        lines.append(f"skipping the first {crate.offset}")
    if crate.limit is not None:
        lines.append(f"at most {crate.limit} tracks")
    if crate.limit_percent is not None:
        lines.append(f"the first {crate.limit_percent:g} % of them")
    return "\n".join(lines)
