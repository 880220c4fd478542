"""Every problem in a routine file is reported as FILE:LINE:COL, its line and a caret.

Golden files: each ``routines/bad/NAME.yaml`` has ``NAME.txt``, the exact ``err.format()``.
Hostile input (random text, bytes, mangled routines, alias bombs, deep nesting, tags) ends in
a ``Routine`` or a ``RoutineError``, never another exception.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcue.routine import Problem, Routine, RoutineError, load_routine, parse_routine, source
from matcue.routine.loader import parse_routine_bytes

BAD = Path(__file__).parent / "routines" / "bad"
DESIGN_EXAMPLE = (Path(__file__).parent / "routines" / "good" / "design-example.yaml").read_text(
    encoding="utf-8"
)
LOADERS = [yaml.SafeLoader, *([yaml.CSafeLoader] if yaml.__with_libyaml__ else [])]
NODES_MESSAGE = (
    "the file has more than 100000 YAML nodes (counting each use of an alias); "
    "a routine needs far fewer"
)


@pytest.fixture(params=LOADERS, ids=lambda loader_class: loader_class.__name__)
def yaml_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run a test with PyYAML's pure-Python parser and with libyaml's, where present."""
    monkeypatch.setattr(source, "_LOADER", request.param)
    yield


def problems_of(text: str, filename: str = "x.yaml") -> RoutineError:
    with pytest.raises(RoutineError) as info:
        parse_routine(text, filename)
    return info.value


# --------------------------------------------------------------------------- golden files


@pytest.mark.usefixtures("yaml_loader")
@pytest.mark.parametrize("path", sorted(BAD.glob("*.yaml")), ids=lambda p: p.stem)
def test_bad_file_reports_every_problem(path: Path) -> None:
    expected = path.with_suffix(".txt").read_text(encoding="utf-8")
    with pytest.raises(RoutineError) as info:
        parse_routine_bytes(path.read_bytes(), path.name)
    assert info.value.format() + "\n" == expected


def test_the_bad_files_cover_every_class_of_problem() -> None:
    """Guards the golden set against losing a class of problem when files are edited."""
    text = "".join(p.read_text(encoding="utf-8") for p in BAD.glob("*.txt"))
    for fragment in [
        "unknown key 'rep' in exercise (did you mean 'reps'?)\n   12 |     rep: 10\n",
        "duplicate key 'reps' (first at line 6)",
        "reps must be a whole number from 1 to 100, got 'ten'",
        "unsupported format version 2; this matcue reads version 1",
        "unsupported tag !!python/object/apply:os.system",
        "a tab character indents this line",
        "{side} needs sides: each or alternate",
        "the file is not UTF-8 text",
        "the file is empty",
        "a routine must be a mapping",
        "is too long (327 characters)",
        "\n… and 5 more\n",
    ]:
        assert fragment in text


# --------------------------------------------------------------------------- formatting


def test_format_stops_at_the_limit() -> None:
    path = BAD / "many-problems.yaml"
    with pytest.raises(RoutineError) as info:
        parse_routine_bytes(path.read_bytes(), path.name)
    err = info.value
    assert len(err.problems) == 25
    assert err.format(limit=2) == (
        "many-problems.yaml:6:5: unknown key 'rep' in exercise (did you mean 'reps'?)\n"
        "    6 |     rep: 1\n"
        "      |     ^\n"
        "many-problems.yaml:11:5: unknown key 'rep' in exercise (did you mean 'reps'?)\n"
        "   11 |     rep: 2\n"
        "      |     ^\n"
        "… and 23 more"
    )
    assert err.format(limit=0) == "… and 25 more"
    assert err.format(limit=25).count("unknown key") == 25
    assert "more" not in err.format(limit=25)


def test_caret_keeps_tabs_so_it_lines_up() -> None:
    err = RoutineError([Problem("f.yaml", 3, 4, "here")], "a\nb\n\tx\ty\n")
    assert err.format() == "f.yaml:3:4: here\n    3 | \tx\ty\n      | \t \t^"


def test_long_lines_show_a_window_around_the_caret() -> None:
    line = "x" * 300 + "^" + "y" * 300
    err = RoutineError([Problem("f.yaml", 1, 301, "here")], line)
    _, source, caret = err.format().split("\n")
    assert source.startswith("    1 | …x") and len(source) == len("    1 | ") + 120
    assert source[caret.index("^")] == "^"


def test_a_problem_at_the_end_of_the_file_shows_an_empty_line() -> None:
    err = RoutineError([Problem("f.yaml", 2, 1, "ends early")], "title: [a\n")
    assert err.format() == "f.yaml:2:1: ends early\n    2 |\n      | ^"


def test_a_routine_error_needs_a_problem() -> None:
    with pytest.raises(ValueError):
        RoutineError([])


# --------------------------------------------------------------------------- YAML syntax


COLON_MESSAGE = (
    "a colon and a space here would start another key inside a value; "
    "put text that holds ': ' in quotes"
)


