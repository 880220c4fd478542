"""The command line: parses options, wires the stages, and is the only place that maps errors
to exit codes (0 ok, 1 runtime failure, 2 invalid input or usage, 130 interrupted)."""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
import inspect
import json
import math
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from matcue import __version__
from matcue.errors import InputError, MatcueError
from matcue.routine import Routine, RoutineError, load_routine, values
from matcue.routine.library import builtin_ids, resolve
from matcue.routine.model import Breath, Step, Timing
from matcue.store.paths import Folders, folders
from matcue.timeline import Pace, Timeline, compile
from matcue.timeline.limits import check_routine, check_timeline
from matcue.timeline.model import BREATH_WORDS, COUNT_MODES, LEVELS

if TYPE_CHECKING:  # imported where used: `show`, `validate` and `--help` need no audio stack
    import numpy as np
    import numpy.typing as npt

    from matcue.audio import Clip
    from matcue.audio.levels_cache import LevelsCache
    from matcue.playback import Clock, Device, Inbox, SessionResult
    from matcue.store.history import ResumePoint
    from matcue.voice import Pyttsx3Voice

SESSION_RATE = 22050  # Hz: espeak-ng's native rate; tones are resampled to it


class ExitStatus(IntEnum):
    OK = 0
    FAILURE = 1
    INVALID = 2
    INTERRUPTED = 130


@dataclass(frozen=True)
class Playback:
    """What ``play`` plays with instead of the real device, clock and terminal keys (a test's
    virtual time): commands come from ``commands`` alone, and ``background`` runs a live pace
    change's work (a thread when None)."""

    device: Device
    clock: Clock
    commands: Inbox
    background: Callable[[Callable[[], None]], object] | None = None


@dataclass(frozen=True)
class Environment:
    """The CLI's I/O, passed in so tests can swap it."""

    stdout: TextIO
    stderr: TextIO
    stdin_is_tty: bool
    playback: Playback | None = None
    folders: Folders | None = None  # None: from os.environ (MATCUE_CONFIG, ...), when needed


_ENVIRONMENT: contextvars.ContextVar[Environment | None] = contextvars.ContextVar(
    "matcue_environment", default=None
)


def _env() -> Environment:
    """The environment ``main`` was given, else the process's own."""
    return _ENVIRONMENT.get() or Environment(sys.stdout, sys.stderr, sys.stdin.isatty())


def _folders(env: Environment | None = None) -> Folders:
    """The user's config file and folders: ``env``'s (else ``main``'s), else ``os.environ``'s."""
    return (env or _env()).folders or folders()


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


# --- shared options ----------------------------------------------------------------------------

RoutineArg = Annotated[
    str, typer.Argument(metavar="ROUTINE", help="A built-in routine id or a routine file.")
]
_PACE_PANEL = "Pace"
_VOICE_PANEL = "Voice and language"
_SOUND_PANEL = "Sound"


class LevelName(StrEnum):
    gentle = "gentle"
    standard = "standard"
    strong = "strong"


class CountName(StrEnum):
    voice = "voice"
    tones = "tones"
    off = "off"


class BreathWordsName(StrEnum):
    always = "always"
    first = "first"
    never = "never"


assert tuple(CountName) == COUNT_MODES and tuple(BreathWordsName) == BREATH_WORDS


