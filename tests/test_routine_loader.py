"""The routine loader builds the exact model from good files; durations; the built-in lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

import matcue.routine.library as library
from matcue.errors import InputError
from matcue.routine import (
    Exercise,
    Problem,
    Routine,
    RoutineError,
    Step,
    Timing,
    builtin_ids,
    load_builtin_routines,
    load_routine,
    parse_duration,
    parse_routine,
    resolve,
    validate_files,
)

GOOD = Path(__file__).parent / "routines" / "good"
BAD = Path(__file__).parent / "routines" / "bad"

MINIMAL = """\
matcue: 1
title: Short
exercises:
  - name: Pelvic tilt
    position: Lie on your back.
    steps:
      - inhale: Lift.
"""


def test_design_example_builds_the_full_model() -> None:
    """The DESIGN §2 example, verbatim, with every default filled in."""
    path = GOOD / "design-example.yaml"
    timing = Timing(inhale=3, exhale=4, move=3, rest=15, set_rest=20, get_ready=6)
    expected = Routine(
        id="lumbar-mobilize",
        title="Loosen the lower back",
        language="en",
        level="beginner",
        equipment=("mat",),
        source="lumbar spine article, mobilizing section",
        cautions=("Stop at once if you feel sharp pain.",),
        defaults=timing,
        exercises=(
            Exercise(
                name="Pelvic tilt",
                position="Lie on your back, knees bent, feet close to your buttocks.",
                reps=10,
                sets=1,
                sides="none",
                timing=timing,
                steps=(
                    Step(kind="inhale", text="Lift your tailbone."),
                    Step(kind="exhale", text="Lower it slowly."),
                ),
            ),
            Exercise(
                name="Bird dog",
                position="Kneel on all fours, hands under shoulders.",
                reps=6,
                sets=1,
                sides="alternate",
                timing=timing,
                steps=(
                    Step(kind="inhale", text="Reach your {side} arm and {other} leg long."),
                    Step(kind="hold", seconds=5.0, say="Head, back and limbs in one line."),
                    Step(kind="exhale", text="Lower them."),
                ),
            ),
        ),
        path=path,
    )
    assert load_routine(path) == expected


def test_every_key_and_value_form() -> None:
    """Durations as text and hex ints, per-exercise defaults merged over the routine's,
    whitespace tidied in spoken lines, kept in notes, language normalised, id from the stem."""
    path = GOOD / "all-features.yaml"
    routine_timing = Timing(inhale=2.5, exhale=4, move=60, rest=90, set_rest=90, get_ready=10)
    expected = Routine(
        id="all-features",
        title="Side work: hips and back",
        language="en-gb",
        level="intermediate",
        equipment=("mat", "small towel"),
        source="lumbar spine article, side-lying section",
        cautions=("Stop at once if you feel sharp pain.", "Breathe freely."),
        defaults=routine_timing,
        exercises=(
            Exercise(
                name="Clam",
                position="Lie on your {side} side, knees bent.",
                reps=8,
                sets=2,
                sides="each",
                timing=Timing(inhale=2.5, exhale=5, move=60, rest=30, set_rest=90, get_ready=10),
                cautions=("Keep your {other} hip still.",),
                progress="Add a band after two weeks.",
                note="Reps from the article.\nSets are a default.",
                steps=(
                    Step(kind="exhale", text="Open your {side} knee.", seconds=3.0),
                    Step(kind="hold", seconds=2.0),
                    Step(kind="inhale", say="Close it."),
                    Step(kind="move", text="Rest.", seconds=90.0),
                    Step(kind="relax", seconds=10.0),
                    Step(kind="breathe", cycles=3, say="Breathe freely."),
                    Step(kind="exhale"),
                ),
            ),
            Exercise(
                name="Knee hug",
                position="Lie on your back.",
                sides="both",
                timing=routine_timing,
                steps=(Step(kind="inhale", text="Hug both knees."),),
            ),
        ),
        path=path,
    )
    assert load_routine(path) == expected


def test_parse_routine_defaults() -> None:
    routine = parse_routine(MINIMAL, "short.yaml")
    assert routine == Routine(
        id="short",
        title="Short",
        exercises=(
            Exercise(
                name="Pelvic tilt",
                position="Lie on your back.",
                steps=(Step(kind="inhale", text="Lift."),),
            ),
        ),
    )
    assert routine.path is None


@pytest.mark.parametrize(
    ("filename", "default_id", "expected"),
    [
        ("My Back_Routine.yaml", None, "my-back-routine"),
        ("dir/lumbar.v2.yaml", None, "lumbar-v2"),
        ("<stdin>", None, "stdin"),
        ("???.yaml", None, "routine"),
        ("x.yaml", "given-id", "given-id"),
    ],
)
def test_id_defaults_to_the_file_stem(filename: str, default_id: str | None, expected: str) -> None:
    assert parse_routine(MINIMAL, filename, default_id=default_id).id == expected


def test_id_in_the_file_wins() -> None:
    assert parse_routine("id: set-by-file\n" + MINIMAL, "x.yaml", default_id="other").id == (
        "set-by-file"
    )


def test_yes_is_not_a_number_but_may_be_text() -> None:
    """YAML 1.1 reads ``yes`` as true: never a count, but fine as a title."""
    with pytest.raises(RoutineError) as info:
        parse_routine(MINIMAL.replace("    steps:", "    reps: yes\n    steps:"), "x.yaml")
    assert str(info.value) == "x.yaml:6:11: reps must be a whole number from 1 to 100, got 'yes'"
    assert parse_routine(MINIMAL.replace("title: Short", "title: yes"), "x.yaml").title == "yes"


def test_a_byte_order_mark_is_allowed_at_the_start() -> None:
    assert parse_routine("\ufeff" + MINIMAL, "x.yaml").title == "Short"


def test_routine_error_is_an_input_error_whose_str_is_the_first_problem() -> None:
    with pytest.raises(RoutineError) as info:
        parse_routine("matcue: 1\n", "x.yaml")
    err = info.value
    assert isinstance(err, InputError)
    assert err.problems == (
        Problem("x.yaml", 1, 1, "missing required key 'title' at the top level"),
        Problem("x.yaml", 1, 1, "missing required key 'exercises' at the top level"),
    )
    assert str(err) == "x.yaml:1:1: missing required key 'title' at the top level"
    assert err.source == "matcue: 1\n"


def test_unreadable_files_are_input_errors(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(InputError) as info:
        load_routine(missing)
    assert not isinstance(info.value, RoutineError)
    assert str(info.value) == f"cannot read routine file {missing}: no such file or directory"
    with pytest.raises(InputError) as info:
        load_routine(tmp_path)
    assert str(info.value) == f"cannot read routine file {tmp_path}: is a directory"


def test_validate_files_returns_the_errors_in_order() -> None:
    errors = validate_files(
        [GOOD / "design-example.yaml", BAD / "version.yaml", BAD / "empty.yaml"]
    )
    assert [e.problems[0].file for e in errors] == [
        str(BAD / "version.yaml"),
        str(BAD / "empty.yaml"),
    ]


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (5, 5.0),
        (2.5, 2.5),
        ("90", 90.0),
        ("90s", 90.0),
        (" 90 sec ", 90.0),
        ("2min", 120.0),
        ("1.5 min", 90.0),
        ("1min30s", 90.0),
        ("1 min 30 s", 90.0),
        (".5s", 0.5),
        ("1h", 3600.0),
        ("2 Minutes", 120.0),
        (3600, 3600.0),
    ],
)
def test_parse_duration(value: str | float, seconds: float) -> None:
    assert parse_duration(value) == seconds


TEXT_HINT = "must be a number of seconds or text like '90s', '2min' or '1min30s'"
RANGE_HINT = "must be more than 0 and at most 3600 seconds (one hour)"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ten", f"duration {TEXT_HINT}, got 'ten'"),
        ("30s1min", f"duration {TEXT_HINT}, got '30s1min'"),  # units go large to small
        ("1min1min", f"duration {TEXT_HINT}, got '1min1min'"),
        ("5 parsecs", f"duration {TEXT_HINT}, got '5 parsecs'"),
        ("-5s", f"duration {TEXT_HINT}, got '-5s'"),
        ("1e3", f"duration {TEXT_HINT}, got '1e3'"),
        ("", f"duration {TEXT_HINT}, got ''"),
        (0, f"duration {RANGE_HINT}, got 0"),
        ("0s", f"duration {RANGE_HINT}, got '0s'"),
        (-1.5, f"duration {RANGE_HINT}, got -1.5"),
        (3600.5, f"duration {RANGE_HINT}, got 3600.5"),
        ("61min", f"duration {RANGE_HINT}, got '61min'"),
        (float("nan"), f"duration {RANGE_HINT}, got nan"),
        (float("inf"), f"duration {RANGE_HINT}, got inf"),
        (10**400, f"duration {RANGE_HINT}, got 1000000000000000000…"),
        (True, "duration must be a number of seconds, got True"),
    ],
)
def test_parse_duration_rejects(value: str | float, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(value)
    assert str(info.value) == message


def test_parse_duration_names_the_key() -> None:
    with pytest.raises(ValueError) as info:
        parse_duration("1 week", name="hold")
    assert str(info.value) == f"hold {TEXT_HINT}, got '1 week'"


# --------------------------------------------------------------------------- library


@pytest.fixture
def fake_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "library"
    folder.mkdir()
    for ident in ("lumbar-stretch", "desk-seated", "first-aid"):
        (folder / f"{ident}.yaml").write_text(MINIMAL.replace("Short", ident), encoding="utf-8")
    (folder / "README.md").write_text("not a routine", encoding="utf-8")
    monkeypatch.setattr(library, "LIBRARY_DIR", folder)
    return folder


def test_library_dir_is_the_package_folder() -> None:
    assert library.LIBRARY_DIR.parts[-2:] == ("matcue", "library")
    assert builtin_ids() == sorted(p.stem for p in library.LIBRARY_DIR.glob("*.yaml"))


def test_builtin_ids_and_loading(fake_library: Path) -> None:
    assert builtin_ids() == ["desk-seated", "first-aid", "lumbar-stretch"]
    routines = load_builtin_routines()
    assert [(r.id, r.title, r.path) for r in routines] == [
        (i, i, fake_library / f"{i}.yaml") for i in ("desk-seated", "first-aid", "lumbar-stretch")
    ]


def test_no_library_folder_means_no_builtins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library, "LIBRARY_DIR", tmp_path / "missing")
    assert builtin_ids() == []


def test_resolve_prefers_an_existing_file(
    fake_library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "first-aid").write_text(MINIMAL, encoding="utf-8")
    assert resolve("first-aid") == Path("first-aid")
    assert resolve("desk-seated") == fake_library / "desk-seated.yaml"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "lumbar-strech",
            "no routine named 'lumbar-strech' (did you mean 'lumbar-stretch'?); "
            "run `matcue list` to see the built-in routines",
        ),
        (
            "desk",
            "no routine named 'desk' (did you mean 'desk-seated'?); "
            "run `matcue list` to see the built-in routines",
        ),
        ("yoga", "no routine named 'yoga'; run `matcue list` to see the built-in routines"),
        (
            "first-ade.yaml",
            "there is no routine file first-ade.yaml (did you mean 'first-aid'?); "
            "give an existing file or a built-in id (run `matcue list` to see them)",
        ),
        (
            "routines/mine.yaml",
            "there is no routine file routines/mine.yaml; "
            "give an existing file or a built-in id (run `matcue list` to see them)",
        ),
    ],
)
def test_resolve_unknown_names(
    fake_library: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as info:
        resolve(name)
    assert str(info.value) == message


def test_resolve_a_folder(fake_library: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        resolve(str(tmp_path))
    assert str(info.value) == f"{tmp_path} is a folder, not a routine file"