@pytest.mark.usefixtures("yaml_loader")
@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("matcue: 1\ntitle: a: b\n", 2),
        ("matcue: 1\nexercises:\n  - name: x\n    steps:\n      - inhale: In: slowly\n", 5),
        ("matcue: 1\ncautions:\n  - Stop: at once: now\n", 3),
    ],
    ids=["title", "step", "list-item"],
)
def test_a_colon_in_a_plain_value_gets_matcues_sentence(text: str, line: int) -> None:
    """PyYAML and libyaml word this error differently: matcue says it in its own words."""
    (problem,) = problems_of(text).problems
    assert (problem.line, problem.message) == (line, COLON_MESSAGE)


@pytest.mark.usefixtures("yaml_loader")
def test_other_yaml_syntax_errors_are_invalid_yaml_at_their_line() -> None:
    """The rest of the message is the parser's own detail, worded by each parser differently."""
    (problem,) = problems_of("matcue: 1\ntitle: ]\n").problems
    assert problem.line == 2
    assert problem.message.startswith("invalid YAML: ")


@pytest.mark.usefixtures("yaml_loader")
def test_braces_in_a_flow_list_get_a_hint() -> None:
    err = problems_of("matcue: 1\ncautions: [Keep your {side} hip still.]\n")
    assert err.problems[0].message.endswith("; put text with {side} or {other} in quotes")


@pytest.mark.usefixtures("yaml_loader")
def test_tab_indentation() -> None:
    err = problems_of("matcue: 1\ndefaults:\n  inhale: 3\n\texhale: 4\n")
    assert str(err) == (
        "x.yaml:4:1: a tab character indents this line; YAML indents with spaces only"
    )


@pytest.mark.usefixtures("yaml_loader")
def test_duplicate_keys_are_errors_not_last_one_wins() -> None:
    err = problems_of("matcue: 1\ntitle: A\ntitle: B\ntitle: C\n")
    assert [str(p) for p in err.problems] == [
        "x.yaml:1:1: missing required key 'exercises' at the top level",
        "x.yaml:3:1: duplicate key 'title' (first at line 2)",
        "x.yaml:4:1: duplicate key 'title' (first at line 2)",
    ]


# --------------------------------------------------------------------------- hostile input


@pytest.mark.usefixtures("yaml_loader")
def test_python_tags_are_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "owned"
    text = DESIGN_EXAMPLE.replace(
        "title: Loosen the lower back",
        f'title: !!python/object/apply:os.system ["touch {marker}"]',
    )
    err = problems_of(text)
    assert str(err) == (
        "x.yaml:3:8: unsupported tag !!python/object/apply:os.system; "
        "routine files use plain YAML without tags"
    )
    assert not marker.exists()


@pytest.mark.usefixtures("yaml_loader")
def test_an_alias_bomb_stops_at_the_node_limit() -> None:
    """100 exercises, each an alias of one with 1,500 aliased steps: 150,000 steps to read."""
    steps = ", ".join(["*s"] * 1500)
    text = (
        "matcue: 1\ntitle: Bomb\nexercises:\n"
        f"  - &e {{name: n, position: p, steps: [&s {{inhale: In.}}, {steps}]}}\n" + "  - *e\n" * 99
    )
    err = problems_of(text)
    # one problem, somewhere in the aliased exercise (where depends on the reading order)
    assert [(p.line, p.message) for p in err.problems] == [(4, NODES_MESSAGE)]


@pytest.mark.usefixtures("yaml_loader")
def test_billion_laughs_is_read_once() -> None:
    lines = ["matcue: 1", "title: Laughs", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    lines += ["equipment: *a9", "exercises: [{name: n, position: p, steps: *a9}]"]
    err = problems_of("\n".join(lines) + "\n")
    # the nine lists of *a8 all sit at a8's anchor: one problem each, not nine
    assert [str(p) for p in err.problems] == [
        *(f"x.yaml:{i + 3}:1: unknown key 'a{i}' at the top level" for i in range(9)),
        "x.yaml:11:5: equipment item must be text, got a list",
        "x.yaml:11:5: a step must be a mapping like 'inhale: TEXT' or 'hold: 5', got a list",
        "x.yaml:12:1: unknown key 'a9' at the top level",
    ]


def test_recursive_alias() -> None:
    err = problems_of("matcue: 1\ntitle: Loop\nexercises: &x [*x]\n")
    assert str(err) == (
        "x.yaml:3:12: an exercise must be a mapping with name, position and steps, got a list"
    )


DEPTH_MESSAGE = "the file nests lists and mappings more than 50 levels deep"


@pytest.mark.usefixtures("yaml_loader")
@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("matcue: 1\ntitle: " + "[" * 100_000, 2),
        ("matcue: 1\ntitle: T\nexercises:\n  - name: a\n    steps: " + "{a: " * 3_000, 5),
        ("matcue: 1\ntitle: T\nequipment:\n" + "".join(f"{' ' * i}- \n" for i in range(60)), 53),
    ],
    ids=["flow-lists", "flow-mappings", "block-lists"],
)
def test_deep_nesting_is_refused_before_composing(text: str, line: int) -> None:
    """libyaml's composer recurses in C: 100,000 open brackets would crash the process.

    libyaml's scanner may stop first at a nesting limit of its own (PyYAML 6.0.4's libyaml
    does, at 1,000 levels): matcue's sentence and line all the same, whichever parser reads.
    """
    (problem,) = problems_of(text).problems
    assert (problem.file, problem.line, problem.message) == ("x.yaml", line, DEPTH_MESSAGE)


