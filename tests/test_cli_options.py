"""The options of the CLI as a user meets them: which command takes which, the values a
command gets from them, and the errors for bad values (exit 2, typer's (click's) message)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main

from matcue import api
from matcue.api import Options as SessionOptions
from matcue.cli import app, main
from matcue.routine import Routine

PACE_AND_VOICE = (
    "pace",
    "level",
    "breath",
    "holds",
    "rest",
    "reps",
    "sets",
    "week",
    "count",
    "breath_words",
    "voice",
    "rate",
    "volume",
    "lang",
)
SOUND = ("stereo", "music")
SESSION_COMMANDS = {"plan": PACE_AND_VOICE, "play": PACE_AND_VOICE + SOUND}
SESSION_COMMANDS["export"] = SESSION_COMMANDS["play"]


def commands() -> dict[str, Any]:
    """Every command and group of the CLI by its full name, sub-commands (`config set`)
    included."""
    found: dict[str, Any] = {}

    def walk(name: str, command: Any) -> None:
        found[name] = command
        for sub, inner in getattr(command, "commands", {}).items():
            walk(f"{name} {sub}" if name != "matcue" else sub, inner)

    walk("matcue", typer.main.get_command(app))
    return found


def declaration(param: Any) -> tuple[Any, ...]:
    """What --help and the parser make of a parameter."""
    return (
        param.opts,
        param.secondary_opts,
        param.help,
        param.metavar,
        param.default,
        param.rich_help_panel,
        param.required,
    )


def test_every_command_takes_its_parameters() -> None:
    names = {(c, p.name) for c, command in commands().items() for p in command.params}
    for command, shared in SESSION_COMMANDS.items():
        for option in shared:
            assert (command, option) in names
    assert ("plan", "stereo") not in names and ("plan", "music") not in names
    assert ("plan", "as_json") in names
    assert ("voices", "lang") in names
    for option in ("resume", "start_at", "quiet"):  # the keys' play options
        assert ("play", option) in names
    for option in ("output", "bitrate", "quality", "loudness", "split", "subtitles", "quiet"):
        assert ("export", option) in names
    assert ("history", "as_json") in names
    assert ("config set", "key") in names and ("config set", "value") in names
    assert ("config unset", "key") in names


def test_plan_play_and_export_share_each_option_in_the_same_order() -> None:
    found = commands()
    declared: dict[str, dict[str, tuple[Any, ...]]] = {}
    for command, shared in SESSION_COMMANDS.items():
        params = [p for p in found[command].params if p.name in shared]
        assert [p.name for p in params] == list(shared), command  # the order of --help
        declared[command] = {p.name: declaration(p) for p in params}
    for option in PACE_AND_VOICE:
        assert declared["plan"][option] == declared["play"][option] == declared["export"][option]
    for option in SOUND:
        assert declared["play"][option] == declared["export"][option]
    assert declared["plan"]["pace"][:2] == (["--pace", "-p"], [])
    assert declared["play"]["stereo"][:2] == (["--stereo"], ["--mono"])


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, SessionOptions]]:
    """The routine and options each command hands to ``matcue.api`` (plan or prepare), which
    then ends it."""
    calls: list[tuple[str, SessionOptions]] = []

    def session(routine: str | Routine, options: SessionOptions, **_: object) -> None:
        # play reads the routine first (to know where it starts): the routine, by its id
        calls.append((routine.id if isinstance(routine, Routine) else routine, options))
        raise typer.Exit(0)

    monkeypatch.setattr(api, "plan", session)
    monkeypatch.setattr(api, "prepare", session)
    return calls


GIVEN_PAIRS = {
    "--pace": "80.5",
    "--level": "gentle",
    "--breath": "4:6",
    "--holds": "120",
    "--rest": "10",
    "--reps": "5",
    "--sets": "2",
    "--week": "3",
    "--count": "tones",
    "--breath-words": "first",
    "--voice": "en",
    "--rate": "160",
    "--volume": "80%",
    "--lang": "pl",
}
GIVEN = [word for pair in GIVEN_PAIRS.items() for word in pair]
GIVEN_VALUES = SessionOptions(
    pace=80.5,
    level="gentle",
    breath="4:6",
    holds=120.0,
    rest=10.0,
    reps=5,
    sets=2,
    week=3,
    count="tones",
    breath_words="first",
    voice="en",
    rate=160,
    volume="80%",
    lang="pl",
)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["plan", "first-aid"], SessionOptions()),
        (["play", "first-aid"], SessionOptions()),
        (["plan", "first-aid", *GIVEN], GIVEN_VALUES),
        (["play", "first-aid", *GIVEN, "--mono"], replace(GIVEN_VALUES, stereo=False)),
        (
            ["play", "first-aid", "-p", "50", "--stereo", "--music", "under.ogg"],
            SessionOptions(pace=50.0, stereo=True, music=Path("under.ogg")),
        ),
        (
            ["export", "first-aid", "-o", "{out}", *GIVEN, "--stereo", "--music", "m.mp3"],
            replace(GIVEN_VALUES, stereo=True, music=Path("m.mp3")),
        ),
        (
            ["plan", "first-aid", "--pace", "1e2", "--reps", " 7"],
            SessionOptions(pace=100.0, reps=7),
        ),
    ],
    ids=["plan", "play", "plan-all", "play-all", "play-sound", "export-all", "plan-spellings"],
)
def test_the_options_reach_the_session_as_typed(
    seen: list[tuple[str, SessionOptions]],
    tmp_path: Path,
    args: list[str],
    expected: SessionOptions,
) -> None:
    args = [a.format(out=tmp_path / "out.wav") for a in args]
    assert main(args) == 0
    [(routine, options)] = seen
    assert routine == "first-aid"
    assert options == expected
    for field, value in vars(options).items():  # plain values: no enum reaches the session
        assert type(value) is type(getattr(expected, field)), field


PACE = "'--pace' / '-p'"  # how typer names an option with a short name too
NOT_FINITE = "is not a finite number."

# a bad value given to a command's option, and the reason typer (its click) gives (after
# "Invalid value for OPTION: "); but for NOT_FINITE, matcue's own, these are click's wording,
# acceptable only while typer is locked (<0.29)
BAD_VALUES: dict[str, tuple[str, str, str, str]] = {
    "pace-word": ("plan", "--pace", "fast", "'fast' is not a valid float range."),
    "pace-slow": ("plan", "--pace", "5", "5.0 is not in the range 10<=x<=400."),
    "play-pace-fast": ("play", "-p", "401", "401.0 is not in the range 10<=x<=400."),
    "export-pace-slow": ("export", "--pace", "5", "5.0 is not in the range 10<=x<=400."),
    "pace-nan": ("plan", "--pace", "nan", f"nan {NOT_FINITE}"),
    "export-pace-inf": ("export", "--pace", "inf", "inf is not in the range 10<=x<=400."),
    "holds-nan": ("play", "--holds", "NaN", f"nan {NOT_FINITE}"),
    "rest-nan": ("plan", "--rest", "nan", f"nan {NOT_FINITE}"),
    "quality-inf": ("export", "--quality", "inf", f"inf {NOT_FINITE}"),
    "loudness-nan": ("export", "--loudness", "nan", f"nan {NOT_FINITE}"),
    "reps-fraction": ("plan", "--reps", "2.5", "'2.5' is not a valid int range."),
    "reps-none": ("play", "--reps", "0", "0 is not in the range 1<=x<=100."),
    "sets-many": ("plan", "--sets", "21", "21 is not in the range 1<=x<=20."),
    "week-0": ("plan", "--week", "0", "0 is not in the range 1<=x<=104."),
    "rest-negative": ("plan", "--rest", "-1", "-1.0 is not in the range 0<=x<=3600."),
    "holds-word": ("plan", "--holds", "x", "'x' is not a valid float range."),
    "rate-slow": ("export", "--rate", "79", "79 is not in the range 80<=x<=450."),
    "level": ("plan", "--level", "fast", "'fast' is not one of {levels}."),
    "level-case": ("play", "--level", "GENTLE", "'GENTLE' is not one of {levels}."),
    "count": ("plan", "--count", "loud", "'loud' is not one of {counts}."),
    "breath-words": ("export", "--breath-words", "often", "'often' is not one of {words}."),
    "loudness": ("export", "--loudness", "-35", "-35.0 is not in the range x>=-30."),
    "subtitles": ("export", "--subtitles", "VTT", "'VTT' is not one of 'vtt', 'srt'."),
    "bitrate": ("export", "--bitrate", "x", "'x' is not a valid int."),
}
CHOICES = {
    "levels": "'gentle', 'standard', 'strong'",
    "counts": "'voice', 'tones', 'off'",
    "words": "'always', 'first', 'never'",
}


@pytest.mark.parametrize("case", BAD_VALUES)
def test_a_bad_value_is_a_usage_error_with_its_reason(
    seen: list[tuple[str, SessionOptions]],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    case: str,
) -> None:
    command, option, value, reason = BAD_VALUES[case]
    output = ["-o", str(tmp_path / "out.wav")] if command == "export" else []
    assert main([command, "first-aid", *output, option, value]) == 2
    err = capsys.readouterr().err
    name = PACE if option in ("--pace", "-p") else f"'{option}'"
    # click's wording (typer's): acceptable only while typer is locked (<0.29)
    assert f"Error: Invalid value for {name}: {reason.format(**CHOICES)}" in err
    assert f"Usage: matcue {command} [OPTIONS]" in err
    assert "Traceback" not in err
    assert seen == []  # refused before any work
    assert list(tmp_path.iterdir()) == []


def float_options() -> list[tuple[str, str]]:
    """(command, option) of every option of the CLI that takes a decimal number."""
    return [
        (name, param.opts[0])
        for name, command in commands().items()
        for param in command.params
        if getattr(param.type, "name", None) in ("float", "float range")
    ]


def test_every_decimal_option_refuses_nan_and_inf(
    seen: list[tuple[str, SessionOptions]],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Click lets nan through its ranges (and inf where there is no bound): each such option
    refuses them itself, the options added later included."""
    found = float_options()
    assert set(found) >= {
        *((c, o) for c in SESSION_COMMANDS for o in ("--pace", "--holds", "--rest")),
        ("export", "--quality"),
        ("export", "--loudness"),
    }
    for command, option in found:
        output = ["-o", str(tmp_path / "out.wav")] if command == "export" else []
        for value in ("nan", "-inf"):
            assert main([command, "first-aid", *output, option, value]) == 2, (command, option)
            err = capsys.readouterr().err
            # click's wording (typer's): acceptable only while typer is locked (<0.29)
            assert "Error: Invalid value for " in err and f"'{option}'" in err
            assert "Traceback" not in err
            # nan is refused for not being finite, -inf for that or for being out of range
            # (click's "is not in the range": acceptable only while typer is locked (<0.29))
            assert f": {value} {NOT_FINITE}" in err or f": {value} is not in the range" in err
            if value == "nan":
                assert f": nan {NOT_FINITE}" in err
    assert seen == []
    assert list(tmp_path.iterdir()) == []
