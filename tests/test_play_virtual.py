"""``matcue play`` end to end in virtual time: the real CLI, routine, speech (espeak-ng, from the
shared speech cache), renderer and history, with a recording device, a virtual clock and a
command script in place of the sound card, the wall clock and the terminal's keys.

What the listener hears is compared with ``matcue export`` of the same session, sample for
sample; the history and resume points are read back from the database the command wrote.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from matcue.api import SESSION_RATE
from matcue.cli import Environment, Playback, main
from matcue.playback.transport import Command as C
from matcue.store import history
from matcue.store.paths import DB_NAME
from virtual import INTERRUPT, RecordingDevice, Script, VirtualClock

ROUTINE = str(Path(__file__).parent / "routines" / "cli" / "short-session.yaml")


@pytest.fixture
def hermetic(speech_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The shared speech cache, and a history and config of this test's own, given to the CLI
    through the process's environment (read at the edge); yields the history database."""
    monkeypatch.setenv("MATCUE_CACHE_DIR", str(speech_cache))
    monkeypatch.setenv("MATCUE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MATCUE_CONFIG", str(tmp_path / "config" / "config.toml"))
    yield tmp_path / "data" / DB_NAME


class Take:
    """One ``matcue play`` in virtual time."""

    def __init__(self, events: list[tuple[float, C | str]], *args: str, tty: bool = True) -> None:
        self.clock = VirtualClock(SESSION_RATE)
        self.device = RecordingDevice(self.clock, SESSION_RATE)
        self.script = Script(self.clock, events)
        self.out, self.err = io.StringIO(), io.StringIO()
        playback = Playback(self.device, self.clock, self.script, background=lambda w: w())
        env = Environment(self.out, self.err, stdin_is_tty=tty, playback=playback)
        self.status = main(["play", ROUTINE, "--quiet", *args], env)

    @property
    def tape(self) -> np.ndarray:
        return self.device.tape


def exported(tmp_path: Path, *args: str) -> np.ndarray:
    out = tmp_path / "session.wav"
    assert main(["export", ROUTINE, "-o", str(out), "--force", *args], quiet_env()) == 0
    pcm, rate = sf.read(out, dtype="int16")
    assert rate == SESSION_RATE
    return pcm


def quiet_env() -> Environment:
    return Environment(io.StringIO(), io.StringIO(), stdin_is_tty=False)


def test_play_without_a_terminal_sounds_exactly_like_the_export(
    hermetic: Path, tmp_path: Path
) -> None:
    want = exported(tmp_path)  # first: the speech and levels caches warm (see test_cold_start)
    take = Take([], tty=False)
    assert take.status == 0, take.err.getvalue()
    assert take.tape.shape[0] >= want.shape[0]
    assert np.array_equal(take.tape[: want.shape[0]], want.astype(np.int32))
    assert not take.tape[want.shape[0] :].any()
    (row,) = history.sessions(hermetic)
    assert (row.ending, row.exercises, row.pace) == ("finished", 3, 100)


def test_quit_saves_the_place_and_resume_starts_from_that_exercise(hermetic: Path) -> None:
    quit_at = 21.0  # in the second exercise (knee hug)
    take = Take([(quit_at, C.QUIT)])
    assert take.status == 0, take.err.getvalue()
    (row,) = history.sessions(hermetic)
    assert (row.ending, row.exercises) == ("quit", 1)
    point = history.resume_point("short-session", hermetic)
    assert point is not None and (point.exercise, point.pace) == (2, 100)

    again = Take([], "--resume")
    assert again.status == 0, again.err.getvalue()
    assert history.resume_point("short-session", hermetic) is None  # finished: the place is cleared
    assert sorted(r.ending for r in history.sessions(hermetic)) == ["finished", "quit"]
    # it started at exercise 2: what it played is the end of the whole session, from there
    first = again.tape[: round(again.device.last_sound() * SESSION_RATE)]
    full = Take([]).device
    whole = full.tape[: round(full.last_sound() * SESSION_RATE)]
    assert 0 < first.shape[0] < whole.shape[0]
    assert np.array_equal(first, whole[-first.shape[0] :])


