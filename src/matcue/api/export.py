"""Write a session to audio files: the same sound ``play`` makes, with chapters and tags."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from matcue.api.model import SESSION_RATE, Session
from matcue.api.session import clips, levels_of, sound_options
from matcue.errors import InputError

if TYPE_CHECKING:
    from matcue.export import ExportOptions

DEFAULT_LOUDNESS = -16.0  # LUFS


def export_options(
    output: str | Path,
    *,
    bitrate: int | None = None,
    quality: float | None = None,
    split: bool = False,
    subtitles: Literal["vtt", "srt"] | None = None,
    cue_sheet: bool = False,
    labels: bool = False,
    chapters_json: bool = False,
    force: bool = False,
    warn: Callable[[str], object] | None = None,
) -> ExportOptions:
    """What to write, checked before any speech is made: the format (from ``output``'s
    extension) and its settings; an existing file is refused at once unless ``force``.
    ``warn`` hears of settings that may not keep the loudness and true-peak promises."""
    from matcue.export import ExportOptions
    from matcue.export.formats import audio_format, ceiling_warning, encoding
    from matcue.export.staging import refuse_existing

    if isinstance(output, str) and output.endswith(("/", os.sep)):  # Path() drops the slash
        raise InputError(
            f"the output {output} is a folder path; give a file name such as "
            f"{output.rstrip('/' + os.sep) or 'session.mp3'}"
        )
    path = Path(output)
    options = ExportOptions(
        output=path,
        encoding=encoding(audio_format(path), bitrate, quality),
        split=split,
        subtitles=subtitles,
        cue_sheet=cue_sheet,
        labels=labels,
        chapters_json=chapters_json,
        force=force,
    )
    if not (force or split):
        refuse_existing([path])  # before the speech is made, for a quick answer
    note = ceiling_warning(options.encoding)
    if note is not None and warn is not None:
        warn(note)
    return options


def export(
    session: Session,
    output: str | Path | ExportOptions,
    *,
    progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """Write ``session`` (made by :func:`matcue.prepare`, for its loudness) to ``output`` (a
    path, whose extension picks the format, or :func:`export_options`); ``progress`` is called
    with each block's frames. Returns the files written; nothing is left of a failed one."""
    from matcue.audio import render_chunks
    from matcue.export import ExportOptions, Tags, check_export, export_session

    options = output if isinstance(output, ExportOptions) else export_options(output)
    options = replace(options, channels=2 if session.stereo else 1)
    r, speech, timeline = session.routine, session.speech, session.timeline
    check_export(timeline, options, SESSION_RATE)
    loudness = DEFAULT_LOUDNESS if session.loudness is None else session.loudness
    chunks = render_chunks(
        timeline,
        *clips(timeline, speech),
        SESSION_RATE,
        levels=levels_of(session),
        levels_cache=session.levels_cache,
        **sound_options(session),  # type: ignore[arg-type]
    )
    percent = timeline.pace.percent
    settings = speech.settings
    comment = (
        f"matcue session: {timeline.pace.describe()}, voice {speech.voice_id} at "
        f"{settings.rate} words a minute, volume {session.volume:g}, "
        f"{'stereo' if session.stereo else 'mono'}, {loudness:g} LUFS, "
        f"{options.encoding.describe()}"
    )
    tags = Tags(
        title=r.title if percent == 100 else f"{r.title} (pace {percent:g} %)",
        album=r.title,
        artist="matcue",
        date=datetime.date.today().isoformat(),
        comment=comment,
    )
    names = {i: ex.name for i, ex in enumerate(r.played, 1)}
    return export_session(timeline, chunks, SESSION_RATE, options, tags, names, progress)
