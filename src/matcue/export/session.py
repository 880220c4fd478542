"""Write a rendered session to audio files, atomically: the whole session or split tracks, with
tags, chapters and sidecars.

The rendered blocks are encoded as they come (a two-hour session never sits in memory,
:mod:`matcue.export.streaming`) by the encoders of :mod:`matcue.export.encoders`, into a hidden
temporary file next to each target (:mod:`matcue.export.staging`). Tags and chapters are added
to the temporary file, sidecars are staged beside it, and only when every file is complete are
they renamed over their targets. On any failure, Ctrl-C included, the temporary files are
removed: the targets are either the complete new files or untouched.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from matcue.audio.units import seconds_to_frames
from matcue.errors import ExportError
from matcue.export import sidecars
from matcue.export.encoders import Pcm, encode_into, require_pyav
from matcue.export.formats import FORMATS, Encoding
from matcue.export.metadata import Span, Tags
from matcue.export.staging import Staging, describe_os_error, refuse_existing
from matcue.export.streaming import Splitter, ahead, counted, ctrl_c_between_blocks
from matcue.timeline.model import Timeline

__all__ = [
    "SLUG_MAX",
    "ExportOptions",
    "Tags",
    "check_export",
    "describe_os_error",
    "export_session",
    "export_targets",
    "export_wav",
]

# --- one WAV, the simplest export ----------------------------------------------------------------


def export_wav(chunks: Iterable[npt.NDArray[np.int16]], rate: int, path: Path) -> Path:
    """Write mono int16 ``chunks`` at ``rate`` Hz to ``path`` as a 16-bit WAV; return ``path``.

    An existing file is replaced, atomically. Raises ``ExportError`` when the file cannot be
    written (missing or unwritable folder, disk full, ...); nothing partial is ever left.
    """
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, got {rate!r}")
    path = Path(path)
    with Staging(force=True) as staging:
        encode_into(staging, path, chunks, rate, Encoding(FORMATS[".wav"]))
        staging.commit()
    return path


# --- a whole session: split tracks, tags, chapters, sidecars ---------------------------------


Subtitles = Literal["vtt", "srt"]


@dataclass(frozen=True)
class ExportOptions:
    """What ``matcue export`` writes, besides the audio at ``output``."""

    output: Path
    encoding: Encoding
    split: bool = False
    subtitles: Subtitles | None = None
    cue_sheet: bool = False
    labels: bool = False
    chapters_json: bool = False
    force: bool = False
    channels: int = 1  # 2: the session was rendered in stereo


SLUG_MAX = 48
"""The longest title part of a ``--split`` track's file name, in characters."""


def _slug(title: str) -> str:
    """A chapter title as a file name part: ASCII letters and digits joined by '-', at most
    ``SLUG_MAX`` long (cut at a word); so no separator, control character, dot or reserved
    name can come from a routine's text."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    if len(slug) > SLUG_MAX:
        cut = slug[: SLUG_MAX + 1].rfind("-")
        slug = slug[: cut if cut > SLUG_MAX // 2 else SLUG_MAX].strip("-")
    return slug or "part"


def _spans(timeline: Timeline) -> list[Span]:
    """The timeline's chapters as spans (each ends where the next starts), empty ones left out."""
    marks = [c.t for c in timeline.chapters] + [timeline.duration]
    return [
        Span(c.t, end, c.title)
        for c, end in zip(timeline.chapters, marks[1:], strict=True)
        if end > c.t
    ]


@dataclass(frozen=True)
class _Track:
    path: Path
    first: int  # frames [first, last) of the session
    last: int
    span: Span  # in session time


def _tracks(timeline: Timeline, options: ExportOptions, rate: int) -> list[_Track]:
    out = options.output
    spans = _spans(timeline) or [Span(0.0, timeline.duration, timeline.title)]
    total = seconds_to_frames(timeline.duration, rate)
    width = max(2, len(str(len(spans))))
    tracks = []
    for i, span in enumerate(spans, 1):
        first = seconds_to_frames(span.start, rate)
        last = total if i == len(spans) else seconds_to_frames(span.end, rate)
        name = f"{out.stem}-{i:0{width}d}-{_slug(span.title)}{out.suffix}"
        tracks.append(_Track(out.with_name(name), first, last, span))
    return tracks


