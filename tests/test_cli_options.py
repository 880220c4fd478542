"""The CLI's plain option coercion: the same values and errors as typer's own (pydantic)
coercion, without importing pydantic for the values a user normally types."""

from __future__ import annotations

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


def parameters() -> list[tuple[str, Any, Any]]:
    group = typer.main.get_command(app)
    found = [("matcue", p, group) for p in group.params]
    for name, command in group.commands.items():
        found += [(name, p, command) for p in command.params]
    return found


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
        "assert main(['show', 'first-aid']) == 0\n"
        "assert main(['validate', 'first-aid', 'warm-up']) == 0\n"
        "print('pydantic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "already exists" in done.stderr
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
