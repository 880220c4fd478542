"""The CLI's plain option coercion: the same values and errors as typer's own (pydantic)
coercion, without importing pydantic for the values a user normally types."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer._click import Context
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param

from matcue.cli import _PlainCoercion, app

VALUES: list[Any] = [
    None,
    "",
    "x",
    "first-aid",
    "50",
    "50.5",
    "+50",
    "-16",
    "-16.5",
    "0050",
    "1e2",
    " 50",
    "1_00",
    ".5",
    "50.",
    "nan",
    "inf",
    "fast",
    "٣",
    "5",
    "401",
    "150",
    "79",
    "vtt",
    "srt",
    "VTT",
    "out.wav",
    "dir/out.mp3",
    100,
    100.0,
    -16.0,
    150,
    True,
    False,
    ["a.yaml", "b.yaml"],
    ("a.yaml",),
    (),
]


def outcome(coercion: Any, value: Any, param: Any, ctx: Context) -> tuple[str, Any]:
    try:
        result = coercion.coerce(value, param=param, ctx=ctx)
    except BadParameter as err:
        return "error", err.format_message()
    return "value", (type(result), repr(result))  # repr: nan equals nan


def commands() -> list[tuple[str, Any]]:
    """Every command and group of the CLI with its full name, sub-commands (`config set`)
    included."""
    found: list[tuple[str, Any]] = []

    def walk(name: str, command: Any) -> None:
        found.append((name, command))
        for sub, inner in getattr(command, "commands", {}).items():
            walk(f"{name} {sub}" if name != "matcue" else sub, inner)

    walk("matcue", typer.main.get_command(app))
    return found


def parameters() -> list[tuple[str, Any, Any]]:
    return [(name, p, command) for name, command in commands() for p in command.params]


def test_every_parameter_is_checked() -> None:
    names = {(c, p.name) for c, p, _ in parameters()}
    for command in ("plan", "play", "export"):
        for option in ("pace", "level", "breath", "holds", "rest", "reps", "sets", "week"):
            assert (command, option) in names
        for option in ("count", "breath_words", "voice", "rate", "volume", "lang"):
            assert (command, option) in names
    for command in ("play", "export"):
        assert (command, "stereo") in names and (command, "music") in names
    assert ("voices", "lang") in names
    for option in ("resume", "start_at", "quiet"):  # the keys' play options
        assert ("play", option) in names
    assert ("history", "as_json") in names
    assert ("config set", "key") in names and ("config set", "value") in names
    assert ("config unset", "key") in names


@pytest.mark.parametrize(("command", "owner"), commands(), ids=[c for c, _ in commands()])
def test_every_parameter_gets_the_plain_coercion(command: str, owner: Any) -> None:
    for param in owner.get_params(Context(owner)):
        assert isinstance(param._runtime_param, _PlainCoercion), (command, param.name)


@pytest.mark.parametrize(
    ("command", "param", "owner"),
    parameters(),
    ids=[f"{c}-{p.name}" for c, p, _ in parameters()],
)
def test_plain_coercion_matches_typers(command: str, param: Any, owner: Any) -> None:
    ctx = Context(owner)
    typers = build_runtime_param(param.type_descriptor)
    for value in VALUES:
        if param.nargs == -1 and not isinstance(value, list | tuple | type(None)):
            continue  # a multi-value parameter only ever gets a sequence
        if param.nargs != -1 and isinstance(value, list | tuple):
            continue
        assert outcome(_PlainCoercion(), value, param, ctx) == outcome(typers, value, param, ctx), (
            command,
            param.name,
            value,
        )


def test_common_commands_do_not_import_pydantic(tmp_path: Path) -> None:
    existing = tmp_path / "exists.mp3"
    existing.write_bytes(b"")
    code = (
        "import sys\n"
        "from matcue.cli import main\n"
        f"status = main(['export', 'first-aid', '-o', {str(existing)!r}, '--pace', '80',"
        " '--rate', '160', '--loudness', '-18', '--subtitles', 'vtt', '--bitrate', '64',"
        " '--cue-sheet', '-q'])\n"
        "assert status == 2, status\n"
        f"status = main(['export', 'first-aid', '-o', {str(existing)!r}, '--level', 'gentle',"
        " '--breath', '4:6', '--holds', '120', '--rest', '10', '--reps', '5', '--sets', '2',"
        " '--week', '3', '--count', 'tones', '--breath-words', 'first', '--voice', 'en',"
        " '--volume', '80%', '--lang', 'en', '--stereo',"
        f" '--music', {str(existing)!r}, '-q'])\n"
        "assert status == 2, status\n"
        "assert main(['show', 'first-aid']) == 0\n"
        "assert main(['validate', 'first-aid', 'warm-up']) == 0\n"
        "assert main(['config', 'unset', 'pace']) == 0\n"
        "assert main(['config']) == 0\n"
        "assert main(['history']) == 0\n"
        "assert main(['history', '--json']) == 0\n"
        "status = main(['play', 'first-aid', '--from', 'x', '--resume', '-q'])\n"
        "assert status == 2, status\n"
        "print('pydantic' in sys.modules)\n"
    )
    env = {
        **os.environ,
        "MATCUE_CONFIG": str(tmp_path / "config.toml"),
        "MATCUE_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("already exists") == 2
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_an_unusual_value_still_gets_typers_error() -> None:
    code = (
        "import sys\n"
        "from matcue.cli import main\n"
        "print(main(['plan', 'first-aid', '--pace', 'fast']), 'pydantic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stdout.split() == ["2", "True"]
    assert "Invalid value for '--pace' / '-p': Input should be a valid number" in done.stderr
