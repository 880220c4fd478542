"""Text files written next to an export: subtitles, a CUE sheet, Audacity labels, JSON chapters.

All times come from the timeline (seconds from the session's start), the same numbers
``matcue plan --json`` prints; each function returns the file's text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from matcue.export.metadata import Span, Tags, clock
from matcue.timeline.model import Phase, Timeline


def _cues_of_speech(timeline: Timeline) -> list[tuple[float, float, str]]:
    return [(c.t, c.end, c.text) for c in timeline.cues if c.kind == "speech" and c.text]


def webvtt(timeline: Timeline) -> str:
    """WebVTT subtitles: every spoken line with its start and end."""
    out = ["WEBVTT", ""]
    for i, (start, end, text) in enumerate(_cues_of_speech(timeline), 1):
        out += [str(i), f"{clock(start)} --> {clock(end)}", text, ""]
    return "\n".join(out)


def srt(timeline: Timeline) -> str:
    """SubRip subtitles: every spoken line with its start and end."""
    out: list[str] = []
    for i, (start, end, text) in enumerate(_cues_of_speech(timeline), 1):
        out += [str(i), f"{clock(start, ',')} --> {clock(end, ',')}", text, ""]
    return "\n".join(out)


@dataclass(frozen=True)
class CueFile:
    """One audio file of a CUE sheet and the chapters in it (times from the file's start)."""

    name: str
    kind: str  # WAVE, MP3, ...
    tracks: Sequence[Span]


def _cue_time(seconds: float) -> str:
    """``MM:SS:FF`` with 75 frames a second (CUE's CD frames; minutes may pass 99)."""
    frames = max(0, round(seconds * 75))
    minutes, rest = divmod(frames, 75 * 60)
    secs, ff = divmod(rest, 75)
    return f"{minutes:02d}:{secs:02d}:{ff:02d}"


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'  # CUE has no escape for a quote


def cue_sheet(tags: Tags, files: Sequence[CueFile]) -> str:
    """A CUE sheet: one track per chapter, numbered through all ``files``."""
    out = [
        f"REM DATE {tags.date[:4]}",
        f"REM COMMENT {_quoted(tags.comment)}",
        f"PERFORMER {_quoted(tags.artist)}",
        f"TITLE {_quoted(tags.album)}",
    ]
    number = 0
    for f in files:
        out.append(f"FILE {_quoted(f.name)} {f.kind}")
        for span in f.tracks:
            number += 1
            out += [
                f"  TRACK {number:02d} AUDIO",
                f"    TITLE {_quoted(span.title)}",
                f"    PERFORMER {_quoted(tags.artist)}",
                f"    INDEX 01 {_cue_time(span.start)}",
            ]
    return "\n".join(out) + "\n"


def _phase_label(phase: Phase, names: Mapping[int, str]) -> str:
    words = [phase.kind.replace("_", " ")]
    if phase.exercise is not None:
        words.insert(0, names.get(phase.exercise, f"exercise {phase.exercise}"))
    if phase.set is not None:
        words.append(f"set {phase.set}")
    if phase.rep is not None:
        words.append(f"rep {phase.rep}")
    if phase.side is not None:
        words.append(phase.side)
    return " · ".join(words)


def audacity_labels(timeline: Timeline, names: Mapping[int, str]) -> str:
    """An Audacity label track: one region per phase, ``START<TAB>END<TAB>LABEL``.

    ``names`` maps exercise numbers (1-based) to exercise names.
    """
    return "".join(f"{p.t:.6f}\t{p.end:.6f}\t{_phase_label(p, names)}\n" for p in timeline.phases)


def podcast_chapters(tags: Tags, chapters: Sequence[Span]) -> str:
    """Podcasting 2.0 JSON chapters (version 1.2.0)."""
    data = {
        "version": "1.2.0",
        "title": tags.album,
        "chapters": [
            {"startTime": round(s.start, 3), "endTime": round(s.end, 3), "title": s.title}
            for s in chapters
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
