"""Hostile routine files and the limits: a clean result or exit 2 with FILE:LINE:COL, quickly.

The corpus is ``routines/bad/``: each ``NAME.yaml`` with ``NAME.txt``, the exact stderr of
``matcue validate NAME.yaml`` (exit code 2). tests/test_routine_errors.py checks the same files
through the library with both YAML parsers; here they go through the command. Then the limits
(file size, exercises, spoken line, session length), a fuzz run (the short form of
``scripts/fuzz.py``), and file names made from titles.
"""

from __future__ import annotations

import importlib
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcue import cli
from matcue.export.formats import FORMATS, encoding
from matcue.export.session import SLUG_MAX, ExportOptions, export_targets
from matcue.routine import RoutineError, checker, load_builtin_routines, parse_routine, source
from matcue.routine.checker import MAX_EXERCISES
from matcue.routine.nodes import MAX_SPOKEN
from matcue.timeline import Chapter, Pace, Timeline, compile
from matcue.timeline.compiler import least_duration
from matcue.timeline.limits import (
    MAX_SESSION_SECONDS,
    SessionTooLong,
    check_routine,
    check_timeline,
)

BAD = Path(__file__).parent / "routines" / "bad"
CORPUS = sorted(BAD.glob("*.yaml"))
MATCUE = Path(sys.executable).with_name("matcue")

sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
fuzz: Any = importlib.import_module("fuzz")


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cli.main(args)
    out, err = capsys.readouterr()
    return status, out, err