def _finite(value: float | None) -> float | None:
    """Refuse nan and inf: click's float ranges let nan through (and inf, where unbounded)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number.")
    return value


def _float_option(*names: str, **settings: Any) -> Any:
    """``typer.Option`` for every float option: nan or inf is a usage error naming it."""
    return typer.Option(*names, callback=_finite, **settings)


PaceOpt = Annotated[
    float | None,
    _float_option(
        "--pace",
        "-p",
        min=10,
        max=400,
        help="Pace in percent: 50 is half speed (every timed phase twice as long), 200 double. "
        "Default 100, or the level's.",
        rich_help_panel=_PACE_PANEL,
    ),
]
LevelOpt = Annotated[
    LevelName | None,
    typer.Option(
        "--level",
        help="Set pace, holds, rests and reps together: gentle (pace 80, holds 70 %, rests "
        "150 %, reps 70 %), standard, or strong (pace 110, holds 130 %, rests 75 %, reps 130 %). "
        "Options given as well win.",
        rich_help_panel=_PACE_PANEL,
    ),
]
BreathOpt = Annotated[
    str | None,
    typer.Option(
        "--breath",
        metavar="IN:OUT",
        help="Ratio breathing: seconds in and out (4:6), or in, hold and out (4:7:8), for every "
        "breath, overriding the routine's.",
        rich_help_panel=_PACE_PANEL,
    ),
]
HoldsOpt = Annotated[
    float | None,
    _float_option(
        "--holds",
        metavar="PERCENT",
        min=10,
        max=400,
        help="Hold lengths in percent of the routine's: 150 holds half again as long.",
        rich_help_panel=_PACE_PANEL,
    ),
]
RestOpt = Annotated[
    float | None,
    _float_option(
        "--rest",
        metavar="SECONDS",
        min=0,
        max=3600,
        help="Seconds of rest between sets and between exercises (0: none), before pace.",
        rich_help_panel=_PACE_PANEL,
    ),
]
RepsOpt = Annotated[
    int | None,
    typer.Option(
        "--reps",
        min=1,
        max=100,
        help="Reps of every exercise (per side).",
        rich_help_panel=_PACE_PANEL,
    ),
]
SetsOpt = Annotated[
    int | None,
    typer.Option(
        "--sets", min=1, max=20, help="Sets of every exercise.", rich_help_panel=_PACE_PANEL
    ),
]
WeekOpt = Annotated[
    int | None,
    typer.Option(
        "--week",
        min=1,
        max=104,
        help="Apply each exercise's progression for this week (default: from your session "
        "history, else week 1).",
        rich_help_panel=_PACE_PANEL,
    ),
]
CountOpt = Annotated[
    CountName | None,
    typer.Option(
        "--count",
        help="Count reps and holds with spoken numbers (voice), ticks (tones) or not at all.",
        rich_help_panel=_SOUND_PANEL,
    ),
]
BreathWordsOpt = Annotated[
    BreathWordsName | None,
    typer.Option(
        "--breath-words",
        help="Say breathe in/out on every rep (always), on the first reps and then let the "
        "tones carry the rhythm (first), or never.",
        rich_help_panel=_SOUND_PANEL,
    ),
]
VoiceOpt = Annotated[
    str | None,
    typer.Option(
        "--voice",
        help="Text-to-speech voice id (see `matcue voices`); default: one for the language.",
        rich_help_panel=_VOICE_PANEL,
    ),
]
RateOpt = Annotated[
    int | None,
    typer.Option(
        "--rate",
        min=80,
        max=450,
        help="Speech rate in words per minute (default 150).",
        rich_help_panel=_VOICE_PANEL,
    ),
]
VolumeOpt = Annotated[
    str | None,
    typer.Option(
        "--volume",
        metavar="VOLUME",
        help="Speech volume: 0 to 1, or a percentage like 80%.",
        rich_help_panel=_VOICE_PANEL,
    ),
]
LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        metavar="CODE",
        help="Speak in this language (en, pl, cs) instead of the routine's.",
        rich_help_panel=_VOICE_PANEL,
    ),
]
StereoOpt = Annotated[
    bool | None,
    typer.Option(
        "--stereo/--mono",
        help="Stereo: the words of a sided exercise come from that side's ear.",
        rich_help_panel=_SOUND_PANEL,
    ),
]
MusicOpt = Annotated[
    Path | None,
    typer.Option(
        "--music",
        metavar="FILE",
        help="Mix this audio file under the session (looped or cut), quieter while the "
        "voice speaks.",
        rich_help_panel=_SOUND_PANEL,
    ),
]


@dataclass(frozen=True)
class SessionOptions:
    """The pace, voice and sound options of plan, play and export, as given (None: not)."""

    pace: float | None = None
    level: str | None = None
    breath: str | None = None
    holds: float | None = None
    rest: float | None = None
    reps: int | None = None
    sets: int | None = None
    week: int | None = None
    count: str | None = None
    breath_words: str | None = None
    voice: str | None = None
    rate: int | None = None
    volume: str | None = None
    lang: str | None = None
    stereo: bool | None = None
    music: Path | None = None


# Each shared option of plan, play and export, declared once: SessionOptions' field name ->
# its typer declaration, in the order --help lists them. The sound options are play's and
# export's only (plan makes no sound).
_PACE_AND_VOICE_OPTIONS: dict[str, object] = {
    "pace": PaceOpt,
    "level": LevelOpt,
    "breath": BreathOpt,
    "holds": HoldsOpt,
    "rest": RestOpt,
    "reps": RepsOpt,
    "sets": SetsOpt,
    "week": WeekOpt,
    "count": CountOpt,
    "breath_words": BreathWordsOpt,
    "voice": VoiceOpt,
    "rate": RateOpt,
    "volume": VolumeOpt,
    "lang": LangOpt,
}
_SOUND_OPTIONS: dict[str, object] = {"stereo": StereoOpt, "music": MusicOpt}

_Command = Callable[..., None]


def _session_command(*, sound: bool) -> Callable[[_Command], _Command]:
    """Give a command that takes ``options: SessionOptions`` the shared options in that
    parameter's place (those of sound too if ``sound``): typer sees and parses each as its
    own option, and the command gets them together as one ``SessionOptions``."""
    declared = {**_PACE_AND_VOICE_OPTIONS, **(_SOUND_OPTIONS if sound else {})}

    def decorate(command: _Command) -> _Command:
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
            options = _session_options(**{name: given.pop(name) for name in declared})
            command(**given, options=options)

        run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}
        return run

    return decorate


def _session_options(**given: object) -> SessionOptions:
    """Typer's values (enums as plain strings) as ``SessionOptions``."""
    return SessionOptions(
        **{k: (v.value if isinstance(v, StrEnum) else v) for k, v in given.items()}  # type: ignore[arg-type]
    )


def _load(name: str) -> Routine:
    return load_routine(resolve(name))


def _config() -> dict[str, str | int | float | bool]:
    from matcue.store.config import load_config

    return load_config(_folders().config_file)


def parse_breath(text: str) -> Breath:
    """``"4:6"`` or ``"4:2:6"`` (seconds in, [hold,] out) -> ``Breath``; InputError otherwise."""
    try:
        return values.parse_breath(text)
    except ValueError:
        raise InputError(
            f"--breath must be seconds in and out like 4:6, or in, hold and out like 4:7:8 "
            f"(each at most 60), not '{text}'"
        ) from None


