"""The session loop: plays a rendered session and does what each command asks.

What each command does is decided by :mod:`matcue.playback.transport`; this module does it.
Commands come from a queue (:mod:`matcue.playback.commands`: the terminal's keys, media keys,
a caller, a test), time from an injected clock and sound goes to an injected device
(:mod:`matcue.playback.device`), so the loop runs the same in real and in virtual time.

Timing (DESIGN §4): the loop never sleeps to schedule a cue and never asks the device when a
sound ends. Each sound is one ``play`` on the device (a *stream*): a short spoken prefix (e.g.
"Resuming. Three. Two. One.") followed by the rendered session from a phase start. Where the
session is follows from the clock alone: ``frame = origin + (now - t0) × rate - lead``.

- Pause, pain stop, quit, skip: the frames around the position are silenced in the buffer
  the device reads from, then ``stop()``: what drains is silence.
- Resume and seek: a new stream from the phase start (never an empty buffer).
- Live pace: the session is re-compiled at the new pace and the rest rendered in the
  background; at the next phase boundary the old stream's buffer is silenced from that
  boundary on and a new stream starts, padded with silence so that it takes over exactly at
  the boundary, with "Pace ninety." and then the same phase of the new timeline.
- Confirmation tones sound as their own short streams over the session.
- A stereo session is ``(frames, 2)``: every position is a frame, silencing covers both
  channels, and a spoken prefix is put in both ears if it comes mono.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from matcue.audio.units import seconds_to_frames
from matcue.errors import AudioDeviceError
from matcue.playback import transport as tp
from matcue.playback.clock import Clock, SystemClock
from matcue.playback.commands import Inbox
from matcue.playback.device import (
    DEVICE_LOST,
    DRAIN_GRACE,
    EARLY_END,
    POLL,
    Device,
    Handle,
)
from matcue.playback.growing import Growing
from matcue.playback.splice import PaceSplicing, Pending
from matcue.playback.stream import Hooks, Stream, Track, like, silent
from matcue.playback.transport import Ending
from matcue.timeline.model import Timeline

Pcm = npt.NDArray[np.int16]

STATUS_EVERY = 0.25  # seconds between status line updates
SOFT = 0.4  # gain of the soft tone for an unknown key


@dataclass(frozen=True)
class SessionResult:
    ending: Ending
    position: float  # seconds into ``timeline`` where the session stopped
    timeline: Timeline  # the last one played (another pace after + or -)
    exercises: int  # exercises completed
    reps: int  # reps completed


class SessionInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM/SIGHUP on a terminal), with what the session came to."""

    def __init__(self, result: SessionResult) -> None:
        super().__init__()
        self.result = result


