"""A session that plays while its later parts are still being made, on the session loop.

A session may start before all of it is rendered (the rest renders in the background) or
before all of its lines are spoken (:mod:`matcue.api.ahead`): its :class:`Track` then has
``more``, and ``Hooks.grow`` hands the loop each next part once it is made, a track of a
re-compiled timeline starting at the phase where the last part ends. Everything before that
phase is the same in both timelines, so the part is spliced in exactly there: a new stream
started a little before the old one ends, padded with silence so that it takes over at the
old one's last frame (the old stream is not silenced: it simply ends).

Should the sound reach the end of what is made before the next part is (a line *late*), the
loop waits there, silent, counts it in ``late``, and plays on from that phase when the part
comes. A seek past what is made (or before what can be rendered again) waits the same way.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable

import numpy as np

from matcue.audio.units import seconds_to_frames
from matcue.playback.device import Device
from matcue.playback.splice import Pending
from matcue.playback.stream import Hooks, Pcm, Stream, Track, silent
from matcue.timeline.model import Timeline

GROW_LEAD = 0.3  # seconds before a part's end at which the next part's stream is started


class Growing:
    """The growing session's part of the session loop (:class:`matcue.playback.loop.Session`)."""

    track: Track
    rate: int
    hooks: Hooks
    device: Device
    _last_frame: int
    stream: Stream | None
    draining: list[tuple[Stream, int]]
    pending: Pending | None
    waiting: tuple[int, int, Pcm] | None  # (phase, frames into it, what to say first)
    upcoming: deque[Track]
    late: int
    on_late: Callable[[int], object] | None
    _starts: dict[int, tuple[Timeline, list[int]]]  # phase start frames, by timeline

    def now(self) -> float:
        raise NotImplementedError

    def _play(self, frame: int, prefix: Pcm, now: float, pad: int = 0) -> None:
        raise NotImplementedError

    def _count(self, frame: int) -> None:
        raise NotImplementedError

    def _outside(self, frame: int) -> bool:
        """Whether ``frame`` is not made yet, or cannot be rendered again yet."""
        track = self.track
        return (track.more and frame >= track.end) or frame < track.lo

    def _wait_at(self, frame: int, prefix: Pcm) -> None:
        """Wait, silent, until the part holding ``frame`` comes; then play from it."""
        starts = self._phase_starts(self.track.timeline)
        k = max(0, bisect.bisect_right(starts, frame) - 1)
        self.waiting = (k, frame - starts[k], prefix)
        self.stream = None

    def _stall(self, stream: Stream) -> None:
        """The sound reached the end of what is made: a line is late."""
        self.draining.append((stream, 0))
        self._wait_at(self.track.end, silent(0, self.track.pcm))
        self.late += 1
        if self.on_late is not None:
            self.on_late(self.late)

    def _next_part(self) -> Track | None:
        """The part that goes on where the current track ends (older ones dropped)."""
        grow = self.hooks.grow
        if grow is not None:
            while (part := grow()) is not None:
                self.upcoming.append(part)
        track = self.track
        if not track.more:
            self.upcoming.clear()
            return None
        if not self.upcoming:
            return None
        end = self._phase_from(track.timeline, track.end)
        while self.upcoming:
            part = self.upcoming[0]
            if self._phase_from(part.timeline, part.base) >= end:
                return part
            self.upcoming.popleft()  # a part for frames already made
        return None

    def _phase_from(self, timeline: Timeline, frame: int) -> int:
        """The first phase of ``timeline`` that starts at or after ``frame``."""
        return bisect.bisect_left(self._phase_starts(timeline), frame)

    def _phase_starts(self, timeline: Timeline) -> list[int]:
        """The frame each phase of ``timeline`` starts at (kept for the last few timelines)."""
        known = self._starts.get(id(timeline))
        if known is None or known[0] is not timeline:
            if len(self._starts) > 8:
                self._starts.clear()
            starts = [seconds_to_frames(p.t, self.rate) for p in timeline.phases]
            known = self._starts[id(timeline)] = (timeline, starts)
        return known[1]

    def _maybe_grow(self, now: float) -> bool:
        """Splice the next part in when the sound nears the end of this one, or play on from
        where the loop waits; True if a new stream started."""
        part = self._next_part()
        if part is None:
            return False
        old = self.track
        if self.waiting is not None:
            self.upcoming.popleft()
            self._adopt(part)
            k, offset, prefix = self.waiting
            frame = self._phase_starts(part.timeline)[k] + offset
            if self._outside(frame):
                return False  # not there yet: the next part, then
            self.waiting = None
            self._play(frame, prefix, self.now())
            return True
        stream = self.stream
        if stream is None or (old.end - stream.frame(now)) / self.rate > GROW_LEAD:
            return False  # paused (the part is taken on resume), or not yet
        self._count(old.end)  # the reps that end where the part takes over
        self.upcoming.popleft()
        self._adopt(part)
        last = int(stream.buf.shape[0])  # the old stream plays to its end
        guess = max(0, last - stream.index(self.now()))
        buf = np.concatenate([silent(guess, part.pcm), part.pcm])
        now = self.now()  # the copy took time: start with as much less silence
        skip = min(guess, max(0, guess - (last - stream.index(now))))
        self.draining.append((stream, last))
        self.stream = Stream(
            self.device, buf[skip:], self.rate, part.base, guess - skip, now, False
        )
        self._last_frame = part.base
        return True

    def _adopt(self, part: Track) -> None:
        """``part`` becomes the track; a pace change being made re-times from its timeline
        (the same phases)."""
        old = self.track.timeline
        self.track = part
        job = self.pending
        if job is not None and job.old is old:
            job.old = part.timeline
