"""Where matcue keeps the user's state: the config file, the history database, the caches.

Each comes from an environment variable when it is set (and not blank), else from
platformdirs' user folder for matcue, which follows the XDG base directories on Linux
(``$XDG_CONFIG_HOME/matcue``, else ``~/.config/matcue``; likewise ``XDG_DATA_HOME`` and
``XDG_CACHE_HOME``) and the platform's own folders on macOS and Windows:

- ``$MATCUE_CONFIG``: the config file (else ``config.toml`` in the user config folder);
- ``$MATCUE_DATA_DIR``: the data folder, which holds the history (``history.sqlite3``) and
  the Piper voices found by name (``voices/``);
- ``$MATCUE_CACHE_DIR``: the cache folder (the speech clips and their loudness levels).

The variables are read here, at the edge, from the mapping given (``os.environ`` when none is);
the stages take the folder or file they work on as an argument and never look at the
environment themselves. The platform's own defaults are platformdirs', which reads the XDG
variables and ``HOME`` of the process itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CACHE_ENV",
    "CONFIG_ENV",
    "DATA_ENV",
    "DB_NAME",
    "Folders",
    "cache_dir",
    "config_file",
    "data_dir",
    "folders",
]

APP = "matcue"
CONFIG_ENV = "MATCUE_CONFIG"
DATA_ENV = "MATCUE_DATA_DIR"
CACHE_ENV = "MATCUE_CACHE_DIR"
CONFIG_NAME = "config.toml"
DB_NAME = "history.sqlite3"
VOICES_NAME = "voices"


def _given(environ: Mapping[str, str] | None, name: str) -> Path | None:
    """The path the variable ``name`` names (``~`` expanded), or None when unset or blank."""
    value = (os.environ if environ is None else environ).get(name, "").strip()
    return Path(value).expanduser() if value else None


def config_file(environ: Mapping[str, str] | None = None) -> Path:
    """``$MATCUE_CONFIG``, else ``config.toml`` in the user config folder for matcue."""
    given = _given(environ, CONFIG_ENV)
    if given is not None:
        return given
    import platformdirs

    return Path(platformdirs.user_config_dir(APP)) / CONFIG_NAME


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$MATCUE_DATA_DIR``, else the user data folder for matcue."""
    given = _given(environ, DATA_ENV)
    if given is not None:
        return given
    import platformdirs

    return Path(platformdirs.user_data_dir(APP))


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$MATCUE_CACHE_DIR``, else the user cache folder for matcue."""
    given = _given(environ, CACHE_ENV)
    if given is not None:
        return given
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP))


@dataclass(frozen=True)
class Folders:
    """The user's state, as one run of matcue sees it."""

    config_file: Path  # the saved defaults (TOML)
    data_dir: Path  # the history database lives here
    cache_dir: Path  # the speech clips and their levels
    config_given: bool = False  # the config file is $MATCUE_CONFIG's (its folder is not made)

    @property
    def history(self) -> Path:
        """The history database (SQLite) in the data folder."""
        return self.data_dir / DB_NAME

    @property
    def voices_dir(self) -> Path:
        """matcue's voice folder in the data folder: Piper voices (``NAME.onnx`` with
        ``NAME.onnx.json``) found by name."""
        return self.data_dir / VOICES_NAME


def folders(environ: Mapping[str, str] | None = None) -> Folders:
    """Every folder, resolved from ``environ`` (``os.environ`` when None), read once."""
    env = os.environ if environ is None else environ
    given = _given(env, CONFIG_ENV) is not None
    return Folders(config_file(env), data_dir(env), cache_dir(env), config_given=given)
