"""The transport's pure logic: key bytes -> keys -> actions and positions on the timeline.

Speech lengths are fixed (a word is 0.3 s), so these tests need no speech engine.
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from pathlib import Path

import pytest

from matcue.playback import transport as tp
from matcue.playback.transport import Command as Key
from matcue.routine import load_routine
from matcue.store import history
from matcue.timeline import ENGLISH, Pace, Timeline, compile, spoken

ROUTINE = Path(__file__).parent / "routines" / "cli" / "short-session.yaml"
SETS = Path(__file__).parent / "golden" / "sets.yaml"


def speech_len(text: str) -> float:
    return 0.3 * len(text.split())


def session(pace: float = 100, path: Path = ROUTINE) -> Timeline:
    return compile(load_routine(path), Pace(percent=pace), speech_len, keys=True)


def state(timeline: Timeline | None = None, **kw: object) -> tp.Transport:
    tl = timeline or session()
    return replace(tp.Transport(timeline=tl, pace=tl.pace.percent), **kw)  # type: ignore[arg-type]


def start_of(tl: Timeline, kind: str, exercise: int | None = None) -> float:
    return next(
        p.t for p in tl.phases if p.kind == kind and (exercise is None or p.exercise == exercise)
    )


# --- key decoding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "keys"),
    [
        (b" ", [Key.PAUSE]),
        (b"nNbBrR", [Key.NEXT, Key.NEXT, Key.BACK, Key.BACK, Key.REPEAT, Key.REPEAT]),
        (b"+-=_", [Key.FASTER, Key.SLOWER, Key.FASTER, Key.SLOWER]),
        (b"sqx?", [Key.WHERE, Key.QUIT, Key.PAIN, Key.HELP]),
        (b"\x1b[C\x1b[D", [Key.NEXT, Key.BACK]),  # right and left arrows
        (b"\x1bOC\x1bOD", [Key.NEXT, Key.BACK]),  # the same in application mode
        (b"\x1b[A", [Key.UNKNOWN]),  # up arrow
        (b"\x1b[1;5C", [Key.NEXT]),  # ctrl-right: parameters, then the final byte
        (b"\x1b[15~", [Key.UNKNOWN]),  # F5
        (b"\x1bq", [Key.PAIN, Key.QUIT]),  # Escape, then q
        (b"z\t\r", [Key.UNKNOWN, Key.UNKNOWN, Key.UNKNOWN]),
        ("é".encode(), [Key.UNKNOWN]),  # one key, though two bytes
    ],
)
def test_keys_are_decoded(data: bytes, keys: list[Key]) -> None:
    assert tp.decode_keys(data, final=True) == (keys, b"")


def test_a_trailing_escape_waits_for_the_rest_of_its_sequence() -> None:
    assert tp.decode_keys(b"n\x1b", final=False) == ([Key.NEXT], b"\x1b")
    assert tp.decode_keys(b"\x1b[", final=False) == ([], b"\x1b[")
    assert tp.decode_keys(b"\x1b[" + b"C", final=False) == ([Key.NEXT], b"")
    # nothing more came: a lone Escape is the pain stop
    assert tp.decode_keys(b"\x1b", final=True) == ([Key.PAIN], b"")


# --- positions on the timeline -------------------------------------------------------------------


def test_phases_match_across_paces_by_index() -> None:
    slow, fast = session(100), session(150)
    assert [tp.phase_key(p) for p in slow.phases] == [tp.phase_key(p) for p in fast.phases]
    for k in range(len(slow.phases)):
        assert tp.same_phase(slow, fast, k) == fast.phases[k].t
    other = session(100, SETS)
    with pytest.raises(ValueError, match="other phases"):
        tp.same_phase(slow, other, 1)


def test_phase_index_and_next_boundary() -> None:
    tl = session()
    for k, phase in enumerate(tl.phases):
        assert tp.phase_index(tl, phase.t) == k
        assert tp.phase_index(tl, phase.t + phase.dur / 2) == k
        assert tp.next_boundary(tl, phase.t) == (k + 1 if k + 1 < len(tl.phases) else None)
    assert tp.phase_index(tl, tl.duration + 5) == len(tl.phases) - 1


def test_the_intro_names_the_keys_only_when_they_are_active() -> None:
    with_keys = [c.text for c in session().cues if c.text]
    without = compile(load_routine(ROUTINE), Pace(), speech_len)
    assert "Space pauses, N skips, and X stops. Question mark lists the keys." in with_keys
    heard = [c.text for c in without.cues if c.text]
    assert not any("Space" in line or "Control C" in line for line in heard)  # no controls


# --- the state machine ---------------------------------------------------------------------------


def test_pause_then_resume_goes_back_to_the_start_of_the_interrupted_phase() -> None:
    tl = session()
    hold = next(p for p in tl.phases if p.kind == "hold")
    s, action = tp.press(state(tl), Key.PAUSE, hold.t + 1.0, 10.0, ENGLISH)
    assert action == tp.Action("pause", tone=True)
    assert s.paused and s.paused_at == hold.t + 1.0
    # the clock moves on while paused; the session does not
    s, action = tp.press(s, Key.PAUSE, 999.0, 20.0, ENGLISH)
    assert not s.paused
    assert action.kind == "play" and action.seek == hold.t
    assert action.say == ("Resuming.", "Three.", "Two.", "One.")


def test_next_skips_to_the_following_exercise_and_from_the_last_to_the_closing() -> None:
    tl = session()
    s = state(tl)
    _, action = tp.press(s, Key.NEXT, 1.0, 0.0, ENGLISH)  # in the intro
    assert action == tp.Action("play", seek=start_of(tl, "position", 1), tone=True)
    _, action = tp.press(s, Key.NEXT, start_of(tl, "inhale", 1), 0.0, ENGLISH)
    assert action.seek == start_of(tl, "position", 2)
    _, action = tp.press(s, Key.NEXT, start_of(tl, "hold", 3), 0.0, ENGLISH)
    assert action.seek == start_of(tl, "outro")
    _, action = tp.press(s, Key.NEXT, start_of(tl, "outro") + 0.1, 0.0, ENGLISH)
    assert action.kind == "ignore"


def test_back_once_restarts_the_exercise_and_twice_quickly_goes_to_the_one_before() -> None:
    tl = session()
    s = state(tl)
    inside = start_of(tl, "hold", 2) + 0.5
    s, action = tp.press(s, Key.BACK, inside, 100.0, ENGLISH)
    assert action.seek == start_of(tl, "position", 2)
    s, action = tp.press(s, Key.BACK, start_of(tl, "position", 2) + 0.2, 101.0, ENGLISH)
    assert action.seek == start_of(tl, "position", 1)
    # slowly: the start of this exercise again
    s, action = tp.press(s, Key.BACK, start_of(tl, "position", 1) + 3.0, 110.0, ENGLISH)
    assert action.seek == start_of(tl, "position", 1)
    _, action = tp.press(s, Key.BACK, 1.0, 200.0, ENGLISH)  # in the intro
    assert action.seek == 0.0


def test_repeat_goes_to_the_first_rep_of_the_set() -> None:
    tl = session(path=SETS)
    reps = [p for p in tl.phases if p.rep is not None]
    second_set = [p for p in reps if (p.exercise, p.set) == (1, 2)]
    assert second_set, "the routine has a second set"
    late = second_set[-1]
    _, action = tp.press(state(tl), Key.REPEAT, late.t + 0.1, 0.0, ENGLISH)
    assert action.kind == "play" and action.seek == second_set[0].t
    assert action.say == ("Again, this set.",)
    _, action = tp.press(state(tl), Key.REPEAT, 0.5, 0.0, ENGLISH)  # the intro
    assert action.kind == "ignore" and action.say == ("Nothing to repeat yet.",)


def test_pace_keys_step_by_ten_within_limits_and_say_the_pace() -> None:
    s = state()
    s, action = tp.press(s, Key.FASTER, 5.0, 0.0, ENGLISH)
    assert action == tp.Action("pace", pace=110.0, say=("Pace one hundred ten.",))
    s, action = tp.press(s, Key.SLOWER, 5.0, 0.0, ENGLISH)
    s, action = tp.press(s, Key.SLOWER, 5.0, 0.0, ENGLISH)
    assert action.pace == 90.0 and action.say == ("Pace ninety.",)
    top = replace(s, pace=400.0)
    assert tp.press(top, Key.FASTER, 5.0, 0.0, ENGLISH) == (top, tp.Action("ignore"))


def test_pain_stop_quit_where_and_help() -> None:
    tl = session()
    s, action = tp.press(state(tl), Key.PAIN, 5.0, 0.0, ENGLISH)
    assert s.finished and action.kind == "pain"
    assert action.say[0] == "Stop now."
    assert any("pain" in line for line in action.say)
    s, action = tp.press(state(tl), Key.QUIT, 5.0, 0.0, ENGLISH)
    assert s.finished and action.kind == "quit"
    hold = next(p for p in tl.phases if p.kind == "hold" and p.side == "left")
    _, action = tp.press(state(tl), Key.WHERE, hold.t + 0.5, 0.0, ENGLISH)
    assert action.seek == hold.t
    assert action.say[:3] == ("Exercise two, Knee hug.", "Rep one of one.", "Left side.")
    _, action = tp.press(state(tl), Key.HELP, 5.0, 0.0, ENGLISH)
    assert action.say == ENGLISH.controls.key_list and action.seek == 0.0
    assert tp.press(state(tl), Key.UNKNOWN, 5.0, 0.0, ENGLISH)[1] == tp.Action("ignore")


def test_rep_and_exercise_ends_are_counted_as_they_pass() -> None:
    tl = session()
    reps, exercises = tp.rep_ends(tl), tp.exercise_ends(tl)
    assert len(reps) == 5  # one rep, one right and one left, one alternating right and left
    assert len(exercises) == 3
    assert tp.passed(reps, 0.0, tl.duration) == 5
    assert tp.passed(reps, reps[0], reps[1]) == 1
    assert tp.passed(reps, 5.0, 5.0) == 0


def test_resume_exercise() -> None:
    tl = session()
    assert tp.resume_exercise(tl, 1.0) == 1
    assert tp.resume_exercise(tl, start_of(tl, "hold", 2)) == 2
    assert tp.resume_exercise(tl, start_of(tl, "outro") + 0.1) is None


def test_status_line() -> None:
    tl = session()
    hold = next(p for p in tl.phases if p.kind == "hold" and p.side == "right")
    line = tp.status_text(tl, hold.t, 110, True)
    assert line.startswith("2/3 Knee hug · rep 1/1 right · hold · ")
    assert line.endswith("left · pace 110 · PAUSED")


def test_spoken_lines_in_a_row() -> None:
    tl = spoken(("Resuming.", "Three."), speech_len, tone="tick")
    assert [c.text or c.sound for c in tl.cues] == ["tick", "Resuming.", "Three."]
    assert tl.cues[1].t == pytest.approx(0.06 + 0.25)
    assert tl.duration == pytest.approx(0.06 + 0.25 + 0.3 + 0.25 + 0.3 + 0.25)
    plain = spoken(("Resuming.",), speech_len)
    assert plain.cues[0].t == 0.0 and plain.duration == pytest.approx(0.3 + 0.25)


# --- history -------------------------------------------------------------------------------------


def test_history_records_sessions_and_resume_points(tmp_path: Path) -> None:
    db = tmp_path / "data" / "history.sqlite3"
    when = datetime.datetime(2026, 1, 2, 8, 0, tzinfo=datetime.UTC)
    rec = history.SessionRecord("short", "Short", when, when, 90.0, 2, 7, "pain")
    history.record(rec, db)
    assert history.sessions(db) == [rec]
    assert history.resume_point("short", db) is None
    history.save_resume("short", 3, 100.0, db)
    assert history.resume_point("short", db) == history.ResumePoint(3, 100.0)
    history.save_resume("short", 2, 85.0, db)  # the last quit wins, with its pace
    assert history.resume_point("short", db) == history.ResumePoint(2, 85.0)
    history.clear_resume("short", db)
    assert history.resume_point("short", db) is None


def test_a_broken_history_raises_one_error(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    db.write_bytes(b"not a database at all" * 100)
    when = datetime.datetime.now(datetime.UTC)
    with pytest.raises(history.HistoryError, match="cannot be used"):
        history.record(history.SessionRecord("a", "A", when, when, 100, 0, 0, "quit"), db)


def test_streak_counts_days_in_a_row() -> None:
    d = datetime.date(2026, 3, 10)
    day = datetime.timedelta(days=1)
    assert history.streak([], d) == 0
    assert history.streak([d, d, d - day, d - 2 * day, d - 4 * day], d) == 3
    assert history.streak([d - day, d - 2 * day], d) == 2  # today not yet played
    assert history.streak([d - 2 * day], d) == 0


# --- the spoken lines of the keys -----------------------------------------------------------------


def control_lines() -> list[str]:
    c = ENGLISH.controls
    return [
        c.keys_line,
        *c.key_list,
        c.resuming,
        c.repeat_set,
        c.quit,
        c.nothing_to_repeat,
        *c.pain_stop,
        c.where_intro,
        c.where_outro,
        c.where_rest,
        c.under_a_minute,
        ENGLISH.pace_line(90),
        ENGLISH.minutes_left(61),
        ENGLISH.minutes_left(300),
        ENGLISH.where_exercise(2, "Knee hug"),
        ENGLISH.where_rep(3, 10),
        ENGLISH.where_side("left"),
    ]


@pytest.mark.parametrize("line", control_lines())
def test_what_the_keys_say_is_written_for_the_ear(line: str) -> None:
    from test_spoken_lint import problems

    assert problems(line, is_sentence=True) == []
