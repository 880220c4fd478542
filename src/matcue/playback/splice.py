"""The live pace change, on the session loop: compile and render the rest at the new pace in
the background, then splice it in at the next phase boundary (or adopt it at a seek).

At the boundary the old stream's buffer is silenced from that frame on and a new stream starts,
padded with silence so that it takes over exactly there, with "Pace ninety." and then the same
phase of the new timeline. The phases of a session do not depend on its pace, so a phase is
found in the re-compiled timeline by its index.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from matcue.audio.units import seconds_to_frames
from matcue.playback import transport as tp
from matcue.playback.stream import Hooks, Pcm, Stream, Track
from matcue.timeline.model import Timeline

SPLICE_LEAD = 0.25  # seconds before a phase boundary at which a pace change is started
SPLICE_MIN = 0.04  # ... and the least: with less, the next boundary is taken


@dataclass
class Pending:
    """A pace change being compiled and rendered in the background."""

    pace: float
    from_index: int  # the phase of the current timeline the render starts at
    old: Timeline
    result: Track | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class PaceSplicing:
    """The pace change's part of the session loop (:class:`matcue.playback.loop.Session`)."""

    track: Track
    rate: int
    hooks: Hooks
    stream: Stream | None
    draining: list[tuple[Stream, int]]
    pending: Pending | None
    background: Callable[[Callable[[], None]], object]

    def now(self) -> float:
        raise NotImplementedError

    def speech(self, lines: tuple[str, ...], tick: bool = False) -> Pcm:
        raise NotImplementedError

    def _play(self, frame: int, prefix: Pcm, now: float, pad: int = 0) -> None:
        raise NotImplementedError

    def _start_pace(self, pace: float, index: int | None) -> None:
        """Compile the session at ``pace`` and render it from phase ``index`` on, in the
        background; the loop splices it in (or a seek adopts it) once it is ready."""
        if index is None:  # in the last phase: nothing left to re-time
            self.pending = None
            return
        old, hooks, rate = self.track.timeline, self.hooks, self.rate
        job = Pending(pace=pace, from_index=index, old=old)
        self.pending = job

        def work() -> None:
            try:
                new = hooks.compile_at(pace)
                base = seconds_to_frames(tp.same_phase(old, new, index), rate)
                job.result = Track(new, hooks.render_from(new, base), base)
            except BaseException as err:  # raised again by the loop
                job.error = err
            finally:
                job.done.set()

        self.background(work)

    def _adopt_pending(self, seek: float) -> tuple[float, tuple[str, ...]]:
        """Switch to the pending pace before a seek to ``seek`` (old seconds): the seek's
        place in the new timeline and the pace line to say."""
        job = self.pending
        self.pending = None
        if job is None:
            return seek, ()
        job.done.wait()
        if job.error is not None:
            raise job.error
        assert job.result is not None
        new = job.result.timeline
        k = tp.phase_index(job.old, seek)
        offset = seek - job.old.phases[k].t
        target = tp.same_phase(job.old, new, k) + offset
        frame = seconds_to_frames(target, self.rate)
        if frame < job.result.base:
            self.track = Track(new, self.hooks.render_from(new, frame), frame)
        else:
            self.track = job.result
        return target, (self.hooks.words.pace_line(job.pace),)

    def _maybe_splice(self, now: float) -> None:
        job = self.pending
        if job is None or self.stream is None or not job.done.is_set():
            return
        if job.error is not None:
            self.pending = None
            raise job.error
        assert job.result is not None
        old = self.track.timeline
        if old is not job.old:
            self.pending = None
            return
        frame_now = self.stream.frame(now)
        k = tp.next_boundary(old, frame_now / self.rate)
        if k is None:
            self.pending = None
            return
        if k < job.from_index:
            return  # still before the rendered part: wait
        boundary = seconds_to_frames(old.phases[k].t, self.rate)
        if not SPLICE_MIN <= (boundary - frame_now) / self.rate <= SPLICE_LEAD:
            return  # too early, or too late for this boundary: the next one
        new = job.result
        target = tp.same_phase(old, new.timeline, k)
        self.pending = None
        self.track = new
        old_stream = self.stream
        old_boundary = old_stream.lead + (boundary - old_stream.origin)
        old_stream.silence_from(old_boundary)
        prefix = self.speech((self.hooks.words.pace_line(job.pace),))
        now = self.now()
        pad = max(0, old_boundary - old_stream.index(now))
        self.draining.append((old_stream, old_boundary))
        self._play(seconds_to_frames(target, self.rate), prefix, now, pad)