def test_ctrl_c_is_exit_130_with_the_session_recorded_and_its_place_saved(hermetic: Path) -> None:
    take = Take([(30.0, INTERRUPT)])
    assert take.status == 130
    assert take.err.getvalue().endswith("Stopped.\n")
    (row,) = history.sessions(hermetic)
    assert row.ending == "interrupted"
    point = history.resume_point("short-session", hermetic)
    assert point is not None and point.exercise == 2
    assert not take.device.heard(30.0).any()


def test_pain_stop_is_recorded_as_such_and_keeps_no_place(hermetic: Path) -> None:
    take = Take([(12.0, C.PAIN)])
    assert take.status == 0, take.err.getvalue()
    (row,) = history.sessions(hermetic)
    assert row.ending == "pain"
    assert history.resume_point("short-session", hermetic) is None


def test_a_live_pace_change_is_what_the_history_and_the_resume_point_keep(
    hermetic: Path,
) -> None:
    take = Take([(9.0, C.FASTER), (10.0, C.FASTER), (25.0, C.QUIT)])
    assert take.status == 0, take.err.getvalue()
    (row,) = history.sessions(hermetic)
    assert (row.ending, row.pace) == ("quit", 120)
    point = history.resume_point("short-session", hermetic)
    assert point is not None and point.pace == 120


def test_every_command_is_answered_by_a_sound(hermetic: Path) -> None:
    """Each command is answered at once, by a tone or words."""
    commands = [C.WHERE, C.HELP, C.NEXT, C.BACK, C.REPEAT, C.FASTER, C.SLOWER, C.UNKNOWN]
    events: list[tuple[float, C | str]] = [(8.0 + 6.0 * i, c) for i, c in enumerate(commands)]
    take = Take([*events, (8.0 + 6.0 * len(commands), C.QUIT)])
    assert take.status == 0, take.err.getvalue()
    for t, command in events:
        answer = take.device.heard(t, t + 0.3)
        assert np.abs(answer).max() > 1000, f"{command} at {t}: nothing heard"


def test_the_intro_names_the_keys_only_on_a_terminal(hermetic: Path) -> None:
    keys, plain = Take([]), Take([], tty=False)
    assert keys.status == plain.status == 0
    assert keys.tape.shape[0] > plain.tape.shape[0]  # the keys line makes the intro longer


def test_resume_plays_at_the_pace_it_was_quit_at_unless_a_pace_is_given(hermetic: Path) -> None:
    assert Take([(9.0, C.FASTER), (25.0, C.QUIT)]).status == 0  # quit at pace 110
    assert Take([(1.0, C.QUIT)], "--resume").status == 0
    assert Take([(1.0, C.QUIT)], "--resume", "--pace", "90").status == 0
    paces = [row.pace for row in history.sessions(hermetic)]
    assert sorted(paces) == [90, 110, 110]  # the first, the resume at its pace, --pace 90


def test_an_unwritable_history_only_warns_and_the_session_plays(
    hermetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the data folder should be")
    monkeypatch.setenv("MATCUE_DATA_DIR", str(blocked))
    take = Take([(12.0, C.QUIT)])
    assert take.status == 0
    warnings = [line for line in take.err.getvalue().splitlines() if "warning" in line]
    assert warnings and warnings[-1].endswith("the session was not recorded."), warnings
    assert np.abs(take.device.heard(0.0, 12.0)).max() > 1000  # it played


def test_a_stereo_session_with_music_pauses_resumes_and_quits(
    hermetic: Path, tmp_path: Path
) -> None:
    rate = 44100
    t = np.arange(rate * 20) / rate
    music = tmp_path / "music.wav"
    sf.write(music, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)
    take = Take(
        [(10.0, C.PAUSE), (15.0, C.PAUSE), (30.0, C.QUIT)], "--stereo", "--music", str(music)
    )
    assert take.status == 0, take.err.getvalue()
    tape = take.tape
    assert tape.ndim == 2  # two ears
    assert np.abs(tape[: 10 * SESSION_RATE]).max() > 0  # the session with its music
    paused = take.device.heard(10.2, 15.0)
    assert not paused.any()  # the music stops with the words
    resumed = take.device.heard(15.0, 17.0)
    assert np.abs(resumed).max() > 1000  # "Resuming. Three. Two. One.", then the phase again
    (row,) = history.sessions(hermetic)
    assert row.ending == "quit"
