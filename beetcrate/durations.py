"""Durations in settings, as people write them: ``4h``, ``90m``, ``30 min``, ``1h 30m``, or
a number of seconds."""

from __future__ import annotations

import re


class BadDuration(ValueError):
    """A duration setting (``crates: session_gap``) that is not one."""


_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
_AMOUNTS = re.compile(r"(\s*\d+(?:\.\d+)?\s*[a-z]+)+\s*", re.IGNORECASE)
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)", re.IGNORECASE)


def parse_duration(value: str | float) -> float:
    """Seconds from a setting: a number of seconds (``3600``, as YAML gives it or as text) or
    amounts with units (``4h``, ``90m``, ``30 min``, ``1h 30m``). Raises ``BadDuration``
    naming the value for anything else, and for durations that are not positive."""
    seconds = _seconds(value)
    if seconds <= 0:
        raise BadDuration(f"a duration must be more than nothing, not {value!r}")
    return seconds


def _seconds(value: str | float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    amounts = _AMOUNT.findall(text) if _AMOUNTS.fullmatch(text) else []
    if not amounts or any(unit.lower() not in _UNITS for _, unit in amounts):
        raise BadDuration(
            f"not a duration: {value!r} (write seconds, or amounts like 4h, 90m, 30 min)"
        )
    return sum(float(amount) * _UNITS[unit.lower()] for amount, unit in amounts)
