"""``export``: a session written to audio files, with chapters and tags."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from matcue import api, settings
from matcue.cli.env import current
from matcue.cli.options import RoutineArg, float_option, session_command
from matcue.cli.tables import clock, listing
from matcue.cli.terminal import progress

PROGRESS_MIN_SECONDS = 60.0  # sessions shorter than this export in a moment: no bar


class SubtitleFormat(StrEnum):
    vtt = "vtt"
    srt = "srt"


LOUDNESS = settings.LOUDNESS


@session_command(sound=True)
def export_cmd(
    routine: RoutineArg,
    output: Annotated[
        str,  # as typed: a trailing slash (a folder) is refused, not dropped as Path() does
        typer.Option(
            "--output",
            "-o",
            help="The audio file to write; its extension picks the format: "
            ".wav, .flac, .ogg (Vorbis), .opus, .mp3 or .m4a (needs PyAV, the m4a extra).",
        ),
    ],
    options: api.Options,
    bitrate: Annotated[
        int | None,
        typer.Option(
            "--bitrate",
            metavar="KBPS",
            help="Bitrate of .mp3 (56-160, default 64), .opus (6-256, default 64; under 64 "
            "it may pass the true-peak ceiling) "
            "or .m4a (16-256, default 64; under 48 it may pass the true-peak ceiling).",
        ),
    ] = None,
    quality: Annotated[
        float | None,
        float_option("--quality", metavar="Q", help="Quality of .ogg: 0-10 (default 4)."),
    ] = None,
    loudness: Annotated[
        float,
        float_option(
            "--loudness",
            metavar=LOUDNESS.metavar,
            min=LOUDNESS.minimum,  # louder than the maximum: api.check_loudness says why
            help=LOUDNESS.help,
        ),
    ] = float(LOUDNESS.default or 0),
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
    api.check_loudness(loudness)
    env = current()
    target = api.export_options(
        output,
        bitrate=bitrate,
        quality=quality,
        split=split,
        subtitles=subtitles.value if subtitles is not None else None,
        cue_sheet=cue_sheet,
        labels=labels,
        chapters_json=chapters_json,
        force=force,
        warn=env.warn,
    )
    session = api.prepare(routine, options, loudness=loudness, folders=env.where(), warn=env.warn)
    duration = session.timeline.duration
    total = api.frames(duration)
    show = not quiet and env.stderr.isatty() and duration >= PROGRESS_MIN_SECONDS
    with progress(env.stderr, total, show) as advance:
        written = api.export(session, target, progress=advance)
    if not quiet:
        print(f"Wrote {listing(written)} ({clock(duration)}).", file=env.stderr)
