"""The command line's options, made from :mod:`matcue.settings` (one spec per setting), and the
decorator that gives plan, play and export the shared ones as one :class:`matcue.api.Options`.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from matcue import settings
from matcue.api import Options
from matcue.settings import Setting

RoutineArg = Annotated[
    str, typer.Argument(metavar="ROUTINE", help="A built-in routine id or a routine file.")
]


def _finite(value: float | None) -> float | None:
    """Refuse nan and inf: click's float ranges let nan through (and inf, where unbounded)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number.")
    return value


def float_option(*names: str, **declared: Any) -> Any:
    """``typer.Option`` for every float option: nan or inf is a usage error naming it."""
    return typer.Option(*names, callback=_finite, **declared)


_CHOICES: dict[str, type[StrEnum]] = {}


def choices(setting: Setting) -> type[StrEnum]:
    """The enum typer offers for a setting with choices (made once)."""
    if setting.name not in _CHOICES:
        _CHOICES[setting.name] = StrEnum(  # type: ignore[assignment]
            setting.name.title().replace("_", "") + "Name", {c: c for c in setting.choices}
        )
    return _CHOICES[setting.name]


def option(setting: Setting, *, optional: bool = True) -> Any:
    """``Annotated[type, typer.Option(...)]`` for ``setting``: its flags, bounds, choices,
    metavar, help and panel. ``optional``: its value is None unless given."""
    flags = setting.flags or (setting.flag,)
    declared: dict[str, Any] = {"help": setting.help}
    if setting.metavar:
        declared["metavar"] = setting.metavar
    if setting.panel:
        declared["rich_help_panel"] = setting.panel
    kind = setting.kind
    if kind in ("number", "whole") and setting.minimum is not None:
        declared["min"] = setting.minimum if kind == "number" else int(setting.minimum)
    if kind in ("number", "whole") and setting.maximum is not None:
        declared["max"] = setting.maximum if kind == "number" else int(setting.maximum)
    base: Any = {
        "number": float,
        "whole": int,
        "text": str,
        "switch": bool,
        "path": Path,
    }.get(kind)
    if kind == "choice":
        base = choices(setting)
    made = (
        float_option(*flags, **declared) if kind == "number" else typer.Option(*flags, **declared)
    )
    return Annotated[base | None if optional else base, made]


# Each shared option of plan, play and export: Options' field name -> its declaration, in the
# order --help lists them. The sound options are play's and export's only (plan makes no sound).
PACE_AND_VOICE: dict[str, object] = {s.name: option(s) for s in settings.PACE_AND_VOICE}
SOUND: dict[str, object] = {s.name: option(s) for s in settings.SOUND}

Command = Callable[..., None]


def session_command(*, sound: bool) -> Callable[[Command], Command]:
    """Give a command that takes ``options: Options`` the shared options in that parameter's
    place (those of sound too if ``sound``): typer sees and parses each as its own option, and
    the command gets them together as one ``Options``."""
    declared = {**PACE_AND_VOICE, **(SOUND if sound else {})}

    def decorate(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        params: list[inspect.Parameter] = []
        for param in signature.parameters.values():
            if param.name != "options":
                params.append(param)
                continue
            params += [
                param.replace(name=name, annotation=annotation, default=None)
                for name, annotation in declared.items()
            ]

        @functools.wraps(command)
        def run(**given: Any) -> None:
            options = options_from(**{name: given.pop(name) for name in declared})
            command(**given, options=options)

        run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}
        return run

    return decorate


def options_from(**given: object) -> Options:
    """Typer's values (enums as plain strings) as ``Options``."""
    return Options(
        **{k: (v.value if isinstance(v, StrEnum) else v) for k, v in given.items()}  # type: ignore[arg-type]
    )
