"""The user's saved defaults: a small TOML file in the user config folder.

The caller names the file (:func:`matcue.store.paths.config_file`: ``$MATCUE_CONFIG``, else
``config.toml`` in the user config folder for matcue). It holds a few scalar keys, read with
``tomllib`` and written with ``tomli_w`` after a comment line::

    voice = "gmw/en-GB-x-rp"
    rate = 140
    volume = 0.8

Command-line options always win over the file.
"""

from __future__ import annotations

import math
import os
import tomllib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcue import settings
from matcue.errors import InputError, RuntimeFailure
from matcue.settings import Setting

ConfigValue = str | int | float | bool


def parse_volume(text: str) -> float:
    """A volume from 0 to 1: a fraction ("0.8") or a percentage ("80%"). A bare number over 1
    ("1.2", "80") is refused: it could mean either."""
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw.removesuffix("%").strip())
    except ValueError:
        raise InputError(
            f"volume must be a number from 0 to 1 or a percentage like 80%, not '{text}'"
        ) from None
    if percent:
        value /= 100.0
    elif math.isfinite(value) and value > 1:
        raise InputError(
            f"volume {raw} is over 1: give a fraction from 0 to 1 (0.8) or a percentage "
            f"up to 100% (80%)"
        )
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise InputError(f"volume must be from 0 to 1 (0% to 100%), not '{text}'")
    return value


def _text(choices: tuple[str, ...] | None = None) -> Callable[[str], ConfigValue]:
    def parse(value: str) -> ConfigValue:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        if choices is not None and value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return parse


def _number(low: float, high: float, whole: bool = False) -> Callable[[str], ConfigValue]:
    def parse(value: str) -> ConfigValue:
        try:
            number = int(value) if whole else float(value)
        except ValueError:
            raise ValueError(f"must be a {'whole ' if whole else ''}number") from None
        if not (math.isfinite(number) and low <= number <= high):
            raise ValueError(f"must be from {low:g} to {high:g}")
        return number

    return parse


def _volume(value: str) -> ConfigValue:
    try:
        return parse_volume(value)
    except InputError:
        raise ValueError("must be from 0 to 1 or a percentage like 80%") from None


def _switch(value: str) -> ConfigValue:
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    raise ValueError("must be true or false")


def _reader(setting: Setting) -> Callable[[str], ConfigValue]:
    """How to read ``setting``'s value given as text (from its spec in matcue.settings)."""
    if setting is settings.VOLUME:
        return _volume
    if setting.kind == "switch":
        return _switch
    if setting.kind in ("number", "whole"):
        assert setting.minimum is not None and setting.maximum is not None
        return _number(setting.minimum, setting.maximum, whole=setting.kind == "whole")
    return _text(setting.choices or None)


KEYS: dict[str, tuple[Callable[[str], ConfigValue], str]] = {
    s.name: (_reader(s), s.saved or s.help) for s in settings.SAVED
}
"""Every key the file may hold: how to read a value given as text, and what it sets."""


def control_characters(text: str) -> bool:
    """Whether ``text`` holds a control character (a newline, tab, escape, DEL, ``\\x01`` ...)."""
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def parse_value(key: str, text: str) -> ConfigValue:
    """``text`` as the value of ``key``; InputError naming the problem."""
    if key not in KEYS:
        raise InputError(f"unknown setting {_shown(key)}; the settings are {', '.join(KEYS)}")
    if control_characters(text):
        raise InputError(
            f"setting {key} must not contain control characters (a newline, tab, escape, DEL "
            f"...), not {_shown(text)}"
        )
    try:
        return KEYS[key][0](text)
    except ValueError as err:
        raise InputError(f"setting {key} {err}, not {_shown(text)}") from None


def _shown(text: str, limit: int = 60) -> str:
    """``text`` quoted for a message: control characters escaped, cut after ``limit``."""
    cut = text if len(text) <= limit else text[:limit] + "..."
    if control_characters(cut):
        return repr(cut)
    return f"'{cut}'"


@dataclass(frozen=True)
class ConfigFile:
    """What a config file holds, read as far as it can be: never an exception for its text."""

    values: dict[str, ConfigValue]  # the known settings with valid values
    unknown: dict[str, Any]  # keys another version of matcue wrote: kept, not used
    problem: str | None = None  # why the file is not valid as a whole (None: it is)
    dropped: tuple[str, ...] = ()  # what could not be read (lines, or key = value)