def week_from_history(first_session: datetime.date | None, today: datetime.date) -> int | None:
    """The progression week of a routine first done on ``first_session``: 1 in its first
    seven days, 2 in the next seven, ... (None when it was never done)."""
    if first_session is None:
        return None
    return max(1, min(104, (today - first_session).days // 7 + 1))


def _first_session(routine: Routine) -> datetime.date | None:
    """When ``routine`` was first played (however that session ended), from the session
    history (store/history.py), as a local date; None if never. A history that cannot be
    read (broken, locked) only warns: the week is then 1."""
    from matcue.store import history

    try:
        first = history.first_session(routine.id, _folders().history)
    except (history.HistoryError, ValueError) as err:
        print(f"matcue: warning: {err}; using week 1.", file=_env().stderr)
        return None
    return first.astimezone().date() if first is not None else None


def _week(routine: Routine, week: int | None) -> int:
    """``--week``, else the week derived from the session history, else 1."""
    if week is not None:
        return week
    return week_from_history(_first_session(routine), datetime.date.today()) or 1


def make_pace(
    options: SessionOptions,
    config: dict[str, str | int | float | bool],
    routine: Routine,
) -> Pace:
    """The session's ``Pace``: the level's settings, then the config file's, then options
    (a level given on the command line also beats a pace saved in the config file)."""
    level = options.level or config.get("level")
    given: dict[str, object] = {}
    pace: str | int | float | bool | None = options.pace
    if pace is None and options.level is None:  # a level given now beats a saved pace
        pace = config.get("pace")
    if pace is not None:
        given["percent"] = float(pace)
    if options.holds is not None:
        given["holds"] = options.holds
    if options.rest is not None:
        given["rest"] = options.rest
    if options.breath is not None:
        given["breath"] = parse_breath(options.breath)
    if options.reps is not None:
        given["reps"] = options.reps
    if options.sets is not None:
        given["sets"] = options.sets
    count = options.count or config.get("count")
    if count is not None:
        given["count"] = str(count)
    breath_words = options.breath_words or config.get("breath_words")
    if breath_words is not None:
        given["breath_words"] = str(breath_words)
    given["week"] = _week(routine, options.week)
    if level is not None and str(level) in LEVELS:
        return Pace.for_level(str(level), **given)
    return Pace(**given)  # type: ignore[arg-type]


def _language(routine: Routine, options: SessionOptions) -> Routine:
    """The routine, to be spoken in ``--lang`` if given (else in its own ``language:``)."""

    lang = options.lang
    if lang is None:
        return routine
    try:
        code = values.parse_language(lang)
    except ValueError:
        raise InputError(
            f"--lang must be a language code like en, pl or cs, not '{lang}'"
        ) from None
    return replace(routine, language=code)


def _voice_for(
    routine: Routine, options: SessionOptions, config: dict[str, str | int | float | bool]
) -> Pyttsx3Voice:
    from matcue.store.config import parse_volume
    from matcue.voice import Pyttsx3Voice, VoiceSettings

    voice = options.voice or config.get("voice")
    if options.voice is None and voice and not _speaks(str(voice), routine.language):
        voice = None  # a saved voice of another language: the routine's language decides
    rate = options.rate if options.rate is not None else config.get("rate", 150)
    volume: float = 1.0
    if options.volume is not None:
        volume = parse_volume(options.volume)
    elif "volume" in config:
        volume = float(config["volume"])
    return Pyttsx3Voice(
        VoiceSettings(
            voice=str(voice) if voice else None,
            rate=int(rate),
            volume=volume,
            language=routine.language,
        ),
        cache_dir=_folders().cache_dir,
    )


def _speaks(voice_id: str, language: str) -> bool:
    """Whether the voice ``voice_id`` speaks ``language`` (an unknown voice: yes, so that
    the voice stage reports it)."""
    from matcue.voice import list_voices

    base = language.split("-")[0].lower()
    for info in list_voices():
        if info.id == voice_id.strip().lower():
            return any(x.lower().split("-")[0] == base for x in info.languages)
    return True


@dataclass(frozen=True)
class Session:
    """A routine compiled with its options: what plan, play and export work from."""

    routine: Routine
    speech: Pyttsx3Voice
    timeline: Timeline
    stereo: bool
    levels_cache: LevelsCache | None = None  # for a session to be rendered


def _session(
    routine: Routine | str,
    options: SessionOptions,
    *,
    for_render: bool = False,
    keys: bool = False,
    loudness: float | None = None,
) -> Session:
    """The session of ``routine`` (loaded, or a name to load); ``for_render`` (play, export)
    also opens the levels cache and measures and levels each newly synthesised line in it (for
    ``loudness``, if not the default) while the next lines are spoken. ``keys``: the session
    is to be played under the control keys (its intro says them)."""
    config = _config()
    loaded = routine if isinstance(routine, Routine) else _load(routine)
    routine = _language(loaded, options)
    pace = make_pace(options, config, routine)
    speech = _voice_for(routine, options, config)
    levels_cache = _levels_cache(speech) if for_render else None
    if levels_cache is not None:
        timeline = _compile_for_render(
            routine, pace, speech, levels_cache, keys=keys, loudness=loudness
        )
    else:
        timeline = _compile(routine, pace, speech, keys=keys)
    stereo = options.stereo if options.stereo is not None else bool(config.get("stereo", False))
    return Session(routine, speech, timeline, stereo, levels_cache)


def _compile(
    routine: Routine,
    pace: Pace | float,
    speech: Pyttsx3Voice,
    on_new_clip: Callable[[Clip], None] | None = None,
    *,
    keys: bool = False,
) -> Timeline:
    """The timeline, with each line's real length; ``on_new_clip`` sees each line that had to
    be synthesised (one from the speech cache was seen by an earlier run). ``keys``: the
    intro says the control keys."""
    if not isinstance(pace, Pace):
        pace = Pace(percent=pace)
    check_routine(routine, pace)  # a session of days is refused before any speech is made

    def length(text: str) -> float:
        made = speech.renders
        clip = speech.clip(text)
        if on_new_clip is not None and speech.renders != made:
            on_new_clip(clip)
        return clip.duration

    timeline = compile(routine, pace, length, keys=keys)
    check_timeline(timeline)
    return timeline


def _compile_for_render(
    routine: Routine,
    pace: Pace | float,
    speech: Pyttsx3Voice,
    levels_cache: LevelsCache,
    *,
    keys: bool = False,
    loudness: float | None = None,
) -> Timeline:
    """The timeline, with each newly synthesised line measured and levelled (for
    ``loudness``, if not the default) while the next lines are spoken (see
    :func:`matcue.audio.render.measuring_ahead`)."""
    from matcue.audio import SESSION_LEVELS, measuring_ahead

    levels = SESSION_LEVELS if loudness is None else replace(SESSION_LEVELS, loudness=loudness)
    with measuring_ahead(levels_cache, SESSION_RATE, levels) as measure:
        return _compile(routine, pace, speech, measure, keys=keys)


def _clips(timeline: Timeline, speech: Pyttsx3Voice) -> tuple[dict[str, Clip], dict[str, Clip]]:
    """Every spoken line's clip (cached by the voice) and every tone, for the renderer."""
    from matcue.audio.tones import load_sounds

    texts = {cue.text for cue in timeline.cues if cue.text is not None}
    return speech.clips(texts), load_sounds(SESSION_RATE)


def _levels_cache(speech: Pyttsx3Voice) -> LevelsCache:
    """The loudness work on clips, cached beside the speech (the same root)."""
    from matcue.audio.levels_cache import LevelsCache

    return LevelsCache(speech.cache.root)


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


# --- commands ------------------------------------------------------------------------------------


@app.command("validate")
def validate_cmd(
    routines: Annotated[
        list[str], typer.Argument(metavar="ROUTINE...", help="Routine files or built-in ids.")
    ],
) -> None:
    """Check routines; print every problem as FILE:LINE:COL. Exit 2 if any is invalid."""
    env = _env()
    bad = 0
    for path in routines:
        try:
            routine = load_routine(resolve(path))
        except InputError as err:  # a broken file, or no such file or routine
            bad += 1
            print(
                err.format() if isinstance(err, RoutineError) else f"matcue: {err}", file=env.stderr
            )
        else:
            n = len(routine.exercises)
            print(f"{path}: ok ({n} exercise{'s' if n != 1 else ''})", file=env.stdout)
    if bad:
        raise typer.Exit(ExitStatus.INVALID)


@app.command("plan")
@_session_command(sound=False)
def plan_cmd(
    routine: RoutineArg,
    options: SessionOptions,
    as_json: Annotated[bool, typer.Option("--json", help="Print the timeline as JSON.")] = False,
) -> None:
    """Show the timed script of a session: every phase and what is said when."""
    env = _env()
    timeline = _session(routine, options).timeline
    if as_json:
        json.dump(timeline.to_json(), env.stdout, indent=2, ensure_ascii=False)
        env.stdout.write("\n")
        return
    env.stdout.write(format_plan(timeline))


def format_plan(timeline: Timeline) -> str:
    """A readable table: one row per phase with the words and tones heard in it, after the
    settings and each exercise's effective numbers."""
    lines = [
        f"{timeline.title} — {_clock(timeline.duration)} at pace {timeline.pace.percent:g}",
        f"settings: {timeline.pace.describe()}, language {timeline.language}",
        *(f"  {plan.describe()}" for plan in timeline.exercises),
        "",
        f"{'time':>6}  {'len':>5}  {'phase':<9} {'ex':>2} {'set':>3} {'rep':>3} {'side':<5}  heard",
    ]
    cues = list(timeline.cues)
    i = 0
    for phase in timeline.phases:
        heard: list[str] = []
        while i < len(cues) and cues[i].t < phase.end - 1e-9:
            cue = cues[i]
            heard.append(cue.text if cue.text is not None else f"[{cue.sound}]")
            i += 1
        cols = (
            f"{_clock(phase.t):>6}  {phase.dur:5.1f}  {phase.kind:<9} "
            f"{phase.exercise or '':>2} {phase.set or '':>3} {phase.rep or '':>3} "
            f"{phase.side or '':<5}"
        )
        lines.append(f"{cols}  {' '.join(heard)}".rstrip())
    return "\n".join(lines) + "\n"


KEYS_HELP = (
    "Keys: space pause/resume · n or → next exercise · b or ← back (twice: previous) · "
    "r repeat the set · + / - pace · s where am I · ? the keys · q quit (saves your place) · "
    "x or Esc pain stop"
)


def _render_options(session: Session, music: Path | None) -> dict[str, object]:
    """The renderer's stereo and music arguments."""
    from matcue.audio.music import load_music

    return {
        "stereo": session.stereo,
        "music": load_music(music, SESSION_RATE) if music is not None else None,
    }


@app.command("play")
@_session_command(sound=True)
def play_cmd(
    routine: RoutineArg,
    options: SessionOptions,
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
) -> None:
    """Play a session through the speakers.

    On a terminal, keys control it while it plays: space pauses and resumes, n / b skip to
    the next exercise or back, r repeats the set, + / - change the pace, s says where you
    are, ? says the keys, q quits and saves your place, x or Esc is the pain stop. Without a
    terminal it plays straight through; Ctrl-C stops it.
    """
    env = _env()
    if resume and start_at is not None:
        raise InputError("use either --resume or --from, not both")
    keys = env.stdin_is_tty
    source: Routine | str = routine
    place = None
    if resume:
        source = _load(routine)  # read once: the session is made from it too
        place = _resume_point(source, env)
    if place is not None and options.pace is None and options.level is None:
        options = replace(options, pace=place.pace)  # the pace it was quit at (keys included)
    session = _session(source, options, for_render=True, keys=keys)
    r = session.routine
    exercise = _start_exercise(r, start_at) if start_at is not None else None
    if place is not None:
        exercise = min(place.exercise, len(r.exercises))
    _play_session(session, env, _render_options(session, options.music), exercise, quiet, keys)


def _start_exercise(r: Routine, value: str) -> int:
    """``--from``: a 1-based number, or a name (whole, or the start of just one name)."""
    count = len(r.exercises)
    text = value.strip()
    if text.isdigit():
        n = int(text)
        if 1 <= n <= count:
            return n
        raise InputError(f"--from {value}: the routine has exercises 1 to {count}")
    names = [ex.name.casefold() for ex in r.exercises]
    wanted = text.casefold()
    if wanted in names:
        return names.index(wanted) + 1
    matches = [i for i, name in enumerate(names, 1) if name.startswith(wanted)]
    if len(matches) == 1 and wanted:
        return matches[0]
    listing = ", ".join(ex.name for ex in r.exercises)
    raise InputError(f"--from {value!r} names no single exercise of {r.id} ({listing})")


def _resume_point(r: Routine, env: Environment) -> ResumePoint | None:
    """Where ``r`` was last quit; None (with a warning) if the history cannot be read."""
    from matcue.store import history

    try:
        point = history.resume_point(r.id, _folders(env).history)
    except history.HistoryError as err:
        print(f"matcue: warning: {err}; playing from the start.", file=env.stderr)
        return None
    if point is None:
        raise InputError(f"there is no saved place for {r.id}; play it without --resume")
    try:
        Pace(percent=point.pace)  # a pace Pace refuses (or no exercise): a damaged database
        damaged = point.exercise < 1
    except ValueError:
        damaged = True
    if damaged:
        print(
            f"matcue: warning: the saved place of {r.id} is damaged; playing from the start.",
            file=env.stderr,
        )
        return None
    return point


def _play_session(
    prepared: Session,
    env: Environment,
    extra: dict[str, object],
    exercise: int | None,
    quiet: bool,
    keys: bool,
) -> None:
    """Play ``prepared`` (compiled with every pace option, the keys line on if ``keys``):
    under the keys on a terminal, else straight through. ``extra``: stereo and music.

    A live pace change re-compiles with ``replace(pace, percent=new)``, so holds, rests,
    breath, reps, sets, week, count and breath words all stay; the rest is rendered with the
    same stereo and music (the music goes on from the new timeline's position)."""
    import threading

    from matcue.audio import SESSION_LEVELS, render, seconds_to_frames
    from matcue.audio.render import FIT_WORKERS
    from matcue.playback import (
        Commands,
        Hooks,
        SessionInterrupted,
        Simpleaudio,
        Track,
        key_reader,
        keys_mode,
    )
    from matcue.playback import Session as Loop
    from matcue.playback import transport as tp
    from matcue.timeline import phrases_for, spoken

    r, speech, timeline = prepared.routine, prepared.speech, prepared.timeline
    lock = threading.Lock()  # the speech engine is used from the pace thread too

    def speech_len(text: str) -> float:
        with lock:
            return speech.clip(text).duration

    compile_at = at_pace(r, timeline, speech_len, keys=keys)

    # Renders while the session plays level their clips on their own thread only (workers=0):
    # the levelling threads would take the cores the player and the sound server need.
    def render_from(tl: Timeline, frame: int, workers: int = 0) -> npt.NDArray[np.int16]:
        with lock:
            clips = _clips(tl, speech)
        return render(
            tl,
            *clips,
            SESSION_RATE,
            levels=SESSION_LEVELS,
            levels_cache=prepared.levels_cache,
            start=frame,
            workers=workers,
            **extra,  # type: ignore[arg-type]
        )

    def say(lines: tuple[str, ...], tick: bool) -> npt.NDArray[np.int16]:
        tl = spoken(lines, speech_len, tone="tick" if tick else None)
        with lock:
            clips = _clips(tl, speech)
        # in the session's channels, without the music (it goes on after the words)
        return render(
            tl,
            *clips,
            SESSION_RATE,
            levels=SESSION_LEVELS,
            levels_cache=prepared.levels_cache,
            workers=0,
            stereo=prepared.stereo,
        )

    pace = timeline.pace.percent
    start = tp.exercise_start(timeline, exercise) if exercise is not None else 0.0
    base = seconds_to_frames(start, SESSION_RATE)
    # before playing: levelled by worker threads (what comes before the start if needed)
    pcm = render_from(timeline, base, FIT_WORKERS)
    hooks = Hooks(compile_at, render_from, say, phrases_for(r.language))

    def on_start() -> None:
        if quiet:
            return
        if keys:
            print(
                f"Playing {r.title} ({_clock(timeline.duration - start)}, pace {pace:g}).",
                file=env.stderr,
            )
            print(KEYS_HELP, file=env.stderr)
        else:
            print(
                f"Playing {r.title} ({_clock(timeline.duration - start)}, pace {pace:g})."
                " Ctrl-C stops.",
                file=env.stderr,
            )

    began = datetime.datetime.now(datetime.UTC)
    track = Track(timeline, pcm, base)
    commands = Commands()  # the terminal's keys are its one source (none without a terminal)
    try:
        if env.playback is not None:  # a test's device, clock and commands
            io = env.playback
            loop = Loop(
                track,
                SESSION_RATE,
                hooks,
                commands=io.commands,
                device=io.device,
                clock=io.clock,
                start=start,
                on_start=on_start,
                background=io.background,
            )
            if keys:
                loop.prepare()
            result = loop.run()
            _remember(r, result, began, env)
            return
        device = Simpleaudio()
        if not keys:
            loop = Loop(
                track,
                SESSION_RATE,
                hooks,
                commands=commands,
                device=device,
                start=start,
                on_start=on_start,
            )
            result = loop.run()
        else:
            with (
                _status_line(env, not quiet) as status,
                keys_mode(sys.stdin.fileno()) as fd,
                key_reader(fd, commands.source("keys")),
            ):
                loop = Loop(
                    track,
                    SESSION_RATE,
                    hooks,
                    commands=commands,
                    device=device,
                    start=start,
                    status=status,
                    on_start=on_start,
                )
                loop.prepare()
                result = loop.run()
    except SessionInterrupted as stop:
        _remember(r, stop.result, began, env)
        raise
    _remember(r, result, began, env)


def at_pace(
    routine: Routine, timeline: Timeline, speech_len: Callable[[str], float], *, keys: bool
) -> Callable[[float], Timeline]:
    """The live pace change of the keys: ``timeline``'s routine re-compiled at another
    percent with every other pace setting kept (``replace(pace, percent=...)``: holds,
    rests, rest, breath, reps, sets, week, count, breath words, level)."""

    def compile_at(percent: float) -> Timeline:
        if percent == timeline.pace.percent:
            return timeline
        return compile(routine, replace(timeline.pace, percent=percent), speech_len, keys=keys)

    return compile_at


def _remember(
    r: Routine,
    result: SessionResult,
    began: datetime.datetime,
    env: Environment,
) -> None:
    """Record the session and its resume point; a broken database only warns."""
    from matcue.playback import transport as tp
    from matcue.store import history

    record = history.SessionRecord(
        routine=r.id,
        title=r.title,
        started=began,
        ended=datetime.datetime.now(datetime.UTC),
        pace=result.timeline.pace.percent,
        exercises=result.exercises,
        reps=result.reps,
        ending=result.ending,
    )
    db = _folders(env).history
    try:
        history.record(record, db)
        point = tp.resume_exercise(result.timeline, result.position)
        if result.ending in ("quit", "interrupted") and point is not None:
            history.save_resume(r.id, point, result.timeline.pace.percent, db)
        elif result.ending == "finished":
            history.clear_resume(r.id, db)
    except history.HistoryError as err:
        print(f"matcue: warning: {err}; the session was not recorded.", file=env.stderr)


@contextlib.contextmanager
def _status_line(env: Environment, show: bool) -> Iterator[Callable[[str], None] | None]:
    """A one-line status on stderr (rich), for a helper who can see; nothing unless a
    terminal shows it."""
    if not show or not env.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    live = Live(
        console=Console(file=env.stderr, highlight=False),
        transient=True,
        auto_refresh=False,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    with live:
        yield lambda line: live.update(Text(line), refresh=True)


@app.command("history")
def history_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the sessions played, how each ended, and the current streak of days."""
    from matcue.store import history

    env = _env()
    records = history.sessions(_folders().history)
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


PROGRESS_MIN_SECONDS = 60.0  # sessions shorter than this export in a moment: no bar


class SubtitleFormat(StrEnum):
    vtt = "vtt"
    srt = "srt"


@app.command("export")
@_session_command(sound=True)
def export_cmd(
    routine: RoutineArg,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="The audio file to write; its extension picks the format: "
            ".wav, .flac, .ogg (Vorbis), .opus, .mp3 or .m4a (needs PyAV, the m4a extra).",
        ),
    ],
    options: SessionOptions,
    bitrate: Annotated[
        int | None,
        typer.Option(
            "--bitrate",
            metavar="KBPS",
            help="Bitrate of .mp3 (56-160, default 64), .opus (6-256, default 64) "
            "or .m4a (16-256, default 64).",
        ),
    ] = None,
    quality: Annotated[
        float | None,
        _float_option("--quality", metavar="Q", help="Quality of .ogg: 0-10 (default 4)."),
    ] = None,
    loudness: Annotated[
        float,
        _float_option(
            "--loudness",
            metavar="LUFS",
            min=-30,
            max=-12,
            help="Integrated loudness to land on, in LUFS (true peak stays under -1 dBTP).",
        ),
    ] = -16.0,
    split: Annotated[
        bool,
        typer.Option(
            "--split",
            help="One file per chapter (intro, each exercise, closing), numbered and tagged "
            "as tracks, plus an .m3u playlist.",
        ),
    ] = False,
    subtitles: Annotated[
        SubtitleFormat | None,
        typer.Option("--subtitles", help="Also write every spoken line with its time."),
    ] = None,
    cue_sheet: Annotated[
        bool, typer.Option("--cue-sheet", help="Also write a CUE sheet (a track per chapter).")
    ] = False,
    labels: Annotated[
        bool, typer.Option("--labels", help="Also write Audacity labels of every phase.")
    ] = False,
    chapters_json: Annotated[
        bool,
        typer.Option("--chapters-json", help="Also write Podcasting 2.0 JSON chapters."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Replace files that already exist.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")
    ] = False,
) -> None:
    """Write a session to audio files: the same sound `play` makes, with chapters and tags."""

    from matcue.audio import SESSION_LEVELS, render_chunks, seconds_to_frames
    from matcue.export import ExportOptions, Tags, check_export, export_session
    from matcue.export.formats import audio_format, encoding
    from matcue.export.staging import refuse_existing

    export = ExportOptions(
        output=output,
        encoding=encoding(audio_format(output), bitrate, quality),
        split=split,
        subtitles=subtitles.value if subtitles is not None else None,
        cue_sheet=cue_sheet,
        labels=labels,
        chapters_json=chapters_json,
        force=force,
    )
    if not (force or split):
        refuse_existing([output])  # before the speech is made, for a quick answer
    env = _env()
    session = _session(routine, options, for_render=True, loudness=loudness)
    r, speech, timeline = session.routine, session.speech, session.timeline
    export = replace(export, channels=2 if session.stereo else 1)
    check_export(timeline, export, SESSION_RATE)
    extra = _render_options(session, options.music)
    levels = replace(SESSION_LEVELS, loudness=loudness)
    chunks = render_chunks(
        timeline,
        *_clips(timeline, speech),
        SESSION_RATE,
        levels=levels,
        levels_cache=session.levels_cache,
        **extra,  # type: ignore[arg-type]
    )
    percent = timeline.pace.percent
    settings = speech.settings
    comment = (
        f"matcue session: {timeline.pace.describe()}, voice {speech.voice_id} at "
        f"{settings.rate} words a minute, volume {settings.volume:g}, "
        f"{'stereo' if session.stereo else 'mono'}, {loudness:g} LUFS, "
        f"{export.encoding.describe()}"
    )
    tags = Tags(
        title=r.title if percent == 100 else f"{r.title} (pace {percent:g} %)",
        album=r.title,
        artist="matcue",
        date=datetime.date.today().isoformat(),
        comment=comment,
    )
    names = {i: ex.name for i, ex in enumerate(r.exercises, 1)}
    total = seconds_to_frames(timeline.duration, SESSION_RATE)
    show = not quiet and env.stderr.isatty() and timeline.duration >= PROGRESS_MIN_SECONDS
    with _progress(env, total, show) as advance:
        written = export_session(timeline, chunks, SESSION_RATE, export, tags, names, advance)
    if not quiet:
        print(f"Wrote {_listing(written)} ({_clock(timeline.duration)}).", file=env.stderr)


@contextlib.contextmanager
def _progress(env: Environment, total: int, show: bool) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr counting rendered frames, or nothing."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("Exporting"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f} %"),
        TimeRemainingColumn(),
        console=Console(file=env.stderr),
        transient=True,
    )
    with bar:
        task = bar.add_task("export", total=total)
        yield lambda frames: bar.advance(task, frames)


def _listing(paths: Sequence[Path]) -> str:
    names = [str(p) for p in paths]
    if len(names) > 4:
        return f"{len(names)} files ({names[0]} … {names[-1]})"
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + f" and {names[-1]}"


@app.command("list")
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the built-in routines with their length at pace 100."""
    from matcue.timeline.estimate import speech_estimate  # no line is spoken to list them

    env = _env()
    routines = [load_routine(resolve(rid)) for rid in builtin_ids()]
    rows = [(r, compile(r, Pace(percent=100), speech_estimate()).duration) for r in routines]
    if as_json:
        data = [
            {
                "id": r.id,
                "title": r.title,
                "level": r.level,
                "equipment": list(r.equipment),
                "exercises": len(r.exercises),
                "duration_s": round(seconds, 3),
            }
            for r, seconds in rows
        ]
        json.dump(data, env.stdout, indent=2, ensure_ascii=False)
        env.stdout.write("\n")
        return
    width = max((len(r.id) for r in routines), default=2)
    print(f"{'id':<{width}}  {'level':<12}  {'ex':>2}  {'length':>6}  title", file=env.stdout)
    for r, seconds in rows:
        print(
            f"{r.id:<{width}}  {r.level:<12}  {len(r.exercises):>2}  {_clock(seconds):>6}  "
            f"{r.title}",
            file=env.stdout,
        )


@app.command("show")
def show_cmd(routine: RoutineArg) -> None:
    """Show a routine: its exercises with positions, reps, sets, sides, holds and steps."""
    env = _env()
    env.stdout.write(format_routine(_load(routine)))


def format_routine(r: Routine) -> str:
    """A routine as readable text, the way `matcue show` prints it."""
    out = [f"{r.title} ({r.id})", f"level: {r.level}"]
    if r.equipment:
        out.append(f"equipment: {', '.join(r.equipment)}")
    if r.source:
        out.append(f"source: {r.source}")
    out += [f"caution: {c}" for c in r.cautions]
    for i, ex in enumerate(r.exercises, 1):
        count = f"{ex.reps} rep{'s' if ex.reps != 1 else ''}"
        if ex.sides in ("each", "alternate"):
            count += " per side"
        if ex.sets > 1:
            count += f" × {ex.sets} sets"
        sides = {"none": "", "each": ", each side", "alternate": ", alternating sides"}.get(
            ex.sides, ", both sides at once"
        )
        out += ["", f"{i}. {ex.name} — {count}{sides}", f"   position: {ex.position}"]
        for step in ex.steps:
            out.append(f"   - {_describe(step, ex.timing)}")
        out += [f"   caution: {c}" for c in ex.cautions]
        if ex.progress:
            out.append(f"   progress: {' '.join(ex.progress.split())}")
        for stage in ex.stages:
            numbers = [
                f"{stage.reps} reps" if stage.reps else "",
                f"{stage.sets} sets" if stage.sets else "",
                f"hold {stage.hold:g} s" if stage.hold is not None else "",
            ]
            out.append(f"   from week {stage.week}: {', '.join(n for n in numbers if n)}")
        own = [
            f"pace {ex.pace:g} %" if ex.pace != 100 else "",
            f"holds {ex.holds:g} %" if ex.holds != 100 else "",
            f"breath {ex.breath}" if ex.breath else "",
        ]
        if any(own):
            out.append(f"   own pace: {', '.join(o for o in own if o)}")
        if ex.note:
            out.append(f"   note: {' '.join(ex.note.split())}")
    return "\n".join(out) + "\n"


def _describe(step: Step, timing: Timing) -> str:
    default = {"inhale": timing.inhale, "exhale": timing.exhale, "move": timing.move}
    seconds = step.seconds if step.seconds is not None else default.get(step.kind)
    head: str = step.kind
    if step.kind == "breathe":
        head = f"breathe {step.cycles} time{'s' if step.cycles != 1 else ''}"
    elif seconds is not None:
        head = f"{step.kind} {seconds:g} s"
    words = " ".join(w for w in (step.text, step.say) if w)
    return f"{head}: {words}" if words else head


@app.command("voices")
def voices_cmd(
    lang: Annotated[
        str | None,
        typer.Option("--lang", metavar="CODE", help="Only voices for this language (pl, cs)."),
    ] = None,
) -> None:
    """List the text-to-speech voices: id, languages and name."""
    from matcue.voice import list_voices

    env = _env()
    wanted = lang.strip().lower() if lang else None
    for v in list_voices():
        codes = [c.lower() for c in v.languages]
        if wanted and not any(c == wanted or c.startswith(wanted + "-") for c in codes):
            continue
        print(f"{v.id:<24} {', '.join(v.languages):<10} {v.name}", file=env.stdout)


config_app = typer.Typer(
    help="Show the saved defaults (voice, rate, volume, level, pace, count, "
    "breath_words, stereo) with where each comes from; `set KEY VALUE` or `unset KEY` "
    "changes them. Options on the command line always win.",
    no_args_is_help=False,
)
app.add_typer(config_app, name="config")

CONFIG_DEFAULTS: dict[str, str] = {
    "voice": "an espeak-ng voice for the routine's language",
    "rate": "150",
    "volume": "1",
    "level": "standard",
    "pace": "100",
    "count": "voice",
    "breath_words": "always",
    "stereo": "false",
}


def _config_key(key: str) -> str:
    return key.strip().lower().replace("-", "_")


@config_app.callback(invoke_without_command=True)
def config_cmd(ctx: typer.Context) -> None:
    """Show the saved defaults and where each comes from."""
    if ctx.invoked_subcommand is not None:
        return
    from matcue.store.config import KEYS, load_config

    env = _env()
    path = _folders().config_file
    values = load_config(path)
    print(f"config file: {path}{'' if path.exists() else ' (none yet)'}", file=env.stdout)
    for key in KEYS:
        if key in values:
            value = values[key]
            shown = str(value).lower() if isinstance(value, bool) else f"{value}"
            print(f"{key:<13} {shown}  (config file)", file=env.stdout)
        else:
            print(f"{key:<13} {CONFIG_DEFAULTS[key]}  (default)", file=env.stdout)


@config_app.command("set")
def config_set_cmd(
    key: Annotated[str, typer.Argument(help="A setting: voice, rate, volume, level, ...")],
    value: Annotated[str, typer.Argument(help="Its new value.")],
) -> None:
    """Save a default in the config file."""
    from matcue.store.config import load_config, parse_value, save_config

    name = _config_key(key)
    path = _folders().config_file
    values = load_config(path)
    values[name] = parse_value(name, value)
    save_config(values, path)
    print(f"{name} = {values[name]} (saved in {path})", file=_env().stderr)


@config_app.command("unset")
def config_unset_cmd(
    key: Annotated[str, typer.Argument(help="The setting to forget.")],
) -> None:
    """Remove a default from the config file."""
    from matcue.store.config import KEYS, load_config, save_config

    name = _config_key(key)
    if name not in KEYS:
        raise InputError(f"unknown setting '{key}'; the settings are {', '.join(KEYS)}")
    path = _folders().config_file
    values = load_config(path)
    values.pop(name, None)
    save_config(values, path)


# --- entry point ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Run the CLI; return (and, as a console script, exit with) the exit status. ``env``:
    the streams and the playback to use instead of the process's own (tests)."""
    token = _ENVIRONMENT.set(env)
    try:
        return _main_in(argv)
    finally:
        _ENVIRONMENT.reset(token)


def _main_in(argv: Sequence[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    err = _env().stderr
    debug = "--debug" in args or bool(os.environ.get("MATCUE_DEBUG"))
    if debug:
        _show_alsa_notes()
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
            show()
        else:
            print(f"matcue: {exc.format_message()}", file=err)
        status = ExitStatus.INVALID
    except RoutineError as exc:
        _debug_trace(debug)
        print(exc.format(), file=err)
        status = ExitStatus.INVALID
    except InputError as exc:
        _debug_trace(debug)
        print(f"matcue: {exc}", file=err)
        status = ExitStatus.INVALID
    except MatcueError as exc:
        _debug_trace(debug)
        print(f"matcue: {exc}", file=err)
        status = ExitStatus.FAILURE
    except BrokenPipeError:  # the reader of stdout went away (`matcue plan x | head`)
        _debug_trace(debug)
        with contextlib.suppress(OSError, ValueError):  # no second complaint at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = ExitStatus.FAILURE
    except (OSError, MemoryError, RecursionError) as exc:
        _debug_trace(debug)
        print(f"matcue: {_system_failure(exc)}", file=err)
        status = ExitStatus.FAILURE
    except Exception as exc:  # the one place that turns surprises into a sentence
        _debug_trace(debug)
        print(
            f"matcue: unexpected error: {exc!s} (run again with --debug for details)",
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


def _show_alsa_notes() -> None:
    """``--debug``: alsa-lib's own lines (kept off the terminal otherwise), as they come."""
    from matcue.playback import alsa_notes

    def echo(note: alsa_notes.Note) -> None:
        print(f"matcue: ALSA: {note}", file=sys.stderr, flush=True)

    alsa_notes.install(echo)


def _debug_trace(debug: bool) -> None:
    if debug:
        traceback.print_exc()


if __name__ == "__main__":
    main()
