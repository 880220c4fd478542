"""The options of the CLI as a user meets them: which command takes which, the values a
command gets from them, and the errors for bad values (exit 2, typer's message)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main

from matcue import cli
from matcue.cli import SessionOptions, app, main

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
    """The routine and options each command hands to ``_session``, which then ends it."""
    calls: list[tuple[str, SessionOptions]] = []

    def session(name: str, options: SessionOptions, **_: object) -> None:
        calls.append((name, options))
        raise typer.Exit(0)

    monkeypatch.setattr(cli, "_session", session)
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


NUMBER = "Input should be a valid number, unable to parse string as a number"
INTEGER = "Input should be a valid integer, unable to parse string as an integer"
AT_LEAST = "Input should be greater than or equal to "
AT_MOST = "Input should be less than or equal to "
PACE = "'--pace' / '-p'"  # how typer names an option with a short name too

# a bad value given to a command's option, and the reason typer gives (after "Invalid value
# for OPTION: "); nan and inf are out of range, whatever the wording
BAD_VALUES: dict[str, tuple[str, str, str, str]] = {
    "pace-word": ("plan", "--pace", "fast", NUMBER),
    "pace-slow": ("plan", "--pace", "5", AT_LEAST + "10"),
    "play-pace-fast": ("play", "-p", "401", AT_MOST + "400"),
    "export-pace-slow": ("export", "--pace", "5", AT_LEAST + "10"),
    "pace-nan": ("plan", "--pace", "nan", ""),
    "export-pace-inf": ("export", "--pace", "inf", ""),
    "reps-fraction": ("plan", "--reps", "2.5", INTEGER),
    "reps-none": ("play", "--reps", "0", AT_LEAST + "1"),
    "sets-many": ("plan", "--sets", "21", AT_MOST + "20"),
    "week-0": ("plan", "--week", "0", AT_LEAST + "1"),
    "rest-negative": ("plan", "--rest", "-1", AT_LEAST + "0"),
    "holds-word": ("plan", "--holds", "x", NUMBER),
    "rate-slow": ("export", "--rate", "79", AT_LEAST + "80"),
    "level": ("plan", "--level", "fast", "Value error, 'fast' is not one of {levels}."),
    "level-case": ("play", "--level", "GENTLE", "Value error, 'GENTLE' is not one of {levels}."),
    "count": ("plan", "--count", "loud", "Value error, 'loud' is not one of {counts}."),
    "breath-words": (
        "export",
        "--breath-words",
        "often",
        "Value error, 'often' is not one of {words}.",
    ),
    "loudness": ("export", "--loudness", "-5", AT_MOST + "-12"),
    "subtitles": ("export", "--subtitles", "VTT", "Value error, 'VTT' is not one of 'vtt', 'srt'."),
    "bitrate": ("export", "--bitrate", "x", INTEGER),
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
    assert f"Error: Invalid value for {name}: {reason.format(**CHOICES)}" in err
    assert f"Usage: matcue {command} [OPTIONS]" in err
    assert "Traceback" not in err
    assert seen == []  # refused before any work
    assert list(tmp_path.iterdir()) == []
