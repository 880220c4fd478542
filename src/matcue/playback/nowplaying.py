"""What is playing, seen from outside the loop: a frozen snapshot for the media-key service.

A desktop's media controls think in tracks; a session's tracks are its chapters (the
introduction, one per exercise, the closing), as in an exported file. :func:`now_playing` says
which one sounds at a position of the timeline, with a title that follows the rep and the side
("Bird dog, right side, rep 3 of 6", in the session's language: the words are the catalogue's
"where am I" lines) and where in the track the session is. Pure: the caller reads the loop's
position, pace and pause and passes them in.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from matcue.timeline.model import Timeline
from matcue.timeline.phrases import phrases_for


@dataclass(frozen=True)
class NowPlaying:
    """One look at a playing session."""

    track: int  # the chapter sounding: 0 the introduction, then the exercises, the closing
    tracks: int
    title: str  # the chapter's title, with the side and the rep when one sounds
    album: str  # the routine's title
    start: float  # seconds into the timeline where the track begins
    length: float  # the track's length, seconds
    at: float  # seconds into the timeline
    paused: bool
    finished: bool  # the session has ended (quit, pain stop, the end)
    pace: float
    when: float  # the loop's clock at this look (seconds)

    @property
    def position(self) -> float:
        """Seconds into the track."""
        return min(max(0.0, self.at - self.start), self.length)


def now_playing(
    timeline: Timeline,
    t: float,
    *,
    pace: float,
    paused: bool,
    finished: bool = False,
    when: float = 0.0,
) -> NowPlaying:
    """The snapshot of ``timeline`` at ``t`` seconds."""
    chapters = timeline.chapters
    starts = [c.t for c in chapters]
    k = max(0, bisect.bisect_right(starts, t + 1e-9) - 1) if chapters else 0
    start = starts[k] if chapters else 0.0
    end = starts[k + 1] if k + 1 < len(starts) else timeline.duration
    title = chapters[k].title if chapters else timeline.title
    return NowPlaying(
        track=k,
        tracks=max(1, len(chapters)),
        title=title + _rep_part(timeline, t),
        album=timeline.title,
        start=start,
        length=max(0.0, end - start),
        at=t,
        paused=paused,
        finished=finished,
        pace=pace,
        when=when,
    )


def _rep_part(timeline: Timeline, t: float) -> str:
    """What the title adds while a rep sounds (", right side, rep 3 of 6"); else nothing."""
    phases = timeline.phases
    if not phases:
        return ""
    starts = [p.t for p in phases]
    here = phases[max(0, min(len(phases) - 1, bisect.bisect_right(starts, t + 1e-9) - 1))]
    if here.rep is None:
        return ""
    reps = max(
        p.rep or 0
        for p in phases
        if (p.exercise, p.set, p.side) == (here.exercise, here.set, here.side)
    )
    words = phrases_for(timeline.language)
    said = [words.controls.where_rep.format(rep=here.rep, reps=reps)]
    if here.side:
        said.insert(0, words.controls.where_side.format(side=words.side_name(here.side)))
    return "".join(", " + _clause(line) for line in said)


def _clause(line: str) -> str:
    """A spoken sentence as a clause of a title: "Rep 3 of 6." -> "rep 3 of 6"."""
    text = line.strip().rstrip(".!?…")
    return text[:1].lower() + text[1:]
