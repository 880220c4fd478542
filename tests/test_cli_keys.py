"""The command line around the keys, without sound: --from, --resume, and ``matcue history``."""

from __future__ import annotations

import datetime
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from audio_helpers import MATCUE, SHORT_SESSION, matcue_env, run_matcue
from matcue.api import resume_point, start_exercise
from matcue.api.player import at_pace
from matcue.cli import Environment
from matcue.cli.sessions import KEYS_HELP, MEDIA_KEYS_HELP, start_lines
from matcue.errors import InputError
from matcue.routine import load_routine
from matcue.routine.model import Breath
from matcue.store import history, paths
from matcue.timeline import Pace, compile

ROUTINE = SHORT_SESSION


def run(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    return run_matcue(args, matcue_env(os.environ, MATCUE_DATA_DIR=str(data)), timeout=60)


@pytest.mark.parametrize(
    ("value", "exercise"),
    [("1", 1), ("3", 3), ("knee hug", 2), ("Bird", 3), (" TILT ", 1)],
)
def test_from_takes_a_number_or_a_name(value: str, exercise: int) -> None:
    assert start_exercise(load_routine(ROUTINE), value) == exercise


def test_a_live_pace_change_keeps_every_other_pace_setting() -> None:
    """``+``/``-`` change the percent only: holds, rests, breath, reps, sets, week, count,
    breath words and level stay, so the session at the new pace is the one the options
    would give at that pace."""
    routine = load_routine(ROUTINE)
    pace = Pace.for_level(
        "gentle",
        holds=150.0,
        rest=4.0,
        breath=Breath(inhale=4.0, exhale=6.0),
        sets=2,
        week=3,
        count="tones",
        breath_words="first",
    )

    def speech_len(text: str) -> float:
        return 0.05 * len(text)

    first = compile(routine, pace, speech_len, keys=True)
    compile_at = at_pace(routine, first, speech_len, keys=True)
    assert compile_at(pace.percent) is first
    faster = compile_at(pace.percent + 10)
    assert faster.pace == Pace.for_level(
        "gentle",
        percent=pace.percent + 10,
        holds=150.0,
        rest=4.0,
        breath=Breath(inhale=4.0, exhale=6.0),
        sets=2,
        week=3,
        count="tones",
        breath_words="first",
    )
    assert faster.pace.rep_percent == pace.rep_percent and faster.pace.level == "gentle"
    assert faster == compile(routine, faster.pace, speech_len, keys=True)
    # the same phases, only re-timed: phase k at one pace is phase k at the other
    assert [(p.kind, p.exercise, p.set, p.rep, p.side) for p in faster.phases] == [
        (p.kind, p.exercise, p.set, p.rep, p.side) for p in first.phases
    ]
    assert faster.duration < first.duration


@pytest.mark.parametrize("value", ["0", "4", "zz", ""])
def test_from_refuses_what_names_no_exercise(value: str) -> None:
    with pytest.raises(InputError):
        start_exercise(load_routine(ROUTINE), value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "9"), "matcue: --from 9: the routine has exercises 1 to 3\n"),
        (
            ("--resume",),
            "matcue: there is no saved place for short-session; play it without --resume\n",
        ),
        (("--resume", "--from", "2"), "matcue: use either --resume or --from, not both\n"),
    ],
)
def test_bad_start_points_are_usage_errors(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = run("play", str(ROUTINE), *args, data=tmp_path / "data")
    assert (done.returncode, done.stderr) == (2, message)


@pytest.mark.parametrize(
    ("exercise", "pace", "damaged"),
    [
        (2, 85.0, False),
        (1, 10.0, False),
        (3, 400.0, False),
        (2, 9.5, True),
        (2, 401.0, True),
        (2, float("inf"), True),
        (0, 100.0, True),
    ],
)
def test_a_damaged_saved_place_warns_and_plays_from_the_start(
    tmp_path: Path, exercise: int, pace: float, damaged: bool
) -> None:
    """A saved pace outside what ``Pace`` takes (or no exercise) is a damaged database."""
    folders = paths.folders({paths.DATA_ENV: str(tmp_path / "data")})
    routine = load_routine(ROUTINE)
    history.save_resume(routine.id, exercise, pace, folders.history)
    err = io.StringIO()
    env = Environment(io.StringIO(), err, stdin_is_tty=False, folders=folders)
    point = resume_point(routine, env.where(), env.warn)
    if damaged:
        assert point is None
        assert err.getvalue() == (
            f"matcue: warning: the saved place of {routine.id} is damaged; "
            "playing from the start.\n"
        )
    else:
        assert point == history.ResumePoint(exercise, pace)
        assert err.getvalue() == ""


def test_history_with_no_sessions(tmp_path: Path) -> None:
    done = run("history", data=tmp_path / "data")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "No sessions yet: play one with `matcue play ROUTINE`.\n"
    done = run("history", "--json", data=tmp_path / "data")
    assert json.loads(done.stdout) == {"streak_days": 0, "sessions": []}


def test_history_lists_sessions_and_the_streak(tmp_path: Path) -> None:
    data = tmp_path / "data"
    now = datetime.datetime.now(datetime.UTC)
    for days, ending in ((2, "finished"), (1, "pain"), (0, "quit")):
        when = now - datetime.timedelta(days=days)
        rec = history.SessionRecord("short-session", "Short", when, when, 100.0, 2, 5, ending)  # type: ignore[arg-type]
        history.record(rec, data / paths.DB_NAME)
    done = run("history", data=data)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["date", "routine", "pace", "ex", "reps", "ended"]
    assert [line.split()[-2:] for line in lines[1:4]] == [
        ["5", "finished"],
        ["pain", "stop"],
        ["5", "quit"],
    ]
    assert lines[-1] == "Current streak: 3 days."
    data_json = json.loads(run("history", "--json", data=data).stdout)
    assert data_json["streak_days"] == 3
    assert [s["ending"] for s in data_json["sessions"]] == ["finished", "pain", "quit"]
    assert set(data_json["sessions"][0]) == {
        "routine",
        "title",
        "started",
        "ended",
        "pace",
        "exercises",
        "reps",
        "ending",
    }


def test_a_broken_history_is_one_sentence_and_exit_1(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / paths.DB_NAME).write_bytes(b"garbage" * 1000)
    done = run("history", data=data)
    assert done.returncode == 1
    assert done.stderr.startswith("matcue: the session history at ")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


NO_DEVICE = (
    "matcue: No audio output device is available; connect speakers or headphones, "
    "or write the session to a file with `matcue export`.\n"
)


def test_on_a_terminal_no_audio_device_is_one_sentence_and_the_terminal_is_restored(
    tmp_path: Path,
) -> None:
    import pty
    import termios

    home, run_dir = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    run_dir.mkdir(mode=0o700)
    (home / ".asoundrc").write_text("pcm.!default { type pulse }\nctl.!default { type pulse }\n")
    env = matcue_env(os.environ)
    env.pop("ALSA_CONFIG_PATH", None)
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(run_dir),
        XDG_CONFIG_HOME=str(home / ".config"),
        PULSE_SERVER=f"unix:{tmp_path / 'nobody' / 'native'}",
        MATCUE_DATA_DIR=str(tmp_path / "data"),
    )
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    try:
        done = subprocess.run(
            [str(MATCUE), "play", str(ROUTINE)],
            env=env,
            stdin=slave,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        after = termios.tcgetattr(slave)
    finally:
        os.close(slave)
        os.close(master)
    assert (done.returncode, done.stderr) == (1, NO_DEVICE)
    assert after == before  # echo and line editing are back
    assert not (tmp_path / "data").exists()  # a session that never started is not recorded


@pytest.mark.parametrize(
    ("keys", "media", "lines"),
    [
        (True, True, ["Playing S (1:00, pace 90).", KEYS_HELP, MEDIA_KEYS_HELP]),
        (True, False, ["Playing S (1:00, pace 90).", KEYS_HELP]),
        (False, True, ["Playing S (1:00, pace 90). Ctrl-C stops; the headphone button pauses."]),
        (False, False, ["Playing S (1:00, pace 90). Ctrl-C stops."]),
    ],
)
def test_the_start_lines_name_the_media_keys_when_they_are_on(
    keys: bool, media: bool, lines: list[str]
) -> None:
    assert start_lines("S", "1:00", 90.0, keys, media) == lines
    assert ("play/pause" in "\n".join(lines)) == (keys and media)
