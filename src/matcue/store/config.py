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
from collections.abc import Callable, Mapping
from pathlib import Path

from matcue import settings
from matcue.errors import InputError, RuntimeFailure
from matcue.settings import Setting

ConfigValue = str | int | float | bool


def parse_volume(text: str) -> float:
    """A volume from 0 to 1, or a percentage ("80%", or a number above 1: "80")."""
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw.rstrip("%").strip())
    except ValueError:
        raise InputError(
            f"volume must be a number from 0 to 1 or a percentage like 80%, not '{text}'"
        ) from None
    if percent or value > 1:
        value /= 100.0
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise InputError(f"volume must be from 0 to 1 (0 % to 100 %), not '{text}'")
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


def parse_value(key: str, text: str) -> ConfigValue:
    """``text`` as the value of ``key``; InputError naming the problem."""
    if key not in KEYS:
        raise InputError(f"unknown setting '{key}'; the settings are {', '.join(KEYS)}")
    try:
        return KEYS[key][0](text)
    except ValueError as err:
        raise InputError(f"setting {key} {err}, not '{text}'") from None


def load_config(path: Path) -> dict[str, ConfigValue]:
    """The saved settings in the file ``path`` (empty when there is no file); InputError for a
    broken file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise RuntimeFailure(f"cannot read the config file {path}: {err.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise InputError(f"the config file {path} is not valid TOML: {err}") from None
    out: dict[str, ConfigValue] = {}
    for key, value in data.items():
        if key not in KEYS or isinstance(value, dict | list):
            raise InputError(
                f"the config file {path} has an unknown setting '{key}'; "
                f"the settings are {', '.join(KEYS)}"
            )
        text = str(value).lower() if isinstance(value, bool) else str(value)
        try:
            out[key] = KEYS[key][0](text)
        except ValueError as err:
            raise InputError(f"in the config file {path}, {key} {err}") from None
    return out


HEADER = "# matcue settings: `matcue config` shows them, `matcue config set` changes them.\n"


def config_text(values: Mapping[str, ConfigValue]) -> str:
    """``values`` (known keys only, in the order of ``KEYS``) as the file's text: a comment
    line, then one ``key = value`` line each, written by tomli-w."""
    import tomli_w

    return HEADER + tomli_w.dumps({key: values[key] for key in KEYS if key in values})


def save_config(values: Mapping[str, ConfigValue], path: Path) -> Path:
    """Write ``values`` (known keys only) as TOML to ``path``, replacing the file atomically."""
    text = config_text(values)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise RuntimeFailure(f"cannot write the config file {path}: {err.strerror}") from None
    return path
