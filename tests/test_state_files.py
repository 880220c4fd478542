"""State files never brick matcue (issue 19): the config file and the session history.

A config value with a control character is refused; a config file that cannot be read is
repaired by ``config set``/``unset``/``reset`` (what was dropped is said); a BOM is read; keys
of another version warn and are kept; a missing folder is never made without a word. A history
row matcue cannot read is skipped with one warning in ``plan``, ``export``, ``history``,
``play`` and ``play --resume``; an older layout is migrated (or set aside, with a sentence); the
end-of-session write waits out a lock held for a while.
"""

from __future__ import annotations

import datetime
import io
import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from matcue.cli import Environment, main
from matcue.store import history
from matcue.store.paths import DB_NAME, Folders
from test_play_virtual import ROUTINE, Take, hermetic

__all__ = ["hermetic"]  # the fixture, used below

HEADER = "# matcue settings: `matcue config` shows them, `matcue config set` changes them.\n"
REPAIR = "`matcue config reset` starts it afresh, `config set`/`unset` repair it"


def run(folders: Folders, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(out, err, stdin_is_tty=False, folders=folders)
    status = main(list(args), env)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def where(tmp_path: Path, speech_cache: Path) -> Folders:
    (tmp_path / "config").mkdir()
    return Folders(tmp_path / "config" / "config.toml", tmp_path / "data", speech_cache, True)


# -- config ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["a\x01b", "a\nb", "a\x7fb", "a\x1b[31mb", "a\tb"])
def test_a_value_with_a_control_character_is_refused_and_nothing_is_written(
    where: Folders, bad: str
) -> None:
    status, out, err = run(where, "config", "set", "voice", bad)
    assert (status, out) == (2, "")
    assert err == (
        "matcue: setting voice must not contain control characters (a newline, tab, escape, "
        f"DEL ...), not {bad!r}\n"
    )
    assert not where.config_file.exists()


def test_a_broken_file_never_stops_a_session_and_config_set_repairs_it(
    where: Folders,
) -> None:
    path = where.config_file
    path.write_bytes(b'rate = 120\nvoice = "a\x01b"\ncount = "tones"\n')
    status, out, err = run(where, "plan", ROUTINE, "--json")
    assert status == 0  # the session goes on with what could be read: count tones
    assert json.loads(out)["settings"]["count"] == "tones"
    assert err == (
        f"matcue: warning: the config file {path} is not valid TOML (line 2 cannot be read); "
        f"using what could be read ({REPAIR}).\n"
    )
    status, out, err = run(where, "config")  # shows what it can read, and says what is wrong
    assert status == 0
    assert err.startswith(f"matcue: warning: the config file {path} is not valid TOML")
    assert "rate          120  (config file)" in out and "count         tones  (config" in out
    status, _, err = run(where, "config", "set", "rate", "140")
    assert status == 0
    assert err == (
        f"matcue: warning: the config file {path} is not valid TOML (line 2 cannot be read); "
        "it is rewritten with what could be read; dropped: "
        "'voice = \"a\\x01b\"'\n"
        f"rate = 140 (saved in {path})\n"
    )
    assert path.read_text() == HEADER + 'rate = 140\ncount = "tones"\n'
    assert run(where, "plan", ROUTINE, "--json")[0] == 0


def test_config_unset_and_reset_repair_a_file_that_is_not_toml_at_all(where: Folders) -> None:
    path = where.config_file
    path.write_bytes(b"\xff\xfe garbage [[[\n")
    status, _, err = run(where, "config", "unset", "voice")
    assert status == 0
    assert err == (
        f"matcue: warning: the config file {path} is not UTF-8 text; it is rewritten with what "
        "could be read; dropped: '\ufffd\ufffd garbage [[['\n"
    )
    assert path.read_text() == HEADER
    path.write_text("rate = 20\nstereo = 'loud'\n")  # bad values of known keys
    status, _, err = run(where, "plan", ROUTINE)
    assert status == 0  # the defaults stand in for them
    assert err == (
        f"matcue: warning: the config file {path} has rate that must be from 80 to 450; it has "
        f"stereo that must be true or false; using what could be read ({REPAIR}).\n"
    )
    status, out, err = run(where, "config", "reset")
    assert (status, out) == (0, "")
    assert err == f"matcue: every setting is back to its default ({path} written afresh)\n"
    assert path.read_text() == HEADER
    assert run(where, "plan", ROUTINE, "--json")[0] == 0


def test_config_reset_without_a_file_says_so(where: Folders) -> None:
    status, _, err = run(where, "config", "reset")
    assert status == 0
    assert err == f"matcue: there is no config file at {where.config_file}; nothing to reset\n"
    assert not where.config_file.exists()


def test_a_byte_order_mark_is_read(where: Folders) -> None:
    where.config_file.write_bytes(b'\xef\xbb\xbfcount = "tones"\n')
    status, out, err = run(where, "config")
    assert (status, err) == (0, "")
    assert "count         tones  (config file)" in out
    assert json.loads(run(where, "plan", ROUTINE, "--json")[1])["settings"]["count"] == "tones"


def test_keys_of_another_version_warn_and_are_kept(where: Folders) -> None:
    path = where.config_file
    path.write_text('colour = "red"\nrate = 120\n[theme]\ndark = true\n')
    warning = (
        f"matcue: warning: the config file {path} has settings this version of matcue does "
        "not know ('colour', 'theme'); they are kept and ignored\n"
    )
    status, _, err = run(where, "plan", ROUTINE, "--json")
    assert (status, err) == (0, warning)
    status, _, err = run(where, "config", "set", "rate", "130")
    assert (status, err) == (0, f"rate = 130 (saved in {path})\n")
    assert path.read_text() == HEADER + 'rate = 130\ncolour = "red"\n\n[theme]\ndark = true\n'


def test_matcue_config_in_a_missing_folder_is_refused(tmp_path: Path, where: Folders) -> None:
    path = tmp_path / "no" / "such" / "config.toml"
    status, _, err = run(Folders(path, where.data_dir, where.cache_dir, True), "config", "set",
                         "rate", "140")  # fmt: skip
    assert status == 2
    assert err == (
        f"matcue: cannot save the config file {path}: its folder {path.parent} does not exist; "
        "create it, or set MATCUE_CONFIG to a file in an existing folder\n"
    )
    assert not (tmp_path / "no").exists()


def test_the_platform_folder_is_made_with_a_word_and_a_missing_home_is_refused(
    tmp_path: Path, where: Folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    path = home / ".config" / "matcue" / "config.toml"
    mine = Folders(path, where.data_dir, where.cache_dir)  # not $MATCUE_CONFIG's
    status, _, err = run(mine, "config", "set", "rate", "140")
    assert status == 0
    assert err == (
        f"matcue: created the folder {home / '.config'} for the config file\n"
        f"rate = 140 (saved in {path})\n"
    )
    gone = tmp_path / "gone"
    monkeypatch.setenv("HOME", str(gone))
    path = gone / ".config" / "matcue" / "config.toml"
    status, _, err = run(Folders(path, where.data_dir, where.cache_dir), "config", "set",
                         "rate", "140")  # fmt: skip
    assert status == 2
    assert err == (
        f"matcue: cannot save the config file {path}: the home folder {gone} does not exist; "
        "set HOME to an existing folder, or MATCUE_CONFIG to a file in one\n"
    )
    assert not gone.exists()


# -- history -----------------------------------------------------------------------------------

NOW = datetime.datetime.now(datetime.UTC)
BAD_ROWS = [  # started, pace, exercises
    ((NOW - datetime.timedelta(days=3)).replace(tzinfo=None).isoformat(), 100, 1),  # naive
    ("not a date", 100, 1),
    (NOW.isoformat(), "fast", "two"),  # text in numeric columns
]


def broken_history(db: Path, routine: str = "short-session") -> None:
    good = history.SessionRecord(routine, "Short", NOW, NOW, 100.0, 3, 5, "finished")
    history.record(good, db)
    with sqlite3.connect(db) as con:
        for started, pace, exercises in BAD_ROWS:
            con.execute(
                "INSERT INTO sessions (routine, title, started, ended, pace, exercises, reps,"
                " ending) VALUES (?, 'Short', ?, ?, ?, ?, 1, 'quit')",
                (routine, started, started, pace, exercises),
            )
        con.execute("INSERT INTO resume VALUES (?, 'two', 100, 'x')", (routine,))
    con.close()


def skipped(db: Path, count: int) -> str:
    return (
        f"matcue: warning: the session history at {db} has {count} rows matcue cannot read "
        "(written by another program?); they are skipped\n"
    )


def test_unreadable_rows_are_skipped_with_one_warning_in_plan_export_and_history(
    where: Folders, tmp_path: Path
) -> None:
    db = where.history
    db.parent.mkdir()
    broken_history(db)
    status, _, err = run(where, "plan", ROUTINE)
    assert (status, err) == (0, skipped(db, 2))  # the week: the rows whose time is unreadable
    out_file = tmp_path / "s.wav"
    status, _, err = run(where, "export", ROUTINE, "-o", str(out_file), "--quiet")
    assert (status, err) == (0, skipped(db, 2))
    assert out_file.is_file()
    status, out, err = run(where, "history")
    assert (status, err) == (0, skipped(db, 3))
    assert out.splitlines()[1].split()[-3:] == ["3", "5", "finished"]
    status, out, err = run(where, "history", "--json")
    assert (status, err) == (0, skipped(db, 3))
    assert len(json.loads(out)["sessions"]) == 1


def test_play_and_play_resume_skip_unreadable_rows(hermetic: Path) -> None:
    hermetic.parent.mkdir()
    broken_history(hermetic)
    take = Take([], "--resume", tty=False)
    assert take.status == 0
    assert take.err.getvalue() == (
        "matcue: warning: the saved place of short-session is damaged; playing from the start.\n"
        + skipped(hermetic, 2)
    )
    assert len(history.sessions(hermetic)) == 2  # the good one, and this session


def test_an_older_layout_is_migrated_and_a_keyless_table_is_set_aside(tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    with sqlite3.connect(db) as con:  # an older layout: no title, no reps, no ending
        con.execute(
            "CREATE TABLE sessions (id INTEGER PRIMARY KEY, routine TEXT, started TEXT,"
            " ended TEXT, pace REAL, exercises INTEGER)"
        )
        con.execute(
            "INSERT INTO sessions (routine, started, ended, pace, exercises)"
            " VALUES ('a', ?, ?, 90, 2)",
            (NOW.isoformat(), NOW.isoformat()),
        )
        con.execute("CREATE TABLE resume (exercise INTEGER, pace REAL)")  # no key at all
    con.close()
    warned: list[str] = []
    (old,) = history.sessions(db, warned.append)
    assert (old.routine, old.title, old.pace, old.exercises, old.reps, old.ending) == (
        "a", "", 90.0, 2, 0, "interrupted",
    )  # fmt: skip
    assert warned == [
        f"the session history at {db} had a resume table of a layout matcue cannot use; it is "
        "kept as resume_set_aside_1 and a new one is started"
    ]
    history.save_resume("a", 2, 90.0, db)
    assert history.resume_point("a", db) == history.ResumePoint(2, 90.0)
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA user_version").fetchone() == (history.SCHEMA_VERSION,)
    con.close()


def test_the_end_of_session_write_waits_out_a_lock(tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    rec = history.SessionRecord("a", "A", NOW, NOW, 100.0, 1, 1, "quit")
    history.record(rec, db)
    holder = sqlite3.connect(db, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(2.0, holder.commit)
    release.start()
    began = time.monotonic()
    history.record(rec, db)  # a 0.5 s wait alone would lose it
    history.save_resume("a", 1, 100.0, db)
    assert time.monotonic() - began >= 1.5
    release.join()
    holder.close()
    assert len(history.sessions(db)) == 2
    assert history.resume_point("a", db) == history.ResumePoint(1, 100.0)
