"""The value parsers a routine file, the command line and the timeline share (routine/values.py).

One rule each: durations, the breath ratio ``IN:OUT`` / ``IN:HOLD:OUT``, language codes. The
routine file and ``--breath`` / ``--lang`` accept and refuse the same texts, each caller
wording its problem in its own way. (More durations: tests/test_routine_loader.py.)
"""

from __future__ import annotations

import pytest

from matcue.api import session
from matcue.errors import InputError
from matcue.routine import Breath, RoutineError, parse_routine
from matcue.routine.values import (
    base_language,
    parse_breath,
    parse_duration,
    parse_language,
)
from matcue.timeline import phrases_for
from matcue.timeline.phrases import CZECH, ENGLISH, POLISH

BREATH_FORMS = "seconds in and out like '4:6', or in, hold and out like '4:2:6' (each at most 60)"
LANGUAGE_HINT = "must be a short language code like 'en', 'pl' or 'en-gb'"


def routine_with(line: str) -> str:
    """A valid routine with ``line`` added to its exercise (or to the top when it has no indent)."""
    top, exercise = (line, "") if not line.startswith(" ") else ("", line)
    return (
        f"matcue: 1\ntitle: T\n{top}exercises:\n  - name: N\n    position: P\n{exercise}"
        "    steps: [{inhale: In.}]\n"
    )


# --------------------------------------------------------------------------- durations


def test_one_duration_rule_for_text_and_numbers() -> None:
    assert parse_duration("1min30s") == 90.0  # 1 * 60 + 30
    assert parse_duration(" 2 Minutes ") == 120.0  # 2 * 60
    assert parse_duration(".5") == 0.5
    assert parse_duration(0, allow_zero=True) == 0.0
    with pytest.raises(ValueError) as info:
        parse_duration("+5s", name="rest", allow_zero=True)
    assert str(info.value) == (
        "rest must be a number of seconds or text like '90s', '2min' or '1min30s', got '+5s'"
    )


# --------------------------------------------------------------------------- breath


@pytest.mark.parametrize(
    ("text", "breath"),
    [
        ("4:6", Breath(inhale=4.0, exhale=6.0, hold=0.0)),
        ("4:2:6", Breath(inhale=4.0, exhale=6.0, hold=2.0)),
        ("4:0:6", Breath(inhale=4.0, exhale=6.0, hold=0.0)),
        (" 4 : 7 : 8 ", Breath(inhale=4.0, exhale=8.0, hold=7.0)),
        ("4.5:.5", Breath(inhale=4.5, exhale=0.5, hold=0.0)),
        ("60:60:60", Breath(inhale=60.0, exhale=60.0, hold=60.0)),
        ("004:6", Breath(inhale=4.0, exhale=6.0, hold=0.0)),
    ],
)
def test_parse_breath(text: str, breath: Breath) -> None:
    assert parse_breath(text) == breath


