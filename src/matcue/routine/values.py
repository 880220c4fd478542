"""The values a routine file, the command line and the config file share, each read by one rule.

- durations: seconds, or text like ``"90s"``, ``"2min"``, ``"1min30s"`` (``parse_duration``);
- ratio breathing: ``"IN:OUT"`` or ``"IN:HOLD:OUT"`` in seconds, like ``"4:6"`` (``parse_breath``);
- language codes: ``"en"``, ``"pl"``, ``"en-gb"`` (``parse_language``, ``base_language``).

Each parser raises ``ValueError`` with one sentence naming the value; a caller that words its
problems in its own way (an option's name, a YAML node's place) catches it and says its own.
"""

from __future__ import annotations

import math
import re

from matcue.routine.model import Breath
from matcue.routine.problems import quote

MAX_SECONDS = 3600.0
"""The longest duration a routine may give (one hour)."""
MAX_BREATH = 60.0
"""The longest breath in, hold or breath out, in seconds."""
BREATH_FORMS = "seconds in and out like '4:6', or in, hold and out like '4:2:6' (each at most 60)"
"""What ``parse_breath`` reads, for a message: f"breath must be {BREATH_FORMS}, got ..."."""

DECIMAL = r"(?:\d+(?:\.\d+)?|\.\d+)"
"""A plain decimal number as a regular expression: ``4``, ``2.5``, ``.5`` (no sign or exponent)."""
_BARE = re.compile(rf"{DECIMAL}")
_PART = re.compile(rf"({DECIMAL})\s*([a-z]+)")
_PARTS = re.compile(rf"(?:{DECIMAL}\s*[a-z]+\s*)+")
_BREATH = re.compile(rf"({DECIMAL})\s*:\s*({DECIMAL})(?:\s*:\s*({DECIMAL}))?")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")  # BCP 47's shape, 2-3 letters first
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


# --------------------------------------------------------------------------- breath


def parse_breath(text: str, *, name: str = "breath") -> Breath:
    """Ratio breathing: ``"IN:OUT"`` or ``"IN:HOLD:OUT"`` in seconds, like ``"4:6"``, ``"4:2:6"``.

    Each part is a plain decimal number (``4``, ``2.5``, ``.5``; no sign, exponent or unit);
    spaces may stand around the colons. The breath in and out are more than 0, the hold 0 or
    more, each at most ``MAX_BREATH``. Raises ``ValueError`` naming ``name`` otherwise.
    """
    found = _BREATH.fullmatch(text.strip())
    if found is not None:
        first, second, third = found.groups()
        inhale, hold, exhale = (first, second, third) if third is not None else (first, "0", second)
        breath = Breath(inhale=float(inhale), exhale=float(exhale), hold=float(hold))
        if (
            0 < breath.inhale <= MAX_BREATH
            and 0 <= breath.hold <= MAX_BREATH
            and 0 < breath.exhale <= MAX_BREATH
        ):
            return breath
    raise ValueError(f"{name} must be {BREATH_FORMS}, got {_show(text)}")


# --------------------------------------------------------------------------- language codes


def normalise_language(text: str) -> str:
    """A language code as matcue writes it: trimmed, lower case, ``-`` between its parts."""
    return text.strip().lower().replace("_", "-")


def parse_language(text: str, *, name: str = "language") -> str:
    """A short language code (``"en"``, ``"pl"``, ``"en-gb"``; ``"EN_GB"`` becomes ``"en-gb"``).

    Two or three letters a-z, then any number of ``-`` parts of 1 to 8 letters a-z or digits
    (so espeak-ng's variants like ``"en-gb-x-rp"`` are codes too). Raises ``ValueError``
    naming ``name`` otherwise.
    """
    code = normalise_language(text)
    if not _LANGUAGE.fullmatch(code):
        raise ValueError(
            f"{name} must be a short language code like 'en', 'pl' or 'en-gb', got {quote(text)}"
        )
    return code


def base_language(code: str) -> str:
    """The language of a code without its region or script: ``"en"`` for ``"en-GB"``."""
    return normalise_language(code).split("-")[0]