def read_config(path: Path) -> ConfigFile:
    """The file ``path`` read as far as it can be (empty when there is no file): a broken
    line or a bad value is left out and named, so ``config set``/``unset``/``reset`` can
    repair the file. A UTF-8 byte order mark at the start is skipped. RuntimeFailure when
    the file cannot be read at all."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ConfigFile({}, {})
    except IsADirectoryError:
        raise RuntimeFailure(f"the config file {path} is a folder; name a file") from None
    except OSError as err:
        raise RuntimeFailure(f"cannot read the config file {path}: {err.strerror}") from None
    problems: list[str] = []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("utf-8-sig", errors="replace")
        problems.append("is not UTF-8 text")
    dropped: list[str] = []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        data, kept, bad = {}, "", []
        lines = text.splitlines()[:_SALVAGE_LINES]
        for number, line in enumerate(lines, 1):  # a broken file: the lines that read
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                data = tomllib.loads(kept + line + "\n")
                kept += line + "\n"
            except tomllib.TOMLDecodeError:
                dropped.append(_shown(line.strip()))
                bad.append(number)
        if not problems:  # matcue's words, not the TOML parser's
            where = f" (line {bad[0]} cannot be read)" if len(bad) == 1 else ""
            if len(bad) > 1:
                where = f" (lines {', '.join(map(str, bad[:-1]))} and {bad[-1]} cannot be read)"
            problems.append(f"is not valid TOML{where}")
    values: dict[str, ConfigValue] = {}
    unknown: dict[str, Any] = {}
    for key, value in data.items():
        if key not in KEYS:
            unknown[key] = value
            continue
        try:
            if isinstance(value, dict | list):
                raise ValueError("must be a single value")
            shown = str(value).lower() if isinstance(value, bool) else str(value)
            if control_characters(shown):
                raise ValueError("must not contain control characters")
            values[key] = KEYS[key][0](shown)
        except ValueError as err:
            dropped.append(f"{key} ({err})")
            problems.append(f"has {key} that {err}")
    problem = "; it ".join(problems) if problems else None
    return ConfigFile(values, unknown, problem, tuple(dropped))


_SALVAGE_LINES = 1000  # a broken file longer than this keeps only its first lines

REPAIR = "`matcue config reset` starts it afresh, `config set`/`unset` repair it"


def load_config(path: Path, warn: Callable[[str], object] | None = None) -> dict[str, ConfigValue]:
    """The saved settings in the file ``path`` (empty when there is no file); InputError for a
    broken file, naming how to repair it. Keys another version wrote are kept in the file and
    ignored here, with one warning through ``warn``."""
    found = read_config(path)
    if found.problem is not None:
        raise InputError(f"the config file {path} {found.problem}; {REPAIR}")
    if found.unknown and warn is not None:
        warn(unknown_warning(path, found))
    return found.values


def unknown_warning(path: Path, found: ConfigFile) -> str:
    """The one warning for keys of another version (kept and ignored)."""
    names = ", ".join(_shown(key) for key in found.unknown)
    return (
        f"the config file {path} has settings this version of matcue does not know ({names}); "
        "they are kept and ignored"
    )


def repair_warning(path: Path, found: ConfigFile) -> str | None:
    """The warning when ``config set``/``unset`` rewrite a broken file: what was dropped."""
    if found.problem is None:
        return None
    lost = f"; dropped: {', '.join(found.dropped)}" if found.dropped else ""
    return f"the config file {path} {found.problem}; it is rewritten with what could be read{lost}"


def config_folder(path: Path, given: bool) -> Path | None:
    """Check that the config file ``path`` can be saved where it is named; the topmost folder
    that will be created for it (None when its folder exists), for the caller to say. A folder
    the user named (the folder of ``$MATCUE_CONFIG``) is never created, nor a missing home
    folder; the platform's config folder is. InputError naming the missing folder otherwise."""
    folder = path.parent
    if folder.is_dir():
        return None
    if folder.exists():
        raise InputError(f"cannot save the config file {path}: {folder} is not a folder")
    if given:
        raise InputError(
            f"cannot save the config file {path}: its folder {folder} does not exist; create "
            "it, or set MATCUE_CONFIG to a file in an existing folder"
        )
    try:
        home: Path | None = Path.home()
    except (RuntimeError, KeyError):
        home = None
    if home is not None and not home.is_dir() and home in folder.parents:
        raise InputError(
            f"cannot save the config file {path}: the home folder {home} does not exist; "
            "set HOME to an existing folder, or MATCUE_CONFIG to a file in one"
        )
    top = folder
    while not top.parent.exists() and top.parent != top:
        top = top.parent
    return top


HEADER = "# matcue settings: `matcue config` shows them, `matcue config set` changes them.\n"


def config_text(values: Mapping[str, ConfigValue], unknown: Mapping[str, Any] | None = None) -> str:
    """``values`` (known keys only, in the order of ``KEYS``) as the file's text: a comment
    line, then one ``key = value`` line each, written by tomli-w; then the keys of another
    version (``unknown``) as they were read."""
    import tomli_w

    text = HEADER + tomli_w.dumps({key: values[key] for key in KEYS if key in values})
    others = {key: value for key, value in (unknown or {}).items() if key not in KEYS}
    return text + tomli_w.dumps(others) if others else text


def save_config(
    values: Mapping[str, ConfigValue], path: Path, unknown: Mapping[str, Any] | None = None
) -> Path:
    """Write ``values`` (known keys only) and ``unknown`` (the keys of another version, kept)
    as TOML to ``path``, replacing the file atomically."""
    text = config_text(values, unknown)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise RuntimeFailure(f"cannot write the config file {path}: {err.strerror}") from None
    return path