def test_too_many_nodes_without_aliases() -> None:
    err = problems_of("matcue: 1\ntitle: T\nequipment: [" + "a, " * 100_001 + "]\n")
    # 7 nodes before the list's items (root, 3 keys, 2 values, the list): item 99,994 is too
    # many, at column 13 + 3 * 99,993
    assert err.problems == (Problem("x.yaml", 3, 299_992, NODES_MESSAGE),)


def test_files_over_one_megabyte_are_refused(tmp_path: Path) -> None:
    message = "the file is larger than 1 MB; a routine file must be smaller"
    path = tmp_path / "huge.yaml"
    path.write_text(DESIGN_EXAMPLE + "#" * 1_000_000, encoding="utf-8")
    with pytest.raises(RoutineError) as info:
        load_routine(path)
    assert info.value.problems == (Problem(str(path), 1, 1, message),)
    assert str(problems_of("#" * 1_000_001)) == f"x.yaml:1:1: {message}"


def check_outcome(outcome: Routine | RoutineError) -> None:
    if isinstance(outcome, RoutineError):
        assert outcome.problems
        assert all(p.line >= 1 and p.col >= 1 and p.message for p in outcome.problems)
        assert outcome.format().startswith(str(outcome))


def parse_text(text: str) -> Routine | RoutineError:
    try:
        return parse_routine(text, "fuzz.yaml")
    except RoutineError as err:
        return err


YAMLISH = st.text(alphabet=" \t\n:-[]{},!&*|>'\"#?%@`~0123456789.abcdeimnorstx{}", max_size=200)
HOSTILE = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.usefixtures("yaml_loader")
@pytest.mark.parametrize(
    ("char", "code"), [("\x00", "0000"), ("\x1b", "001B"), ("\ud800", "D800"), ("\ufeff", "FEFF")]
)
def test_characters_yaml_forbids(char: str, code: str) -> None:
    """Caught before YAML (libyaml cannot even be handed a lone surrogate)."""
    err = problems_of(f"matcue: 1\ntitle: a{char}b\n")
    assert str(err) == f"x.yaml:2:9: character U+{code} is not allowed in a routine file"


ANY_CHAR = st.characters(exclude_categories=())  # surrogates and control characters too


@pytest.mark.usefixtures("yaml_loader")
@HOSTILE
@given(st.text(max_size=300) | st.text(ANY_CHAR, max_size=50) | YAMLISH)
def test_any_text_gives_a_routine_or_problems(text: str) -> None:
    check_outcome(parse_text(text))


@pytest.mark.usefixtures("yaml_loader")
@HOSTILE
@given(st.binary(max_size=300))
def test_any_bytes_give_a_routine_or_problems(data: bytes) -> None:
    try:
        outcome: Routine | RoutineError = parse_routine_bytes(data, "fuzz.yaml")
    except RoutineError as err:
        outcome = err
    check_outcome(outcome)


@st.composite
def mangled_example(draw: st.DrawFn) -> str:
    """The DESIGN example with a few characters inserted, deleted or replaced."""
    text = DESIGN_EXAMPLE
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        new = draw(
            st.sampled_from([" ", "\t", "\n", ":", "-", "{", "}", "[", "&a", "*a", "!x", ""])
        )
        cut = draw(st.integers(0, 3))
        text = text[:at] + new + text[at + cut :]
    return text


@pytest.mark.usefixtures("yaml_loader")
@HOSTILE
@given(mangled_example())
def test_a_mangled_routine_gives_a_routine_or_problems(text: str) -> None:
    check_outcome(parse_text(text))


@pytest.mark.parametrize("version", ["1", "'1'", "1.0"])
def test_version_one_may_be_written_as(version: str) -> None:
    text = DESIGN_EXAMPLE.replace("matcue: 1 ", f"matcue: {version} ")
    assert parse_routine(text, "x.yaml").title == "Loosen the lower back"


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("2", "unsupported format version 2; this matcue reads version 1"),
        ("0.9", "unsupported format version 0.9; this matcue reads version 1"),
        ("one", "matcue must be the format version 1, got 'one'"),
        ("[1]", "matcue must be the format version 1, got a list"),
        ("!!binary 1", "unsupported tag !!binary; routine files use plain YAML without tags"),
    ],
)
def test_other_versions(version: str, message: str) -> None:
    text = DESIGN_EXAMPLE.replace("matcue: 1 ", f"matcue: {version} ")
    assert str(problems_of(text)) == f"x.yaml:1:9: {message}"
