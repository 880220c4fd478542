"""Durations in routine files: seconds, or text like ``"90s"``, ``"2min"``, ``"1min30s"``."""

from __future__ import annotations

import math
import re

MAX_SECONDS = 3600.0
"""The longest duration a routine may give (one hour)."""

_NUMBER = r"(?:\d+(?:\.\d+)?|\.\d+)"
_BARE = re.compile(rf"{_NUMBER}")
_PART = re.compile(rf"({_NUMBER})\s*([a-z]+)")
_PARTS = re.compile(rf"(?:{_NUMBER}\s*[a-z]+\s*)+")
_UNITS: dict[str, float] = {
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
}


def _text_seconds(text: str) -> float | None:
    """Seconds for ``"90"``, ``"90s"``, ``"1.5 min"``, ``"1min30s"``; None if not a duration.

    Units go from larger to smaller and each appears once (``"30s1min"`` is not a duration).
    """
    s = text.strip().lower()
    if _BARE.fullmatch(s):
        return float(s)
    if not _PARTS.fullmatch(s):
        return None
    total = 0.0
    last_unit = math.inf
    for number, unit in _PART.findall(s):
        size = _UNITS.get(unit)
        if size is None or size >= last_unit:
            return None
        last_unit = size
        total += float(number) * size
    return total


def quote(text: str, limit: int = 40) -> str:
    """``text`` in single quotes for a message: control characters escaped, long text cut."""
    shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return f"'{shown}'"


def _show(value: str | float) -> str:
    if isinstance(value, str):
        return quote(value)
    shown = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return shown if len(shown) <= 20 else shown[:19] + "…"


def parse_duration(
    text: str | int | float, *, name: str = "duration", allow_zero: bool = False
) -> float:
    """Seconds (at pace 100) for a duration written in a routine file.

    Accepts a number of seconds (``5``, ``2.5``) or text (``"90s"``, ``"2min"``, ``"1.5 min"``,
    ``"1min30s"``, ``"1h"``). The result is more than 0 and at most ``MAX_SECONDS``.
    ``name`` is the key the value came from; it starts the error message. ``allow_zero``
    admits 0 (a pause that is left out: ``rest``, ``set_rest``, ``get_ready``).

    Raises ``ValueError`` with one clear sentence when ``text`` is not such a duration.
    """
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise ValueError(f"{name} must be a number of seconds, got {text!r}")
    if isinstance(text, str):
        seconds = _text_seconds(text)
        if seconds is None:
            raise ValueError(
                f"{name} must be a number of seconds or text like '90s', '2min' or '1min30s', "
                f"got {_show(text)}"
            )
    else:
        try:
            seconds = float(text)
        except OverflowError:  # an int too large for a float
            seconds = math.inf
    low_ok = seconds >= 0 if allow_zero else seconds > 0
    if not (math.isfinite(seconds) and low_ok and seconds <= MAX_SECONDS):
        least = "0 or more" if allow_zero else "more than 0"
        raise ValueError(
            f"{name} must be {least} and at most 3600 seconds (one hour), got {_show(text)}"
        )
    return seconds