# --------------------------------------------------------------------------- the corpus


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_validate_prints_the_exact_problems_and_exits_2(
    path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(BAD)
    t0 = time.perf_counter()
    status, out, err = run_main(["validate", path.name], capsys)
    assert time.perf_counter() - t0 < 5  # bounded, alias bombs included
    assert (status, out) == (2, "")
    assert err == path.with_suffix(".txt").read_text(encoding="utf-8")


def test_the_real_command_reports_every_file_of_the_corpus() -> None:
    done = subprocess.run(
        [str(MATCUE), "validate", *(p.name for p in CORPUS)],
        cwd=BAD,
        env={k: v for k, v in os.environ.items() if k != "MATCUE_DEBUG"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "".join(p.with_suffix(".txt").read_text(encoding="utf-8") for p in CORPUS)
    assert "Traceback" not in done.stderr


# Every kind of hostile input issue #7 lists, and where the corpus shows it.
ISSUE_7 = {
    "tabs": "a tab character indents this line; YAML indents with spaces only",
    "broken-indent": "this line is indented further than the key above it",
    "empty": "the file is empty",
    "binary": "the file is not UTF-8 text (byte 0xff cannot be read)",
    "control-character": "character U+0000 is not allowed in a routine file",
    "top-list": "a routine must be a mapping with keys such as 'matcue: 1'",
    "top-scalar": "a routine must be a mapping with keys such as 'matcue: 1'",
    "duplicate-key": "duplicate key 'reps' (first at line 6)",
    "unknown-key": "unknown key 'rep' in exercise (did you mean 'reps'?)",
    "bad-values": "level must be one of gentle, beginner, intermediate or advanced, got "
    "'begginer' (did you mean 'beginner'?)",
    "strings": "source must be text, got a list",
    "absurd-numbers": "reps must be a whole number from 1 to 100, got 1000000",
    "durations": "rest must be 0 or more and at most 3600 seconds (one hour), got -1",
    "version": "unsupported format version 2; this matcue reads version 1",
    "placeholders": "unknown placeholder '{left}' in caution; use {side} or {other}",
    "python-tag": "unsupported tag !!python/object/apply:os.system",
    "merge-key": "merge keys ('<<') are not supported",
    "alias-bomb": "the file has more than 100000 YAML nodes (counting each use of an alias)",
    "two-documents": "the file holds more than one YAML document",
    "too-many-exercises": f"a routine may have at most {MAX_EXERCISES}",
}


@pytest.mark.parametrize(("name", "fragment"), ISSUE_7.items(), ids=list(ISSUE_7))
def test_the_corpus_holds_every_kind_of_hostile_input(name: str, fragment: str) -> None:
    assert fragment in (BAD / f"{name}.txt").read_text(encoding="utf-8")


def test_a_spoken_line_longer_than_the_limit_is_a_problem_with_its_place() -> None:
    line = "Breathe " * (MAX_SPOKEN // 8 + 1)
    text = (
        "matcue: 1\ntitle: T\nexercises:\n  - name: N\n"
        f"    position: {line}\n    steps: [inhale: In.]\n"
    )
    with pytest.raises(RoutineError) as info:
        parse_routine(text, "x.yaml")
    assert str(info.value) == (
        f"x.yaml:5:15: position is too long ({len(line.strip())} characters); a spoken line may "
        f"have at most {MAX_SPOKEN}"
    )


def test_as_many_exercises_as_allowed_is_fine() -> None:
    items = "".join(
        f"  - {{name: Tilt {i}, position: Lie down., steps: [inhale: In.]}}\n"
        for i in range(MAX_EXERCISES)
    )
    routine = parse_routine(f"matcue: 1\ntitle: T\nexercises:\n{items}", "x.yaml")
    assert len(routine.exercises) == MAX_EXERCISES


def test_a_huge_file_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "huge.yaml").write_text("matcue: 1\n" + "# padding\n" * 500_000)  # 5 MB
    monkeypatch.chdir(tmp_path)
    t0 = time.perf_counter()
    status, _, err = run_main(["validate", "huge.yaml"], capsys)
    assert time.perf_counter() - t0 < 1
    assert status == 2
    assert err == "huge.yaml:1:1: the file is larger than 1 MB; a routine file must be smaller\n"


@pytest.mark.parametrize(
    "text",
    [
        "matcue: 1\ntitle: " + "[" * 100_000,
        "matcue: 1\ntitle: T\nequipment: [" + "a, " * 300_000 + "]\n",
        "matcue: 1\nexercises:\n" + "  - {name: n, position: p, steps: [inhale: In.]}\n" * 20_000,
    ],
    ids=["deep", "wide", "long"],
)
def test_large_hostile_files_are_answered_quickly(text: str) -> None:
    t0 = time.perf_counter()
    with pytest.raises(RoutineError):
        parse_routine(text[: source.MAX_BYTES], "x.yaml")
    assert time.perf_counter() - t0 < 5


# --------------------------------------------------------------------------- session length


DAYS = """\
matcue: 1
title: Days
exercises:
  - name: Plank
    position: Lie face down.
    reps: 100
    sets: 20
    sides: each
    steps:
      - hold: 1h
"""


def test_a_session_over_the_bound_is_refused_before_any_speech(tmp_path: Path) -> None:
    (tmp_path / "days.yaml").write_text(DAYS)
    cache = tmp_path / "cache"
    cache.mkdir()
    t0 = time.perf_counter()
    done = subprocess.run(
        [str(MATCUE), "plan", "days.yaml"],
        cwd=tmp_path,
        env={**os.environ, "MATCUE_CACHE_DIR": str(cache)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert time.perf_counter() - t0 < 30
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "matcue: the session would last at least 4000 hours 8 minutes at pace 100, more than the "
        "6 hours a session may last; shorten the routine or pick a faster --pace\n"
    )
    assert list(cache.iterdir()) == []  # not one line was spoken


def test_the_bound_is_at_the_chosen_pace() -> None:
    text = DAYS.replace("reps: 100\n    sets: 20\n    sides: each\n", "reps: 1\n").replace(
        "      - hold: 1h\n", "      - hold: 1h\n" * 8
    )
    routine = parse_routine(text, "eight-hours.yaml")
    with pytest.raises(SessionTooLong, match="at least 8 hours at pace 100,"):
        check_routine(routine, Pace(100))
    check_routine(routine, Pace(200))  # four hours


@pytest.mark.parametrize("percent", [10, 100, 400])
def test_the_floor_never_exceeds_the_compiled_session(percent: float) -> None:
    pace = Pace(percent)
    for routine in load_builtin_routines():
        silent = compile(routine, pace, lambda text: 0.0).duration
        spoken = compile(routine, pace, fuzz.fake_speech_len).duration
        assert least_duration(routine, pace) <= min(silent, spoken) + 1e-6, routine.id
        assert least_duration(routine, pace) >= 0.8 * silent, routine.id  # and close to it


def test_a_compiled_session_over_the_bound_is_refused() -> None:
    """Words can make a session longer than its floor: the compiled length is checked too."""
    routine = parse_routine(DAYS.replace("hold: 1h", "inhale: In."), "x.yaml")
    pace = Pace(400)
    assert least_duration(routine, pace) < MAX_SESSION_SECONDS
    timeline = compile(routine, pace, lambda text: 30.0)  # a very slow voice
    with pytest.raises(SessionTooLong, match=r"^the session would last \d+ hours"):
        check_timeline(timeline)


# --------------------------------------------------------------------------- fuzzing


SEEDS = fuzz.Seeds.load()


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1), pace=st.sampled_from([10.0, 100.0, 400.0]))
def test_mangled_routine_files_validate_or_fail_cleanly(seed: int, pace: float) -> None:
    """The test-suite form of scripts/fuzz.py: load, validate, bound and compile."""
    data = next(fuzz.cases(random.Random(seed), SEEDS))
    t0 = time.perf_counter()
    assert fuzz.check_case(data, pace) in ("valid", "invalid", "too long")
    assert time.perf_counter() - t0 < 10


def test_the_fuzz_script_runs_and_sums_up(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(Path(fuzz.__file__)), "--examples", "150", "--seed", "3"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("fuzz: seed 3, 150 cases in ")
    assert done.stdout.endswith(" 0 failed\n")


def test_the_fuzz_script_catches_an_uncaught_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(data: bytes, filename: str, **kwargs: object) -> object:
        raise KeyError("oops")

    monkeypatch.setattr(fuzz, "parse_routine_bytes", broken)
    with pytest.raises(fuzz.Failure, match="the loader raised KeyError"):
        fuzz.check_case(b"matcue: 1\n", 100.0)


# --------------------------------------------------------------------------- file names


HOSTILE_TITLES = [
    "../../etc/passwd",
    "/absolute/path",
    "C:\\Windows\\System32",
    "CON",
    "nul.txt",
    "a\x00b\x1b[2Jc\nd",
    "..",
    ".hidden",
    "💥🔥",
    "Ünïcödé çhäpter",
    "Long " * 80,
]


def test_split_file_names_from_titles_are_safe(tmp_path: Path) -> None:
    chapters = tuple(Chapter(float(i), title) for i, title in enumerate(HOSTILE_TITLES))
    timeline = Timeline("t", "T", Pace(), float(len(chapters)), chapters, (), ())
    options = ExportOptions(tmp_path / "s.flac", encoding(FORMATS[".flac"], None, None), split=True)
    paths = export_targets(timeline, options, 22050)
    assert all(p.parent == tmp_path for p in paths)
    names = [p.name for p in paths if p.suffix == ".flac"]
    assert len(names) == len(HOSTILE_TITLES)
    assert len(set(names)) == len(names)
    for name in names:
        stem = name.removeprefix("s-").removesuffix(".flac")
        number, _, slug = stem.partition("-")
        assert number.isdigit() and slug, name
        assert all(c.isascii() and (c.isalnum() or c == "-") for c in slug), name
        assert slug[0] != "-" and slug[-1] != "-" and len(slug) <= SLUG_MAX, name
    assert names[0] == "s-01-etc-passwd.flac"
    assert names[3] == "s-04-con.flac"
    assert names[6] == "s-07-part.flac"  # nothing left of '..'
    assert names[8] == "s-09-part.flac"
    assert names[9] == "s-10-unicode-chapter.flac"
    assert names[10] == "s-11-" + "-".join(["long"] * 9) + ".flac"


def test_routine_files_name_no_other_files() -> None:
    """A routine cannot point to a file yet (custom sounds or music): no key takes a path."""
    keys = {*checker.TOP_KEYS, *checker.EXERCISE_KEYS, *checker.STEP_KEYS, *checker.TIMING_KEYS}
    assert not any(word in key for key in keys for word in ("file", "path", "sound", "music"))
    with pytest.raises(RoutineError, match="unknown key 'sound' in step"):
        parse_routine(
            "matcue: 1\ntitle: T\nexercises:\n  - name: N\n    position: P\n"
            "    steps: [{inhale: In., sound: /etc/passwd}]\n",
            "x.yaml",
        )
