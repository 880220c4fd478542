"""``plan`` and ``play``: a session's timed script, and the session through the speakers."""

from __future__ import annotations

import datetime
import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated

import typer

from matcue import api, settings
from matcue.cli.env import Environment, current
from matcue.cli.options import RoutineArg, session_command
from matcue.cli.tables import clock, format_plan
from matcue.cli.terminal import key_reader, keys_mode, status_line

KEYS_HELP = (
    "Keys: space pause/resume · n or → next exercise · b or ← back (twice: previous) · "
    "r repeat the set · + / - pace · s where am I · ? the keys · q quit (saves your place) · "
    "x or Esc pain stop"
)
MEDIA_KEYS_HELP = "Media keys and the headphone button: play/pause · next · previous · stop"


def start_lines(title: str, left: str, pace: float, keys: bool, media_keys: bool) -> list[str]:
    """What ``play`` prints as the sound starts: the session, then the keys that control it
    (the terminal's, and the media keys' when they are on)."""
    playing = f"Playing {title} ({left}, pace {pace:g})."
    if keys:
        return [playing, KEYS_HELP] + ([MEDIA_KEYS_HELP] if media_keys else [])
    if media_keys:
        return [f"{playing} Ctrl-C stops; the headphone button pauses."]
    return [f"{playing} Ctrl-C stops."]


@session_command(sound=False)
def plan_cmd(
    routine: RoutineArg,
    options: api.Options,
    as_json: Annotated[bool, typer.Option("--json", help="Print the timeline as JSON.")] = False,
    as_export: Annotated[
        bool,
        typer.Option(
            "--export", help="Show it as an exported file says it: no line about the keys."
        ),
    ] = False,
) -> None:
    """Show the timed script of a session: every phase and what is said when.

    It previews `play` on a terminal, so the intro names the keys; an exported file (see
    --export) and a session played without a terminal say nothing about controls.
    """
    env = current()
    where = env.where()
    timeline = api.plan(routine, options, keys=not as_export, folders=where, warn=env.warn).timeline
    if as_json:
        json.dump(timeline.to_json(), env.stdout, indent=2, ensure_ascii=False)
        env.stdout.write("\n")
        return
    env.stdout.write(format_plan(timeline))


@session_command(sound=True)
def play_cmd(
    routine: RoutineArg,
    options: api.Options,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue from the start of the exercise where you last quit, at the pace "
            "you were at (unless --pace or --level is given).",
        ),
    ] = False,
    start_at: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="N|NAME",
            help="Start at an exercise: its number (1 is the first) or its name.",
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No status line and no messages while playing."),
    ] = False,
    media_keys: Annotated[
        bool | None,
        typer.Option(settings.MEDIA_KEYS.flag, help=settings.MEDIA_KEYS.help, show_default=True),
    ] = None,
    ctx: typer.Context = None,  # type: ignore[assignment]  # typer gives it
) -> None:
    """Play a session through the speakers.

    On a terminal, keys control it while it plays: space pauses and resumes, n / b skip to
    the next exercise or back, r repeats the set, + / - change the pace, s says where you
    are, ? says the keys, q quits and saves your place, x or Esc is the pain stop. Without a
    terminal it plays straight through; Ctrl-C stops it. Media keys and headphone buttons
    (MPRIS) pause, skip and stop it on a desktop, with or without a terminal.
    """
    env = current()
    if resume and start_at is not None:
        raise api.InputError("use either --resume or --from, not both")
    keys = env.stdin_is_tty
    note = _debug_note(ctx, env)
    bus = _media_bus(env, media_keys, note)
    source = api.load(routine)  # read once: the session is made from it too
    place = api.resume_point(source, env.where(), env.warn) if resume else None
    if place is not None and options.pace is None and options.level is None:
        options = replace(options, pace=place.pace)  # the pace it was quit at (keys included)
    exercise = api.start_exercise(source, start_at) if start_at is not None else None
    if place is not None:
        exercise = min(place.exercise, len(source.played))
    session = api.prepare(  # the lines of its first part: the rest are made as it plays
        source,
        options,
        keys=keys,
        media_keys=bus is not None,
        folders=env.where(),
        warn=env.warn,
        at_once=True,
        exercise=exercise,
    )
    _play(session, env, exercise, quiet, keys, bus, note)


def _media_bus(
    env: Environment, given: bool | None, note: Callable[[str], object] | None
) -> str | None:
    """The session bus's address when the media keys are on (``--media-keys``, else the
    config's ``media_keys``, else on) and there is a bus; None otherwise."""
    if env.playback is not None:  # a test's commands alone
        return None
    on = given
    if on is None:
        on = bool(api.config(env.where()).get("media_keys", settings.MEDIA_KEYS.default))
    bus = api.session_bus() if on else None
    if on and bus is None and note is not None:
        note("media keys off: no session D-Bus (DBUS_SESSION_BUS_ADDRESS, $XDG_RUNTIME_DIR/bus)")
    return bus


def _debug_note(ctx: typer.Context | None, env: Environment) -> Callable[[str], object] | None:
    """Under ``--debug``: a line on stderr (why the media keys are off); else None."""
    debug = bool(os.environ.get("MATCUE_DEBUG"))
    if ctx is not None:
        debug = debug or bool(ctx.find_root().params.get("debug"))
    if not debug:
        return None

    def note(text: str) -> None:
        print(f"matcue: {text}", file=env.stderr, flush=True)

    return note


def _play(
    session: api.Session,
    env: Environment,
    exercise: int | None,
    quiet: bool,
    keys: bool,
    bus: str | None = None,
    note: Callable[[str], object] | None = None,
) -> None:
    """Play ``session`` (made with the keys line on if ``keys``): under the keys on a terminal,
    else straight through; under the media keys too when ``bus`` is a session bus's address;
    record it in the history however it ends."""
    timeline = session.timeline
    pace = timeline.pace.percent

    def on_start() -> None:
        if quiet:
            return
        left = clock(timeline.duration - player.start_time)
        for line in start_lines(session.routine.title, left, pace, keys, bus is not None):
            print(line, file=env.stderr)

    began = datetime.datetime.now(datetime.UTC)
    try:
        if env.playback is not None:  # a test's device, clock and commands
            io = env.playback
            player = api.Player(
                session,
                exercise=exercise,
                answers=keys,
                device=io.device,
                clock=io.clock,
                commands=io.commands,
                background=io.background,
                on_start=on_start,
                note=note,
            )
            result = player.run()
        elif not keys:
            player = api.Player(
                session,
                exercise=exercise,
                answers=bus is not None,
                on_start=on_start,
                media_keys=bus is not None,
                bus=bus,
                note=note,
            )
            result = player.run()
        else:
            with status_line(env.stderr, not quiet) as status:
                player = api.Player(
                    session,
                    exercise=exercise,
                    status=status,
                    on_start=on_start,
                    media_keys=bus is not None,
                    bus=bus,
                    note=note,
                )
                with keys_mode(sys.stdin.fileno()) as fd, key_reader(fd, player.source("keys")):
                    result = player.run()
    except api.SessionInterrupted as stop:
        api.record(session, stop.result, began, env.warn)
        raise
    api.record(session, result, began, env.warn)
