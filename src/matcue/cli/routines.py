"""What there is: ``validate``, ``list``, ``show`` and ``voices``."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from matcue import api
from matcue.cli.app import ExitStatus
from matcue.cli.env import current
from matcue.cli.options import RoutineArg
from matcue.cli.tables import clock, format_routine


def validate_cmd(
    routines: Annotated[
        list[str], typer.Argument(metavar="ROUTINE...", help="Routine files or built-in ids.")
    ],
) -> None:
    """Check routines; print every problem as FILE:LINE:COL. Exit 2 if any is invalid."""
    env = current()
    bad = 0
    for path in routines:
        try:
            routine = api.load(path)
        except api.InputError as err:  # a broken file, or no such file or routine
            bad += 1
            shown = err.format() if isinstance(err, api.RoutineError) else f"matcue: {err}"
            print(shown, file=env.stderr)
        else:
            n = len(routine.played)
            print(f"{path}: ok ({n} exercise{'s' if n != 1 else ''})", file=env.stdout)
    if bad:
        raise typer.Exit(ExitStatus.INVALID)


def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the built-in routines with their length at pace 100."""
    env = current()
    rows = api.routines()  # lengths estimated from the words: no line is spoken to list them
    if as_json:
        data = [
            {
                "id": row.routine.id,
                "title": row.routine.title,
                "level": row.routine.level,
                "equipment": list(row.routine.equipment),
                "exercises": len(row.routine.played),
                "duration_s": round(row.seconds, 3),
            }
            for row in rows
        ]
        json.dump(data, env.stdout, indent=2, ensure_ascii=False)
        env.stdout.write("\n")
        return
    width = max((len(row.routine.id) for row in rows), default=2)
    print(f"{'id':<{width}}  {'level':<12}  {'ex':>2}  {'length':>6}  title", file=env.stdout)
    for row in rows:
        r = row.routine
        print(
            f"{r.id:<{width}}  {r.level:<12}  {len(r.played):>2}  {clock(row.seconds):>6}  "
            f"{r.title}",
            file=env.stdout,
        )


def show_cmd(routine: RoutineArg) -> None:
    """Show a routine: its exercises with positions, reps, sets, sides, holds and steps."""
    current().stdout.write(format_routine(api.load(routine)))


def voices_cmd(
    lang: Annotated[
        str | None,
        typer.Option("--lang", metavar="CODE", help="Only voices for this language (pl, cs)."),
    ] = None,
) -> None:
    """List the text-to-speech voices, espeak-ng's and Piper's: id (what --voice takes), engine,
    languages, quality, sample rate and name."""
    env = current()
    rows = api.voices(lang, folders=env.where())
    table = [
        (v.id, v.engine, ",".join(v.languages), v.quality, str(v.sample_rate), v.name) for v in rows
    ]
    header = ("id", "engine", "language", "quality", "rate", "name")
    widths = [max(len(row[i]) for row in (header, *table)) for i in range(5)]
    for row in (header, *table):
        cells = [
            cell.rjust(w) if i == 4 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row[:5], widths, strict=True))
        ]
        print("  ".join([*cells, row[5]]), file=env.stdout)