class Session(PaceSplicing, Growing):
    """The loop: one instance plays one session."""

    def __init__(
        self,
        track: Track,
        rate: int,
        hooks: Hooks,
        *,
        commands: Inbox,
        device: Device,
        clock: Clock | None = None,
        start: float = 0.0,
        status: Callable[[str], object] | None = None,
        on_start: Callable[[], object] | None = None,
        background: Callable[[Callable[[], None]], object] | None = None,
        on_late: Callable[[int], object] | None = None,
    ) -> None:
        """``commands``: where commands come from (and how the loop waits); ``device``: where
        the sound goes; ``clock``: the time (the machine's by default); ``background``: runs a
        live pace change's compile and render (on a thread by default; a test runs it at once);
        ``on_late``: told the count each time the sound reaches the end of what is made
        (:mod:`matcue.playback.growing`)."""
        self.track = track
        self.rate = rate
        self.hooks = hooks
        self.commands = commands
        self.device = device
        self.clock: Clock = clock or SystemClock()
        self.background = background or _on_a_thread
        self.start = start
        self.status = status
        self.on_start = on_start
        self.state = tp.Transport(timeline=track.timeline, pace=track.timeline.pace.percent)
        self.stream: Stream | None = None
        self.draining: list[tuple[Stream, int]] = []  # old streams silent from a frame on
        self.overlays: list[tuple[Handle, Pcm]] = []
        self.pending: Pending | None = None
        self.waiting: tuple[int, int, Pcm] | None = None
        self.upcoming: deque[Track] = deque()
        self._starts: dict[int, tuple[Timeline, list[int]]] = {}
        self.late = 0
        self.on_late = on_late
        self.reps = 0
        self.exercises = 0
        self._said: dict[tuple[tuple[str, ...], bool], Pcm] = {}
        self._stopped_at: float | None = None
        self._ending: Ending = "interrupted"
        self._ends: tuple[Timeline | None, list[float], list[float]] = (None, [], [])
        self._last_frame = 0

    def now(self) -> float:
        return self.clock.now()

    # -- sound -----------------------------------------------------------------------------

    def speech(self, lines: tuple[str, ...], tick: bool = False) -> Pcm:
        key = (lines, tick)
        pcm = self._said.get(key)
        if pcm is None:
            pcm = self._said[key] = self.hooks.say(lines, tick)
        return pcm

    def prepare(self) -> None:
        """Render what must answer at once (pain stop, quit, resume, the tone)."""
        words = self.hooks.words
        for command in (tp.Command.PAIN, tp.Command.QUIT):
            _, action = tp.press(self.state, command, 0.0, 0.0, words)
            self.speech(action.say)
        self.speech((), True)
        _, resume = tp.press(replace(self.state, paused=True), tp.Command.PAUSE, 0.0, 0.0, words)
        self.speech(resume.say)

    def _play(self, frame: int, prefix: Pcm, now: float, pad: int = 0) -> None:
        """A new stream: ``pad`` frames of silence, ``prefix``, then the track from ``frame``."""
        track = self.track
        if self._outside(frame):  # not made yet: wait for it
            self._wait_at(frame, prefix)
            return
        if frame < track.base:  # before what is rendered (back, after --from or a pace change)
            pcm = self.hooks.render_from(track.timeline, frame)
            track = self.track = replace(track, pcm=pcm, base=frame)
        frame = min(max(frame, track.base), track.end)
        body = track.pcm[frame - track.base :]
        prefix = like(prefix, track.pcm)
        lead = pad + int(prefix.shape[0])
        parts = [silent(pad, track.pcm), prefix, body]
        patches = self._silenced(track, frame)
        buf = np.concatenate(parts) if lead or patches else body
        for at, frames in patches:  # frames a stopped stream silenced in the track's memory
            buf[lead + at : lead + at + frames.shape[0]] = frames
        if buf.shape[0] == 0:
            buf = silent(1, track.pcm)  # simpleaudio crashes on an empty buffer
        shared = buf is body
        self.stream = Stream(self.device, buf, self.rate, frame, lead, now, shared)
        self._last_frame = frame

    def _silenced(self, track: Track, frame: int) -> list[tuple[int, Pcm]]:
        """The original frames, from ``frame`` on, that a stopped stream playing straight from
        ``track``'s memory has silenced and not yet put back: (offset from ``frame``, frames)."""
        out = []
        for stream, _ in self.draining:
            if not stream.shared or not np.may_share_memory(stream.buf, track.pcm):
                continue
            for lo, frames in stream.saved:
                start = stream.origin + lo - frame  # stream index lo is track frame origin + lo
                skip = max(0, -start)
                if skip < frames.shape[0]:
                    out.append((start + skip, frames[skip:]))
        return out

    def _overlay(self, pcm: Pcm, gain: float = 1.0) -> None:
        """A short sound over whatever plays (a confirmation); lost quietly if the device
        cannot mix a second stream."""
        if pcm.shape[0] == 0:
            return
        buf = (pcm * gain).astype(np.int16) if gain != 1.0 else pcm.copy()
        with contextlib.suppress(Exception):
            self.overlays.append((self.device.play(buf, self.rate), buf))

    def _silence(self) -> None:
        self.waiting = None
        if self.stream is not None:
            self.stream.stop_now(self.now())
            self.draining.append((self.stream, 0))
            self.stream = None

    def _wait_quiet(self, deadline: float) -> None:
        while self.now() < deadline:
            handles = [s.handle for s, _ in self.draining] + [h for h, _ in self.overlays]
            if self.stream is not None:
                handles.append(self.stream.handle)
            if not any(h.is_playing() for h in handles):
                return
            self.clock.sleep(POLL)

    def _say_and_wait(self, pcm: Pcm) -> None:
        """Play ``pcm`` alone to its end (the last words of a session)."""
        self._wait_quiet(self.now() + 0.3)
        if pcm.shape[0] == 0:
            return
        buf = pcm.copy()
        handle = self.device.play(buf, self.rate)
        t0 = self.now()
        length = buf.shape[0] / self.rate
        while self.now() - t0 < length:
            self.clock.sleep(POLL)
        deadline = self.now() + DRAIN_GRACE
        while handle.is_playing() and self.now() < deadline:
            self.clock.sleep(POLL)
        if handle.is_playing():
            handle.stop()

    # -- the position ----------------------------------------------------------------------

    def position(self, now: float) -> float:
        """Seconds into the current timeline."""
        if self.waiting is not None:
            k, offset, _ = self.waiting
            return self.track.timeline.phases[k].t + offset / self.rate
        if self.stream is None:
            return self.state.paused_at
        return min(self.stream.frame(now), self.stream.end) / self.rate

    def _count(self, frame: int) -> None:
        """Count the reps and exercises whose end the sound has just passed."""
        tl = self.track.timeline
        if self._ends[0] is not tl:
            self._ends = (tl, tp.rep_ends(tl), tp.exercise_ends(tl))
        _, reps, exercises = self._ends
        before, after = self._last_frame / self.rate, frame / self.rate
        self.reps += tp.passed(reps, before, after)
        self.exercises += tp.passed(exercises, before, after)
        self._last_frame = frame

    # -- keys ------------------------------------------------------------------------------

    def _handle(self, command: tp.Command, now: float) -> Ending | None:
        position = self.position(now)
        self.state = replace(self.state, timeline=self.track.timeline)  # after a splice
        self.state, action = tp.press(self.state, command, position, now, self.hooks.words)
        if action.kind in ("pain", "quit"):
            self._silence()
            self._stopped_at = position
            self._ending = "pain" if action.kind == "pain" else "quit"  # even if Ctrl-C follows
            self._say_and_wait(self.speech(action.say))
            return "pain" if action.kind == "pain" else "quit"
        if action.kind == "pause":
            self._silence()
            self._overlay(self.speech((), True))
            return None
        if action.kind == "ignore":
            if action.say:
                self._overlay(self.speech(action.say))
            else:
                self._overlay(self.speech((), True), SOFT)
            return None
        if action.kind == "pace":
            assert action.pace is not None
            self._overlay(self.speech((), True))
            if self.stream is None:  # paused: the new pace starts on resume, from this phase
                self._start_pace(action.pace, tp.phase_index(self.track.timeline, position))
            else:
                self._start_pace(action.pace, tp.next_boundary(self.track.timeline, position))
            return None
        # play: stop, say, seek
        assert action.seek is not None
        self._silence()
        seek, pace_line = self._adopt_pending(action.seek)
        prefix = self.speech((*pace_line, *action.say), action.tone)
        self._play(seconds_to_frames(seek, self.rate), prefix, self.now())
        self.state = replace(self.state, timeline=self.track.timeline)
        return None

    # -- the loop --------------------------------------------------------------------------

    def run(self) -> SessionResult:
        start_frame = seconds_to_frames(self.start, self.rate)
        self._play(start_frame, silent(0, self.track.pcm), self.now())
        if self.on_start is not None:
            self.on_start()
        ending: Ending | None = None
        shown = 0.0
        last_line = ""
        try:
            while ending is None:
                if self._maybe_grow(self.now()):  # the next part spliced in (or waited for)
                    continue
                now = self.now()
                stream = self.stream
                wait = POLL
                if stream is None and self.waiting is None and not self.commands.open:
                    ending = "quit"
                    self._stopped_at = self.state.paused_at
                    break
                if stream is not None:
                    frame = stream.frame(now)
                    wait = min(wait, max(0.0, (stream.end - frame) / self.rate))
                    self._count(min(frame, stream.end))
                    if frame >= stream.end and self.track.more:
                        self._stall(stream)
                        continue
                    if frame >= stream.end:
                        self._finish(stream)
                        self._stopped_at = self.track.timeline.duration
                        ending = "finished"
                        break
                    if not stream.handle.is_playing() and (
                        stream.end - frame > EARLY_END * self.rate
                    ):
                        raise AudioDeviceError(DEVICE_LOST)
                    self._maybe_splice(now)
                    self._reap(now)
                if self.status is not None and now - shown >= STATUS_EVERY:
                    shown = now
                    line = tp.status_text(
                        self.track.timeline, self.position(now), self.state.pace, self.state.paused
                    )
                    if line != last_line:
                        last_line = line
                        self.status(line)
                for command in self.commands.take(wait):
                    ending = self._handle(command, self.now())
                    if ending is not None:
                        break
        except BaseException as err:
            if self._stopped_at is None:
                self._stopped_at = self.position(self.now())
            self._silence()
            self._wait_quiet(self.now() + DRAIN_GRACE)
            self._release()
            if isinstance(err, KeyboardInterrupt):
                raise SessionInterrupted(self.stopped_result()) from err
            raise
        position = self._stopped_at if self._stopped_at is not None else self.position(self.now())
        self._release()
        assert ending is not None
        return SessionResult(
            ending=ending,
            position=position,
            timeline=self.track.timeline,
            exercises=self.exercises,
            reps=self.reps,
        )

    def stopped_result(self) -> SessionResult:
        """What the session came to when it was interrupted (Ctrl-C)."""
        position = self._stopped_at if self._stopped_at is not None else self.start
        return SessionResult(
            ending=self._ending,
            position=position,
            timeline=self.track.timeline,
            exercises=self.exercises,
            reps=self.reps,
        )

    def _reap(self, now: float) -> None:
        """Stop old streams once they only play silence; put back what was silenced in the
        track once the device has let go; forget finished overlays."""
        keep = []
        for stream, silent_from in self.draining:
            if silent_from and stream.index(now) < silent_from + 0.3 * self.rate:
                keep.append((stream, silent_from))
                continue
            if not stream.stopped:
                stream.handle.stop()
                stream.stopped = True
            if stream.handle.is_playing():
                keep.append((stream, silent_from))
            else:
                stream.restore()
        self.draining = keep
        self.overlays = [(h, b) for h, b in self.overlays if h.is_playing()]

    def _release(self) -> None:
        """At the end: every stream stopped, the track as it was."""
        streams = [s for s, _ in self.draining]
        if self.stream is not None:
            streams.append(self.stream)
        for stream in streams:
            if stream.handle.is_playing():
                stream.handle.stop()
        deadline = self.now() + DRAIN_GRACE
        while any(s.handle.is_playing() for s in streams) and self.now() < deadline:
            self.clock.sleep(POLL)
        for stream in streams:
            stream.restore()
        self.draining = []

    def _finish(self, stream: Stream) -> None:
        """Let the device play the last block, as the plain player does."""
        deadline = self.now() + DRAIN_GRACE
        while stream.handle.is_playing() and self.now() < deadline:
            self.clock.sleep(POLL)
        if stream.handle.is_playing():
            stream.handle.stop()
        self.stream = None
        self._reap(self.now() + 10)


def _on_a_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="matcue-pace", daemon=True).start()
