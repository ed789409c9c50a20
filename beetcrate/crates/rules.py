"""Crate files: what a crate says, read from YAML or from a Navidrome ``.nsp`` file unchanged.

A crate is a tree of rules, ``all`` (every rule holds) and ``any`` (one does), whose leaves are
Navidrome's operators (``{"is": {"loved": true}}``, ``{"inTheRange": {"year": [1980, 1989]}}``),
a beets query string (``{"query": "genres:techno year:2020.."}``) or a DJ rule
(``{"bpm": {"near": 124, "tolerance": 3}}``, ``{"harmonic": {"key": "8A"}}``), then how to
order and cut the result. JSON is YAML, so one reader serves both and every rule keeps the line
it was written on for the error messages. Field names are checked when the crate is compiled
against a library (``compile``), as only the library knows its flexible attributes.
"""

from __future__ import annotations

import datetime
import enum
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import yaml

from beetcrate.crates.keys import Key, UnknownKey, parse_key

SUFFIXES = (".yaml", ".yml", ".nsp")
# A ``//`` comment outside strings: from ``//`` to the end of the line, when no quote follows.
_COMMENT = re.compile(r"//[^\n\"]*$", re.MULTILINE)


class Operator(enum.Enum):
    IS = "is"
    IS_NOT = "isNot"
    GT = "gt"
    LT = "lt"
    CONTAINS = "contains"
    NOT_CONTAINS = "notContains"
    STARTS_WITH = "startsWith"
    ENDS_WITH = "endsWith"
    IN_THE_RANGE = "inTheRange"
    BEFORE = "before"
    AFTER = "after"
    IN_THE_LAST = "inTheLast"
    NOT_IN_THE_LAST = "notInTheLast"
    IS_MISSING = "isMissing"
    IS_PRESENT = "isPresent"


_OPERATORS = {operator.value.lower(): operator for operator in Operator}


class Curve(enum.Enum):
    """The energy a mix follows: warming up, cooling down, or up to a peak and back."""

    RISE = "rise"
    FALL = "fall"
    ARC = "arc"


class CrateError(ValueError):
    """A crate that cannot be used: one line naming the file, the line and the rule."""

    def __init__(self, path: Path, line: int | None, rule: str, problem: str) -> None:
        self.path, self.line, self.rule, self.problem = path, line, rule, problem
        where = f"{path.name}:{line}" if line else path.name
        super().__init__(f"{where}: {rule}: {problem}" if rule else f"{where}: {problem}")


@dataclass(frozen=True)
class Condition:
    """``field`` compared by ``operator`` with ``value`` (a list of two for inTheRange)."""

    operator: Operator
    field: str
    value: Any
    line: int


@dataclass(frozen=True)
class InPlaylist:
    """In (or not in) a playlist named by its id or name (another crate's name counts), or
    by its file (``path``: a crate or playlist file, relative to this crate's folder)."""

    playlist: str
    negated: bool
    line: int
    path: Path | None = None


@dataclass(frozen=True)
class QueryRule:
    """A beets query string, as ``beet ls`` reads it."""

    query: str
    line: int


@dataclass(frozen=True)
class TempoRule:
    """Within ``tolerance`` percent of ``near`` BPM; with ``half_double`` half and double
    time count too (86 and 344 are 172)."""

    near: float
    tolerance: float
    half_double: bool
    line: int


@dataclass(frozen=True)
class HarmonicRule:
    """Mixes harmonically into ``key``: ``Key.mixes_into``."""

    key: Key
    boost: bool
    diagonal: bool
    line: int


@dataclass(frozen=True)
class Group:
    match_all: bool
    rules: tuple[Rule, ...]
    line: int


Rule = Condition | InPlaylist | QueryRule | TempoRule | HarmonicRule | Group


@dataclass(frozen=True)
class SortKey:
    field: str  # "random" shuffles
    descending: bool = False


@dataclass(frozen=True)
class Crate:
    name: str
    path: Path
    rules: Group
    sort: tuple[SortKey, ...] = ()
    mix: bool = False  # ``order: mix``: a playable sequence instead of a sort
    curve: Curve | None = None
    limit: int | None = None
    limit_percent: float | None = None
    offset: int = 0
    public: bool = False
    owner: str | None = None
    comment: str = ""
    # The rules as written, for ``beet crate show --json``.
    source: dict[str, Any] = field(default_factory=dict, compare=False)


class _Lined(dict):
    """A mapping read from the file, remembering the line it starts on."""

    line: int = 0


def _plain(node: yaml.Node, constructor: yaml.constructor.SafeConstructor) -> Any:
    if isinstance(node, yaml.MappingNode):
        mapping = _Lined()
        mapping.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            mapping[str(constructor.construct_object(key_node))] = _plain(value_node, constructor)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [_plain(child, constructor) for child in node.value]
    return constructor.construct_object(node)


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CrateError(path, None, "", f"cannot read it: {error}") from None
    if path.suffix.lower() == ".nsp":
        # Navidrome strips ``//`` comments before reading the JSON; its documentation uses them.
        text = _COMMENT.sub("", text)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise CrateError(
            path, mark.line + 1 if mark else None, "", f"not YAML/JSON: {problem}"
        ) from None
    if node is None:
        raise CrateError(path, None, "", "the file is empty")
    return _plain(node, yaml.constructor.SafeConstructor())


