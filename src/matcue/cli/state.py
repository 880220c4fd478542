"""The user's state: ``history`` (sessions played, the streak) and ``config`` (saved defaults)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from matcue import settings
from matcue.cli.env import current
from matcue.errors import InputError
from matcue.store import config, history


def history_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the sessions played, how each ended, and the current streak of days."""
    env = current()
    records = history.sessions(env.where().history, env.warn)
    today = datetime.date.today()
    days = [rec.started.astimezone().date() for rec in records]
    streak = history.streak(days, today)
    if as_json:
        data = {"streak_days": streak, "sessions": [rec.to_json() for rec in records]}
        json.dump(data, env.stdout, indent=2, ensure_ascii=False)
        env.stdout.write("\n")
        return
    if not records:
        print("No sessions yet: play one with `matcue play ROUTINE`.", file=env.stdout)
        return
    width = max(len(rec.routine) for rec in records)
    header = f"{'date':<16}  {'routine':<{width}}  {'pace':>4}  {'ex':>3}  {'reps':>4}  ended"
    print(header, file=env.stdout)
    for rec in records:
        when = rec.started.astimezone().strftime("%Y-%m-%d %H:%M")
        print(
            f"{when:<16}  {rec.routine:<{width}}  {rec.pace:>4g}  {rec.exercises:>3}  "
            f"{rec.reps:>4}  {history.ENDINGS[rec.ending]}",
            file=env.stdout,
        )
    print(f"\nCurrent streak: {streak} day{'s' if streak != 1 else ''}.", file=env.stdout)


config_app = typer.Typer(
    help=f"Show the saved defaults ({', '.join(s.name for s in settings.SAVED)}) with where each "
    "comes from; `set KEY VALUE` or `unset KEY` changes them, `reset` forgets them all. "
    "Options on the command line always win.",
    no_args_is_help=False,
)


def _default(setting: settings.Setting) -> str:
    """What a setting is when nothing sets it, as ``matcue config`` shows it."""
    if setting is settings.VOICE:
        return "an espeak-ng voice for the routine's language"
    if setting is settings.LEVEL:
        return "standard"
    value = setting.default
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)


CONFIG_DEFAULTS: dict[str, str] = {s.name: _default(s) for s in settings.SAVED}


def _config_key(key: str) -> str:
    return key.strip().lower().replace("-", "_")


@config_app.callback(invoke_without_command=True)
def config_cmd(ctx: typer.Context) -> None:
    """Show the saved defaults and where each comes from."""
    if ctx.invoked_subcommand is not None:
        return
    env = current()
    path = env.where().config_file
    found = config.read_config(path)
    if found.problem is not None:
        env.warn(f"the config file {path} {found.problem}; {config.REPAIR}")
    elif found.unknown:
        env.warn(config.unknown_warning(path, found))
    values = found.values
    print(f"config file: {path}{'' if path.exists() else ' (none yet)'}", file=env.stdout)
    for key in config.KEYS:
        if key in values:
            value = values[key]
            shown = str(value).lower() if isinstance(value, bool) else f"{value}"
            print(f"{key:<13} {shown}  (config file)", file=env.stdout)
        else:
            print(f"{key:<13} {CONFIG_DEFAULTS[key]}  (default)", file=env.stdout)


def _rewrite(change: Callable[[dict[str, config.ConfigValue]], object]) -> Path:
    """Read the config file as far as it can be read (a broken one warns what is dropped),
    ``change`` its values, and write it back with the keys of other versions kept. The
    platform's config folder is made when missing (and said); ``$MATCUE_CONFIG``'s never."""
    env = current()
    where = env.where()
    path = where.config_file
    found = config.read_config(path)
    folder = config.config_folder(path, where.config_given)
    values = dict(found.values)
    change(values)
    repaired = config.repair_warning(path, found)
    if repaired is not None:
        env.warn(repaired)
    config.save_config(values, path, found.unknown)
    if folder is not None:
        print(f"matcue: created the folder {folder} for the config file", file=env.stderr)
    return path


@config_app.command("set")
def config_set_cmd(
    key: Annotated[str, typer.Argument(help="A setting: voice, rate, volume, level, ...")],
    value: Annotated[str, typer.Argument(help="Its new value.")],
) -> None:
    """Save a default in the config file."""
    name = _config_key(key)
    parsed = config.parse_value(name, value)
    path = _rewrite(lambda values: values.__setitem__(name, parsed))
    print(f"{name} = {parsed} (saved in {path})", file=current().stderr)


@config_app.command("unset")
def config_unset_cmd(
    key: Annotated[str, typer.Argument(help="The setting to forget.")],
) -> None:
    """Remove a default from the config file."""
    name = _config_key(key)
    if name not in config.KEYS:
        raise InputError(f"unknown setting '{key}'; the settings are {', '.join(config.KEYS)}")
    _rewrite(lambda values: values.pop(name, None))


@config_app.command("reset")
def config_reset_cmd() -> None:
    """Forget every saved default: the config file is written afresh (a broken one too)."""
    env = current()
    where = env.where()
    path = where.config_file
    if not path.exists():
        print(f"matcue: there is no config file at {path}; nothing to reset", file=env.stderr)
        return
    config.save_config({}, path)
    print(f"matcue: every setting is back to its default ({path} written afresh)", file=env.stderr)
