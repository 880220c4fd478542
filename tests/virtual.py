"""Virtual time for the session loop: a clock that moves only when the loop waits, a command
script, and a device that records what a listener would hear and when.

The device models a real one closely enough to catch the loop's mistakes: it reads each
buffer *as time passes* (so frames the loop silences after they were heard stay heard, and
frames silenced before their time are not), and after ``stop()`` it drains for ``DRAIN``
seconds, reading on from where it was (so a stop without silencing first leaks sound, as
simpleaudio's does). Everything it plays is added into one tape, frame by frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from matcue.playback.transport import Command

Pcm = npt.NDArray[np.int16]
DRAIN = 0.1  # seconds a stopped stream goes on reading (simpleaudio drains 0.2-0.3 s)
INTERRUPT = "interrupt"  # Ctrl-C in a script
CLOSE = "close"  # the last source goes away (the terminal closed)


class VirtualClock:
    """Whole frames at ``rate``; moves forward only in :meth:`sleep` and :meth:`advance_to`."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.frame = 0
        self.listeners: list[Callable[[int, int], None]] = []

    def now(self) -> float:
        return self.frame / self.rate

    def frames(self, seconds: float) -> int:
        return max(1, math.ceil(seconds * self.rate - 1e-6)) if seconds > 0 else 0

    def sleep(self, seconds: float) -> None:
        self.advance_to(self.frame + max(1, self.frames(seconds)))

    def advance_to(self, frame: int) -> None:
        if frame <= self.frame:
            return
        for listen in self.listeners:
            listen(self.frame, frame)
        self.frame = frame


Event = Command | str


@dataclass
class Script:
    """Commands at given seconds (an :class:`~matcue.playback.commands.Inbox`): ``take``
    moves the clock to the next command or to the end of the wait, whichever is first."""

    clock: VirtualClock
    events: list[tuple[float, Event]] = field(default_factory=list)
    closed: bool = False
    given: list[tuple[float, Event]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.events = sorted(self.events, key=lambda e: e[0])

    @property
    def open(self) -> bool:
        return not self.closed

    def take(self, timeout: float) -> list[Command]:
        clock = self.clock
        until = clock.frame + clock.frames(timeout)
        if self.events and round(self.events[0][0] * clock.rate) <= until:
            clock.advance_to(round(self.events[0][0] * clock.rate))
        else:
            clock.advance_to(until)
            return []
        out: list[Command] = []
        while self.events and round(self.events[0][0] * clock.rate) <= clock.frame:
            _, event = self.events.pop(0)
            self.given.append((clock.now(), event))
            if event == INTERRUPT:
                raise KeyboardInterrupt
            if event == CLOSE:
                self.closed = True
            elif isinstance(event, Command):
                out.append(event)
        return out


@dataclass
class Stream:
    """One buffer played: when it started, what it held then, what was read of it."""

    device: RecordingDevice
    buf: Pcm  # the live buffer (the loop may silence it in place)
    start: int  # the clock's frame when it started
    at_start: Pcm  # a copy, as it was when it started
    read: int = 0  # frames read so far
    stopped_at: int | None = None

    def is_playing(self) -> bool:
        device, now = self.device, self.device.clock.frame
        if device.lost_after is not None and now >= round(device.lost_after * device.rate):
            return False
        return self.read < self.buf.shape[0] and (
            self.stopped_at is None or now < self.stopped_at + round(DRAIN * device.rate)
        )

    def stop(self) -> None:
        if self.stopped_at is None:
            self.stopped_at = self.device.clock.frame


class RecordingDevice:
    """A :class:`~matcue.playback.device.Device` that records what would be heard."""

    def __init__(self, clock: VirtualClock, rate: int, *, lost_after: float | None = None) -> None:
        self.clock = clock
        self.rate = rate
        self.streams: list[Stream] = []
        self.tape: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self.lost_after = lost_after  # seconds after which the device stops reading
        clock.listeners.append(self._advance)

    def play(self, buf: Pcm, rate: int) -> Stream:
        assert rate == self.rate and buf.shape[0] > 0 and buf.dtype == np.int16
        stream = Stream(self, buf, self.clock.frame, buf.copy())
        self.streams.append(stream)
        return stream

    def _advance(self, old: int, new: int) -> None:
        for s in self.streams:
            end = s.buf.shape[0]
            if s.stopped_at is not None:
                end = min(end, s.stopped_at - s.start + round(DRAIN * self.rate))
            if self.lost_after is not None:
                end = min(end, round(self.lost_after * self.rate) - s.start)
            upto = min(end, new - s.start)
            if upto <= s.read:
                continue
            frames = s.buf[s.read : upto].astype(np.int32)
            at = s.start + s.read
            self._grow(at + frames.shape[0], frames.ndim)
            if frames.ndim < self.tape.ndim:  # a mono sound in a stereo session: both ears
                frames = frames[:, None]
            self.tape[at : at + frames.shape[0]] += frames
            s.read = upto

    def _grow(self, size: int, ndim: int) -> None:
        """Room for ``size`` frames; stereo from the first stereo sound on."""
        channels = (2,) if ndim == 2 or self.tape.ndim == 2 else ()
        if self.tape.shape[0] < size or self.tape.shape[1:] != channels:
            tape = np.zeros((max(size, self.tape.shape[0]), *channels), dtype=np.int32)
            old = self.tape if self.tape.ndim == tape.ndim else self.tape[:, None]
            tape[: old.shape[0]] += old
            self.tape = tape

    def heard(self, start: float, end: float | None = None) -> npt.NDArray[np.int32]:
        """The tape from ``start`` to ``end`` seconds of virtual time."""
        a = round(start * self.rate)
        b = self.tape.shape[0] if end is None else round(end * self.rate)
        return self.tape[a:b]

    def last_sound(self) -> float:
        """When the tape last sounded (seconds)."""
        loud = np.flatnonzero(self.tape.reshape(self.tape.shape[0], -1).any(axis=1))
        return (int(loud[-1]) + 1) / self.rate if loud.size else 0.0