@pytest.mark.parametrize(
    "text",
    [
        "4-6",
        "4",
        "4:6:7:8",
        "4::6",
        "",
        "0:6",  # a breath in and out last more than 0
        "4:0",
        "60.1:6",  # each at most 60
        "4:61:6",
        "nan:6",
        "inf:6",
        # plain decimals only (the old --breath parser took whatever float() took)
        "1e1:6",
        "4:6e0",
        "+4:6",
        "4:+0:6",
        "4:-0:6",
        "4.:6",
        "4_0:6",
    ],
)
def test_parse_breath_refuses(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_breath(text)
    assert str(info.value) == f"breath must be {BREATH_FORMS}, got '{text}'"


def test_parse_breath_names_its_value() -> None:
    with pytest.raises(ValueError) as info:
        parse_breath("4-6", name="exercise breath")
    assert str(info.value) == f"exercise breath must be {BREATH_FORMS}, got '4-6'"


@pytest.mark.parametrize("text", ["4:2:6", " 4 : 6 "])
def test_the_file_and_the_option_accept_the_same_breath(text: str) -> None:
    routine = parse_routine(routine_with(f'    breath: "{text}"\n'), "x.yaml")
    assert routine.exercises[0].breath == session.parse_breath(text) == parse_breath(text)


@pytest.mark.parametrize("text", ["1e1:6", "4.:6", "4-6"])
def test_the_file_and_the_option_refuse_the_same_breath_each_in_its_words(text: str) -> None:
    with pytest.raises(RoutineError) as in_file:
        parse_routine(routine_with(f'    breath: "{text}"\n'), "x.yaml")
    assert str(in_file.value) == f"x.yaml:6:13: breath must be {BREATH_FORMS}, got '{text}'"
    with pytest.raises(InputError) as in_option:
        session.parse_breath(text)
    assert str(in_option.value) == (
        "--breath must be seconds in and out like 4:6, or in, hold and out like 4:7:8 "
        f"(each at most 60), not '{text}'"
    )


def test_a_breath_that_yaml_reads_as_a_number_is_shown_as_written() -> None:
    with pytest.raises(RoutineError) as info:
        parse_routine(routine_with("    breath: 46\n"), "x.yaml")
    assert str(info.value) == f"x.yaml:6:13: breath must be {BREATH_FORMS}, got 46"


# --------------------------------------------------------------------------- language codes


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("en", "en"),
        ("PL", "pl"),
        (" cs ", "cs"),
        ("en_GB", "en-gb"),
        ("EN-us", "en-us"),
        ("fil", "fil"),
        ("es-419", "es-419"),
        ("zh-Hans-CN", "zh-hans-cn"),
        ("en-gb-x-rp", "en-gb-x-rp"),  # espeak-ng's voice variants: one-letter parts
        ("en-gb-scotland", "en-gb-scotland"),
    ],
)
def test_parse_language(text: str, code: str) -> None:
    assert parse_language(text) == code


@pytest.mark.parametrize(
    "text",
    ["English", "e", "piqd", "123", "e1", "x-klingon", "en-", "-en", "en--gb", "en-abcdefghi",
     "pł", "", "en gb"],
)  # fmt: skip
def test_parse_language_refuses(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_language(text)
    assert str(info.value) == f"language {LANGUAGE_HINT}, got '{text}'"


@pytest.mark.parametrize(
    ("code", "base"),
    [("en", "en"), ("en-GB", "en"), ("pl_PL", "pl"), ("CS", "cs"), ("en-gb-x-rp", "en"), ("", "")],
)
def test_base_language(code: str, base: str) -> None:
    assert base_language(code) == base


def test_phrases_follow_the_base_language() -> None:
    assert phrases_for("pl_PL") is POLISH
    assert phrases_for("CS-cz") is CZECH
    assert phrases_for("en-gb-x-rp") is ENGLISH
    assert phrases_for("tlh") is ENGLISH


@pytest.mark.parametrize(("text", "code"), [("en_GB", "en-gb"), ("en-gb-x-rp", "en-gb-x-rp")])
def test_the_file_and_the_option_accept_the_same_languages(text: str, code: str) -> None:
    routine = parse_routine(routine_with(f"language: {text}\n"), "x.yaml")
    assert routine.language == code
    given = session.language(routine, text.upper())
    assert given.language == code


@pytest.mark.parametrize("text", ["english", "e1", "pł"])
def test_the_file_and_the_option_refuse_the_same_languages_each_in_its_words(text: str) -> None:
    with pytest.raises(RoutineError) as in_file:
        parse_routine(routine_with(f"language: {text}\n"), "x.yaml")
    assert str(in_file.value) == f"x.yaml:3:11: language {LANGUAGE_HINT}, got '{text}'"
    routine = parse_routine(routine_with(""), "x.yaml")
    with pytest.raises(InputError) as in_option:
        session.language(routine, text)
    assert str(in_option.value) == f"--lang must be a language code like en, pl or cs, not '{text}'"
