"""The user's folders come from the environment mapping given to ``store.paths`` (the process's
own when none is), read at the edge: the ``MATCUE_*`` variables first, else platformdirs'."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest

from matcue.store import paths


def test_the_variables_name_the_folders(tmp_path: Path) -> None:
    environ = {
        paths.CONFIG_ENV: str(tmp_path / "mine.toml"),
        paths.DATA_ENV: str(tmp_path / "data"),
        paths.CACHE_ENV: str(tmp_path / "cache"),
    }
    folders = paths.folders(environ)
    assert folders == paths.Folders(
        tmp_path / "mine.toml", tmp_path / "data", tmp_path / "cache", config_given=True
    )  # $MATCUE_CONFIG's folder is never made by `config set`
    assert folders.history == tmp_path / "data" / "history.sqlite3"


def test_unset_or_blank_variables_give_the_platform_folders() -> None:
    expected = paths.Folders(
        Path(platformdirs.user_config_dir("matcue")) / "config.toml",
        Path(platformdirs.user_data_dir("matcue")),
        Path(platformdirs.user_cache_dir("matcue")),
    )
    assert paths.folders({}) == expected
    blank = {paths.CONFIG_ENV: "", paths.DATA_ENV: "  ", paths.CACHE_ENV: "\t"}
    assert paths.folders(blank) == expected


def test_a_home_folder_is_expanded_and_spaces_around_are_dropped() -> None:
    folders = paths.folders({paths.DATA_ENV: " ~/matcue-data "})
    assert folders.data_dir == Path.home() / "matcue-data"


def test_the_mapping_given_wins_over_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "process"))
    assert paths.data_dir() == tmp_path / "process"  # no mapping: os.environ
    assert paths.folders().data_dir == tmp_path / "process"
    assert paths.data_dir({paths.DATA_ENV: str(tmp_path / "given")}) == tmp_path / "given"
    assert paths.data_dir({}) == Path(platformdirs.user_data_dir("matcue"))


def test_xdg_data_home_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert paths.folders({}).history == tmp_path / "xdg" / "matcue" / paths.DB_NAME
