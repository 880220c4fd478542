"""The command line: parses options, wires the stages, and is the only place that maps errors
to exit codes (0 ok, 1 runtime failure, 2 invalid input or usage, 130 interrupted)."""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from typer.core import TyperCommand, TyperGroup

from matcue import __version__
from matcue.errors import InputError, MatcueError
from matcue.routine import Routine, RoutineError, load_routine
from matcue.routine.library import builtin_ids, resolve
from matcue.routine.model import Step, Timing
from matcue.timeline import Pace, Timeline, compile

if TYPE_CHECKING:  # imported where used: `show`, `validate` and `--help` need no audio stack
    from matcue.audio.levels_cache import LevelsCache
    from matcue.voice import Clip, Pyttsx3Voice

SESSION_RATE = 22050  # Hz: espeak-ng's native rate; tones are resampled to it


class ExitStatus(IntEnum):
    OK = 0
    FAILURE = 1
    INVALID = 2
    INTERRUPTED = 130


@dataclass(frozen=True)
class Environment:
    """The CLI's I/O, passed in so tests can swap it."""

    stdout: TextIO
    stderr: TextIO
    stdin_is_tty: bool


def _env() -> Environment:
    return Environment(sys.stdout, sys.stderr, sys.stdin.isatty())


# typer 0.29 checks every non-flag parameter through a pydantic TypeAdapter, built when the
# parameter is processed: that imports pydantic and generates schemas, about 0.2 s of every
# command that takes an option or argument. matcue's parameters are all simple (text, a number
# in a range, a path, a choice), so the values a user normally types are coerced here the way
# typer's adapters coerce them; anything else (a bad value, an unusual spelling such as "1e2"
# or " 50") goes to typer's own coercion, so its results and error messages are unchanged.

_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


class _Typers:
    """Not a value this module coerces: let typer do it."""


_TYPERS = _Typers()


def _in_range(number: float, info: Any) -> bool:
    low, high = info.min, info.max
    return (low is None or number >= low) and (high is None or number <= high)


def _plain_value(value: Any, param: Any, ctx: Any) -> Any:
    """``value`` coerced as typer's adapter would, or ``_TYPERS`` if that takes typer."""
    from typer._param_types import coerce_cli_path

    annotation = param.type_descriptor.annotation
    info = param.type_descriptor.parameter_info
    if annotation is str:
        return value if isinstance(value, str) else _TYPERS
    if annotation is bool:
        return value if type(value) is bool else _TYPERS
    if annotation is int or annotation is float:
        pattern = _INT if annotation is int else _FLOAT
        typed = isinstance(value, str) and pattern.fullmatch(value) is not None
        if not (typed or type(value) is int or (type(value) is float and annotation is float)):
            return _TYPERS
        number: int | float = annotation(value)
        return number if math.isfinite(number) and _in_range(number, info) else _TYPERS
    if annotation is Path:
        if isinstance(value, str) and value and "\0" not in value:
            return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
        return _TYPERS
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        if isinstance(value, annotation):
            return value
        members = {m.value: m for m in annotation}
        return members.get(value, _TYPERS) if isinstance(value, str) else _TYPERS
    if annotation == list[str] and isinstance(value, list | tuple):
        return list(value) if all(isinstance(v, str) for v in value) else _TYPERS
    return _TYPERS


class _PlainCoercion:
    """A typer parameter's coercion: plain for simple values, else typer's own (pydantic)."""

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:  # as typer's RuntimeParam.coerce
            return () if param.multiple or param.nargs == -1 else None
        if not (isinstance(value, str) and (param.multiple or param.nargs == -1)):
            plain = _plain_value(value, param, ctx)
            if plain is not _TYPERS:
                return plain
        from typer._coercion import build_runtime_param

        return build_runtime_param(param.type_descriptor).coerce(value, param=param, ctx=ctx)


def _plain_params(params: list[Any]) -> list[Any]:
    """Give each parameter :class:`_PlainCoercion`, where this typer has the hook for it (a
    typer without it keeps its own coercion)."""
    for param in params:
        info = getattr(getattr(param, "type_descriptor", None), "parameter_info", None)
        plain = info is not None and info.parser is None and not getattr(info, "clamp", False)
        if plain and getattr(param, "_runtime_param", False) is None:
            param._runtime_param = _PlainCoercion()
    return params


class _Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:  # the help option included
        return _plain_params(super().get_params(ctx))


