"""The typer application and ``main``: the only place that maps errors to exit codes (0 ok,
1 runtime failure, 2 invalid input or usage, 130 interrupted)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import traceback
from collections.abc import Sequence
from enum import IntEnum
from typing import Annotated

import typer

from matcue import __version__
from matcue.api import InputError, MatcueError, RoutineError
from matcue.cli import env as environment
from matcue.cli.env import Environment, shorten


class ExitStatus(IntEnum):
    OK = 0
    FAILURE = 1
    INVALID = 2
    INTERRUPTED = 130


app = typer.Typer(
    name="matcue",
    help=(
        "Voice-guided audio sessions for home back-care routines.\n\n"
        "A ROUTINE is a built-in id (see `matcue list`) or a path to a routine YAML file."
    ),
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"matcue {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help=(
                "Show a traceback when something fails, and the sound system's own messages "
                "(ALSA) as they come."
            ),
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Voice-guided audio sessions for home back-care routines."""


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Run the CLI; return (and, as a console script, exit with) the exit status. ``env``:
    the streams, folders and playback to use instead of the process's own (tests)."""
    token = environment.given(env or environment.current())  # made once, at the edge
    try:
        return _run(argv)
    finally:
        environment.reset(token)


def _run(argv: Sequence[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    err = environment.current().stderr
    debug = "--debug" in args or bool(os.environ.get("MATCUE_DEBUG"))
    if debug:
        _show_sound_notes()
    command = typer.main.get_command(app)
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if callable(reconfigure):  # a terminal that cannot show a character gets '?', not a failure
        with contextlib.suppress(ValueError, OSError):
            reconfigure(errors="replace")
    try:
        result = command.main(args=args, prog_name="matcue", standalone_mode=False)
        status = int(result) if isinstance(result, int) else ExitStatus.OK
    except typer.Exit as exc:
        status = exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        status = ExitStatus.INTERRUPTED
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        show = getattr(exc, "show", None)
        if callable(show):
            shown = io.StringIO()
            show(file=shown)
            sys.stderr.write(shorten(shown.getvalue()))
        else:
            print(f"matcue: {shorten(exc.format_message())}", file=err)
        status = ExitStatus.INVALID
    except RoutineError as exc:
        _debug_trace(debug)
        print(shorten(exc.format()), file=err)
        status = ExitStatus.INVALID
    except InputError as exc:
        _debug_trace(debug)
        print(f"matcue: {shorten(str(exc))}", file=err)
        status = ExitStatus.INVALID
    except MatcueError as exc:
        _debug_trace(debug)
        print(f"matcue: {shorten(str(exc))}", file=err)
        status = ExitStatus.FAILURE
    except BrokenPipeError:  # the reader of stdout went away (`matcue plan x | head`)
        _debug_trace(debug)
        with contextlib.suppress(OSError, ValueError):  # no second complaint at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = ExitStatus.FAILURE
    except (OSError, MemoryError, RecursionError) as exc:
        _debug_trace(debug)
        print(f"matcue: {shorten(_system_failure(exc))}", file=err)
        status = ExitStatus.FAILURE
    except Exception as exc:  # the one place that turns surprises into a sentence
        _debug_trace(debug)
        print(
            f"matcue: unexpected error: {shorten(str(exc))} (run again with --debug for details)",
            file=err,
        )
        status = ExitStatus.FAILURE
    if status == ExitStatus.INTERRUPTED:
        print("Stopped.", file=err)
    if argv is None:
        sys.exit(status)
    return status


def _system_failure(exc: OSError | MemoryError | RecursionError) -> str:
    """One sentence for a failure of the system rather than of matcue's input."""
    if isinstance(exc, MemoryError):
        return "there is not enough memory to go on; close other programs or try a shorter session"
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to be read"
    reason = (exc.strerror or str(exc) or type(exc).__name__).rstrip(".")
    reason = reason[:1].lower() + reason[1:]
    return f"{reason}: {exc.filename}" if exc.filename else reason


def _show_sound_notes() -> None:
    """``--debug``: the sound system's own lines (kept off the terminal otherwise), as they
    come."""
    from matcue.api import show_sound_notes

    def echo(note: str) -> None:
        print(f"matcue: ALSA: {note}", file=sys.stderr, flush=True)

    show_sound_notes(echo)


def _debug_trace(debug: bool) -> None:
    if debug:
        traceback.print_exc()