def _rule_text(key: str, value: Any) -> str:
    text = f"{key}: {_compact(value)}"
    return text if len(text) <= 80 else text[:77] + "..."


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_compact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_compact(v) for v in value) + "]"
    return str(value)


# The keys of a crate that are not rules.
_SETTINGS = {
    "name",
    "comment",
    "sort",
    "order",
    "curve",
    "limit",
    "limitpercent",
    "offset",
    "public",
    "owner",
    # Navidrome's per-playlist refresh delay: beetcrate refreshes on changes instead.
    "refreshdelay",
}


class _Reader:
    """Turns one file's plain data into a ``Crate``, raising ``CrateError`` on the first
    rule that does not parse."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, line: int | None, rule: str, problem: str) -> CrateError:
        return CrateError(self.path, line, rule, problem)

    def crate(self, data: Any) -> Crate:
        if not isinstance(data, dict):
            raise self.fail(None, "", "a crate is a mapping of rules (all:, any:, sort:, …)")
        line = getattr(data, "line", 1)
        settings = {key.lower(): value for key, value in data.items() if key.lower() in _SETTINGS}
        rules = {key: value for key, value in data.items() if key.lower() not in _SETTINGS}
        if not rules:
            raise self.fail(line, "", "no rules: give all:, any:, query: or another rule")
        top = self.group_or_rules(rules, line)
        order = str(settings.get("order", "asc")).strip().lower()
        if order not in ("asc", "desc", "mix"):
            raise self.fail(line, f"order: {order}", "order is asc, desc or mix")
        sort = self.sort(settings.get("sort"), descending=order == "desc", line=line)
        curve = self.curve(settings.get("curve"), order == "mix", line)
        return Crate(
            name=str(settings.get("name") or self.path.stem),
            path=self.path,
            rules=top,
            sort=sort,
            mix=order == "mix",
            curve=curve,
            limit=self.count(settings, "limit", line),
            limit_percent=self.percent(settings, line),
            offset=self.count(settings, "offset", line) or 0,
            public=self.boolean(settings.get("public", False), "public", line),
            owner=str(settings["owner"]) if settings.get("owner") else None,
            comment=str(settings.get("comment") or ""),
            source=dict(data),
        )

    def group_or_rules(self, rules: dict[str, Any], line: int) -> Group:
        if len(rules) == 1:
            ((key, value),) = rules.items()
            if key.lower() in ("all", "any"):
                return self.group(key, value, line)
        return Group(True, tuple(self.rule(key, value, line) for key, value in rules.items()), line)

    def group(self, key: str, value: Any, line: int) -> Group:
        if not isinstance(value, list):
            raise self.fail(line, _rule_text(key, value), f"{key} takes a list of rules")
        rules: list[Rule] = []
        for entry in value:
            entry_line = getattr(entry, "line", line)
            if not isinstance(entry, dict) or not entry:
                raise self.fail(entry_line, _rule_text(key, entry), "a rule is a mapping")
            rules.extend(self.rule(k, v, entry_line) for k, v in entry.items())
        return Group(key.lower() == "all", tuple(rules), line)

    def rule(self, key: str, value: Any, line: int) -> Rule:
        line = getattr(value, "line", line)
        text = _rule_text(key, value)
        name = key.lower()
        if name in ("all", "any"):
            return self.group(key, value, line)
        if name == "query":
            if not isinstance(value, str) or not value.strip():
                raise self.fail(line, text, "query takes a beets query string")
            return QueryRule(value.strip(), line)
        if name in ("inplaylist", "notinplaylist"):
            return self.in_playlist(value, name == "notinplaylist", text, line)
        if name in ("bpm", "tempo") and isinstance(value, dict) and "near" in value:
            return self.tempo(value, text, line)
        if name == "harmonic":
            return self.harmonic(value, text, line)
        operator = _OPERATORS.get(name)
        if operator is None:
            raise self.fail(line, text, f"unknown operator or rule {key!r}")
        if not isinstance(value, dict) or not value:
            raise self.fail(line, text, f"{key} takes a mapping of field: value")
        conditions = [self.condition(operator, f, v, text, line) for f, v in value.items()]
        return conditions[0] if len(conditions) == 1 else Group(True, tuple(conditions), line)

    def condition(self, operator: Operator, name: str, value: Any, text: str, line: int) -> Rule:
        if operator is Operator.IN_THE_RANGE:
            if not isinstance(value, list) or len(value) != 2:
                raise self.fail(line, text, "inTheRange takes a list of two values")
        elif operator in (Operator.IN_THE_LAST, Operator.NOT_IN_THE_LAST):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(line, text, f"{operator.value} takes a number of days")
        elif operator in (Operator.BEFORE, Operator.AFTER):
            value = self.date(value, text, line)
        elif isinstance(value, list | dict):
            raise self.fail(line, text, f"{operator.value} takes one value")
        return Condition(operator, str(name), value, line)

    def date(self, value: Any, text: str, line: int) -> float:
        """A date as unix seconds: ``2020-01-31``, a YAML date, or a number of seconds."""
        if isinstance(value, datetime.datetime):
            return value.replace(tzinfo=value.tzinfo or datetime.UTC).timestamp()
        if isinstance(value, datetime.date):
            return datetime.datetime(
                value.year, value.month, value.day, tzinfo=datetime.UTC
            ).timestamp()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        try:
            parsed = datetime.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise self.fail(line, text, f"not a date: {value!r} (write 2020-01-31)") from None
        return parsed.replace(tzinfo=parsed.tzinfo or datetime.UTC).timestamp()

    def in_playlist(self, value: Any, negated: bool, text: str, line: int) -> InPlaylist:
        by_path = isinstance(value, dict) and "path" in value
        if isinstance(value, dict):
            value = value.get("id") or value.get("name") or value.get("path")
        if value is None or isinstance(value, list | dict) or not str(value).strip():
            raise self.fail(line, text, "give the playlist as {id: …}, {name: …} or {path: …}")
        name = str(value).strip()
        # As in Navidrome, a path is the playlist file's, relative to this file's folder.
        path = (self.path.parent / name).resolve() if by_path else None
        return InPlaylist(name, negated, line, path)

    def tempo(self, value: dict[str, Any], text: str, line: int) -> TempoRule:
        near, tolerance = value.get("near"), value.get("tolerance", 3)
        if not is_number(near) or near <= 0 or not is_number(tolerance) or tolerance < 0:
            raise self.fail(line, text, "bpm takes {near: BPM, tolerance: percent}")
        unknown = set(value) - {"near", "tolerance", "halfDouble"}
        if unknown:
            raise self.fail(line, text, f"unknown setting {sorted(unknown)[0]!r}")
        half_double = self.boolean(value.get("halfDouble", False), "halfDouble", line, text)
        return TempoRule(float(near), float(tolerance), half_double, line)

    def harmonic(self, value: Any, text: str, line: int) -> HarmonicRule:
        if not isinstance(value, dict) or "key" not in value:
            raise self.fail(line, text, "harmonic takes {key: 8A} (and boost:, diagonal:)")
        unknown = set(value) - {"key", "boost", "diagonal"}
        if unknown:
            raise self.fail(line, text, f"unknown setting {sorted(unknown)[0]!r}")
        try:
            key = parse_key(str(value["key"]))
        except UnknownKey as error:
            raise self.fail(line, text, str(error)) from None
        return HarmonicRule(
            key,
            self.boolean(value.get("boost", False), "boost", line, text),
            self.boolean(value.get("diagonal", False), "diagonal", line, text),
            line,
        )

    def sort(self, value: Any, descending: bool, line: int) -> tuple[SortKey, ...]:
        if value is None:
            return ()
        names = value if isinstance(value, list) else str(value).split(",")
        keys = []
        for raw in names:
            name = str(raw).strip()
            if not name:
                continue
            down = name.startswith("-")
            name = name.lstrip("+-").strip()
            # ``order: desc`` turns the whole sort round, as in Navidrome.
            keys.append(SortKey(name, down != descending))
        return tuple(keys)

    def curve(self, value: Any, mix: bool, line: int) -> Curve | None:
        if value is None:
            return None
        if not mix:
            raise self.fail(line, f"curve: {value}", "a curve needs order: mix")
        try:
            return Curve(str(value).strip().lower())
        except ValueError:
            raise self.fail(line, f"curve: {value}", "curve is rise, fall or arc") from None

    def count(self, settings: dict[str, Any], name: str, line: int) -> int | None:
        value = settings.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(line, f"{name}: {value}", f"{name} is a whole number, 0 or more")
        # As in Navidrome, ``limit: 0`` is no limit.
        return None if name == "limit" and value == 0 else value

    def percent(self, settings: dict[str, Any], line: int) -> float | None:
        value = settings.get("limitpercent")
        if value is None:
            return None
        if not is_number(value) or not 0 <= value <= 100:
            raise self.fail(line, f"limitPercent: {value}", "limitPercent is 0 to 100")
        return float(value)

    def boolean(self, value: Any, name: str, line: int, text: str | None = None) -> bool:
        if not isinstance(value, bool):
            raise self.fail(line, text or f"{name}: {value}", f"{name} is true or false")
        return value


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_crate(path: Path) -> Crate:
    """The crate in ``path``. Raises ``CrateError``."""
    return _Reader(path).crate(_read(path))


def crate_files(directory: Path) -> list[Path]:
    """The crate files of a directory, by name; none if it does not exist."""
    if not directory.is_dir():
        return []
    return sorted(
        path
        for path in directory.iterdir()
        if path.suffix.lower() in SUFFIXES and path.is_file() and not path.name.startswith(".")
    )