class _Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_params(super().get_params(ctx))


app = typer.Typer(
    name="matcue",
    help=(
        "Voice-guided audio sessions for home back-care routines.\n\n"
        "A ROUTINE is a built-in id (see `matcue list`) or a path to a routine YAML file."
    ),
    cls=_Group,
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
        bool, typer.Option("--debug", help="Show a traceback when something fails.")
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
PaceOpt = Annotated[
    float,
    typer.Option(
        "--pace",
        "-p",
        min=10,
        max=400,
        help="Pace in percent: 50 is half speed (every timed phase twice as long), 200 double.",
    ),
]
VoiceOpt = Annotated[
    str | None,
    typer.Option("--voice", help="Text-to-speech voice id (see `matcue voices`)."),
]
RateOpt = Annotated[
    int,
    typer.Option("--rate", min=80, max=450, help="Speech rate in words per minute."),
]


def _load(name: str) -> Routine:
    return load_routine(resolve(name))


def _voice(routine: Routine, voice: str | None, rate: int) -> Pyttsx3Voice:
    from matcue.voice import Pyttsx3Voice, VoiceSettings

    return Pyttsx3Voice(VoiceSettings(voice=voice, rate=rate, language=routine.language))


def _compile(
    routine: Routine,
    pace: float,
    speech: Pyttsx3Voice,
    on_new_clip: Callable[[Clip], None] | None = None,
) -> Timeline:
    """The timeline, with each line's real length; ``on_new_clip`` sees each line that had to
    be synthesised (one from the speech cache was seen by an earlier run)."""

    def length(text: str) -> float:
        made = speech.renders
        clip = speech.clip(text)
        if on_new_clip is not None and speech.renders != made:
            on_new_clip(clip)
        return clip.duration

    return compile(routine, Pace(percent=pace), length)


def _compile_for_render(
    routine: Routine, pace: float, speech: Pyttsx3Voice, levels_cache: LevelsCache
) -> Timeline:
    """The timeline, with each newly synthesised line measured for the loudness work while
    the next lines are spoken (see :func:`matcue.audio.render.measuring_ahead`)."""
    from matcue.audio.render import measuring_ahead

    with measuring_ahead(levels_cache, SESSION_RATE) as measure:
        return _compile(routine, pace, speech, measure)


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


@app.command("validate", cls=_Command)
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


@app.command("plan", cls=_Command)
def plan_cmd(
    routine: RoutineArg,
    pace: PaceOpt = 100,
    voice: VoiceOpt = None,
    rate: RateOpt = 150,
    as_json: Annotated[bool, typer.Option("--json", help="Print the timeline as JSON.")] = False,
) -> None:
    """Show the timed script of a session: every phase and what is said when."""
    env = _env()
    r = _load(routine)
    timeline = _compile(r, pace, _voice(r, voice, rate))
    if as_json:
        json.dump(timeline.to_json(), env.stdout, indent=2, ensure_ascii=False)
        env.stdout.write("\n")
        return
    env.stdout.write(format_plan(timeline))


def format_plan(timeline: Timeline) -> str:
    """A readable table: one row per phase with the words and tones heard in it."""
    lines = [
        f"{timeline.title} — {_clock(timeline.duration)} at pace {timeline.pace.percent:g}",
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


@app.command("play", cls=_Command)
def play_cmd(
    routine: RoutineArg,
    pace: PaceOpt = 100,
    voice: VoiceOpt = None,
    rate: RateOpt = 150,
) -> None:
    """Play a session through the speakers. Ctrl-C stops it."""
    from matcue.audio import SESSION_LEVELS, render
    from matcue.outputs import play

    env = _env()
    r = _load(routine)
    speech = _voice(r, voice, rate)
    levels_cache = _levels_cache(speech)
    timeline = _compile_for_render(r, pace, speech, levels_cache)
    pcm = render(
        timeline,
        *_clips(timeline, speech),
        SESSION_RATE,
        levels=SESSION_LEVELS,
        levels_cache=levels_cache,
    )
    play(
        pcm,
        SESSION_RATE,
        on_start=lambda: print(
            f"Playing {r.title} ({_clock(timeline.duration)}, pace {pace:g}). Ctrl-C stops.",
            file=env.stderr,
        ),
    )


PROGRESS_MIN_SECONDS = 60.0  # sessions shorter than this export in a moment: no bar


class SubtitleFormat(StrEnum):
    vtt = "vtt"
    srt = "srt"


@app.command("export", cls=_Command)
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
    pace: PaceOpt = 100,
    voice: VoiceOpt = None,
    rate: RateOpt = 150,
    bitrate: Annotated[
        int | None,
        typer.Option(
            "--bitrate",
            metavar="KBPS",
            help="Bitrate of .mp3 (56-160, default 64), .opus (6-256, default 48) "
            "or .m4a (16-256, default 64).",
        ),
    ] = None,
    quality: Annotated[
        float | None,
        typer.Option("--quality", metavar="Q", help="Quality of .ogg: 0-10 (default 4)."),
    ] = None,
    loudness: Annotated[
        float,
        typer.Option(
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
    from dataclasses import replace

    from matcue.audio import SESSION_LEVELS, render_chunks, seconds_to_frames
    from matcue.outputs.export import ExportOptions, Tags, check_export, export_session
    from matcue.outputs.formats import audio_format, encoding
    from matcue.outputs.staging import refuse_existing

    options = ExportOptions(
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
    r = _load(routine)
    speech = _voice(r, voice, rate)
    levels_cache = _levels_cache(speech)
    timeline = _compile_for_render(r, pace, speech, levels_cache)
    check_export(timeline, options, SESSION_RATE)
    levels = replace(SESSION_LEVELS, loudness=loudness)
    chunks = render_chunks(
        timeline,
        *_clips(timeline, speech),
        SESSION_RATE,
        levels=levels,
        levels_cache=levels_cache,
    )
    comment = (
        f"matcue session: pace {pace:g} %, voice {speech.voice_id} at {rate} words a minute, "
        f"{loudness:g} LUFS, {options.encoding.describe()}"
    )
    tags = Tags(
        title=r.title if pace == 100 else f"{r.title} (pace {pace:g} %)",
        album=r.title,
        artist="matcue",
        date=datetime.date.today().isoformat(),
        comment=comment,
    )
    names = {i: ex.name for i, ex in enumerate(r.exercises, 1)}
    total = seconds_to_frames(timeline.duration, SESSION_RATE)
    show = not quiet and env.stderr.isatty() and timeline.duration >= PROGRESS_MIN_SECONDS
    with _progress(env, total, show) as advance:
        written = export_session(timeline, chunks, SESSION_RATE, options, tags, names, advance)
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


@app.command("list", cls=_Command)
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the built-in routines with their length at pace 100."""
    env = _env()
    routines = [load_routine(resolve(rid)) for rid in builtin_ids()]
    from matcue.voice import Pyttsx3Voice, VoiceSettings

    speech = Pyttsx3Voice(VoiceSettings())
    rows = [(r, _compile(r, 100, speech).duration) for r in routines]
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


@app.command("show", cls=_Command)
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


@app.command("voices", cls=_Command)
def voices_cmd() -> None:
    """List the text-to-speech voices."""
    from matcue.voice import list_voices

    env = _env()
    for v in list_voices():
        print(f"{v.id:<24} {', '.join(v.languages):<10} {v.name}", file=env.stdout)


# --- entry point ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return (and, as a console script, exit with) the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or bool(os.environ.get("MATCUE_DEBUG"))
    command = typer.main.get_command(app)
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
            print(f"matcue: {exc.format_message()}", file=sys.stderr)
        status = ExitStatus.INVALID
    except RoutineError as exc:
        _debug_trace(debug)
        print(exc.format(), file=sys.stderr)
        status = ExitStatus.INVALID
    except InputError as exc:
        _debug_trace(debug)
        print(f"matcue: {exc}", file=sys.stderr)
        status = ExitStatus.INVALID
    except MatcueError as exc:
        _debug_trace(debug)
        print(f"matcue: {exc}", file=sys.stderr)
        status = ExitStatus.FAILURE
    except Exception as exc:  # the one place that turns surprises into a sentence
        _debug_trace(debug)
        print(
            f"matcue: unexpected error: {exc!s} (run again with --debug for details)",
            file=sys.stderr,
        )
        status = ExitStatus.FAILURE
    if status == ExitStatus.INTERRUPTED:
        print("Stopped.", file=sys.stderr)
    if argv is None:
        sys.exit(status)
    return status


def _debug_trace(debug: bool) -> None:
    if debug:
        traceback.print_exc()


if __name__ == "__main__":
    main()