def _sidecar_paths(options: ExportOptions) -> dict[str, Path]:
    out = options.output
    paths: dict[str, Path] = {}
    if options.split:
        paths["m3u"] = out.with_suffix(".m3u")
    if options.subtitles is not None:
        paths["subtitles"] = out.with_suffix(f".{options.subtitles}")
    if options.cue_sheet:
        paths["cue"] = out.with_suffix(".cue")
    if options.labels:
        paths["labels"] = out.with_name(f"{out.stem}.labels.txt")
    if options.chapters_json:
        paths["chapters"] = out.with_name(f"{out.stem}.chapters.json")
    return paths


def export_targets(timeline: Timeline, options: ExportOptions, rate: int) -> list[Path]:
    """Every file the export will write, audio first."""
    audio = (
        [t.path for t in _tracks(timeline, options, rate)] if options.split else [options.output]
    )
    return audio + list(_sidecar_paths(options).values())


def check_export(timeline: Timeline, options: ExportOptions, rate: int) -> list[Path]:
    """Before any work: the targets, after refusing existing files (unless ``force``) and a
    format this installation cannot write."""
    if options.encoding.format.container is None:
        require_pyav()
    targets = export_targets(timeline, options, rate)
    if len(set(targets)) != len(targets):
        raise ExportError(f"cannot export to {options.output}: two files would share a name")
    if not options.force:
        refuse_existing(targets)
    return targets


def _sidecar_texts(
    timeline: Timeline,
    options: ExportOptions,
    rate: int,
    tags: Tags,
    names: Mapping[int, str],
) -> dict[Path, str]:
    paths = _sidecar_paths(options)
    spans = _spans(timeline)
    texts: dict[Path, str] = {}
    fmt = options.encoding.format
    if options.split:
        tracks = _tracks(timeline, options, rate)
        lines = ["#EXTM3U", f"#PLAYLIST:{tags.album}"]
        for t in tracks:
            seconds = round((t.last - t.first) / rate)
            lines += [f"#EXTINF:{seconds},{tags.album} - {t.span.title}", t.path.name]
        texts[paths["m3u"]] = "\n".join(lines) + "\n"
        files = [
            sidecars.CueFile(t.path.name, fmt.cue_type, [replace(t.span, start=0.0)])
            for t in tracks
        ]
    else:
        files = [sidecars.CueFile(options.output.name, fmt.cue_type, spans)]
    if "subtitles" in paths:
        maker = sidecars.webvtt if options.subtitles == "vtt" else sidecars.srt
        texts[paths["subtitles"]] = maker(timeline)
    if "cue" in paths:
        texts[paths["cue"]] = sidecars.cue_sheet(tags, files)
    if "labels" in paths:
        texts[paths["labels"]] = sidecars.audacity_labels(timeline, names)
    if "chapters" in paths:
        texts[paths["chapters"]] = sidecars.podcast_chapters(tags, spans)
    return texts


def export_session(
    timeline: Timeline,
    chunks: Iterable[Pcm],
    rate: int,
    options: ExportOptions,
    tags: Tags,
    names: Mapping[int, str],
    on_progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """Write the session (``chunks``: its rendered blocks at ``rate`` Hz) as ``options`` say.

    ``tags`` are the whole session's (split tracks take their chapter's title and a track
    number); ``names`` maps exercise numbers to names for the labels. Returns the files
    written, audio first. Raises ``InputError`` for an existing file without ``force`` and
    ``ExportError`` for a file that cannot be written; nothing is left behind either way.
    """
    check_export(timeline, options, rate)
    enc = options.encoding
    rendered = ahead(chunks)
    with (
        ctrl_c_between_blocks() as check,
        Staging(force=options.force) as staging,
        contextlib.closing(rendered),  # first out: an error or Ctrl-C stops the render thread
    ):
        blocks = counted(rendered, on_progress, check)
        texts = _sidecar_texts(timeline, options, rate, tags, names)
        for path, text in texts.items():
            staging.write_text(path, text)
        if options.split:
            tracks = _tracks(timeline, options, rate)
            stream = Splitter(blocks)
            for i, track in enumerate(tracks, 1):
                track_tags = replace(tags, title=track.span.title, track=(i, len(tracks)))
                part = stream.take(track.last - track.first)
                encode_into(
                    staging, track.path, part, rate, enc, track_tags, channels=options.channels
                )
            stream.drain()
        else:
            encode_into(
                staging,
                options.output,
                blocks,
                rate,
                enc,
                tags,
                _spans(timeline),
                channels=options.channels,
            )
        check()
        written = staging.commit(check)  # a Ctrl-C during the renames takes them back
    audio = [p for p in written if p not in texts]
    return audio + [p for p in written if p in texts]
