"""Commands for a playing session, from any number of sources, through one queue.

The terminal's keys are one source (:mod:`matcue.playback.terminal`), a Python caller's
``Player.press`` another, and media keys the next. Each source puts :class:`Command` values into
the :class:`Commands` queue; the session loop takes them with :meth:`Commands.take`, which is
also how it waits between looks at the clock.

A source says when it ends (the terminal went away): a paused session with no source left
could never be resumed, so the loop ends it (as a quit, its place saved); while any source is
open, a paused session waits.

A source that must answer only once the session has acted (a media key's D-Bus call) keeps the
ticket :meth:`Source.put` returns and waits with :meth:`Commands.wait_handled`: the loop handles
every command it took before it takes again, so a command is handled once a later ``take``
begins (or the session has ended, :meth:`Commands.end`).
"""

from __future__ import annotations

import queue
import threading
from typing import Protocol

from matcue.playback.transport import Command


class Inbox(Protocol):
    """What the loop needs from a command queue (a test gives a scripted one)."""

    def take(self, timeout: float) -> list[Command]:
        """The commands that came, waiting up to ``timeout`` seconds for the first."""
        ...

    @property
    def open(self) -> bool:
        """Whether a source could still send a command."""
        ...


class Source:
    """One sender of commands (the keys, the media keys, a caller)."""

    def __init__(self, commands: Commands, name: str) -> None:
        self._commands = commands
        self.name = name
        self.closed = False

    def put(self, command: Command) -> int | None:
        """Send ``command``; its ticket for :meth:`Commands.wait_handled` (None: closed)."""
        if self.closed:
            return None
        return self._commands.put(command)

    def close(self) -> None:
        """This source sends nothing more."""
        if not self.closed:
            self.closed = True
            self._commands.closed(self)


class Commands:
    """A thread-safe command queue with a count of its open sources."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Command | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._sources: list[Source] = []
        self._done = threading.Condition()
        self._put = 0  # commands put so far: the last one's ticket
        self._taken = 0  # commands taken by the loop
        self._handled = 0  # commands taken before the loop's latest take: all handled
        self._ended = False

    def source(self, name: str) -> Source:
        """A new open source."""
        src = Source(self, name)
        with self._lock:
            self._sources.append(src)
        return src

    def put(self, command: Command) -> int:
        with self._done:  # tickets in queue order
            self._put += 1
            self._queue.put(command)
            return self._put

    def wait_handled(self, ticket: int, timeout: float) -> bool:
        """Wait until the command with ``ticket`` was handled, or the session ended (True), or
        ``timeout`` seconds passed (False)."""
        with self._done:
            return self._done.wait_for(
                lambda: self._handled >= ticket or self._ended, max(0.0, timeout)
            )

    def end(self) -> None:
        """The session is over: nothing more will be handled; waiters go on."""
        with self._done:
            self._ended = True
            self._done.notify_all()

    def closed(self, source: Source) -> None:
        with self._lock:
            if source in self._sources:
                self._sources.remove(source)
        self._queue.put(None)  # wake the loop: it may be paused with no source left

    @property
    def open(self) -> bool:
        with self._lock:
            return bool(self._sources)

    def take(self, timeout: float) -> list[Command]:
        with self._done:  # what was taken before has been handled
            if self._handled != self._taken:
                self._handled = self._taken
                self._done.notify_all()
        out = self._get(timeout)
        if out:
            with self._done:
                self._taken += len(out)
        return out

    def _get(self, timeout: float) -> list[Command]:
        out: list[Command] = []
        try:
            item = (
                self._queue.get(timeout=max(0.0, timeout))
                if timeout > 0
                else (self._queue.get_nowait())
            )
        except queue.Empty:
            return out
        while True:
            if item is not None:
                out.append(item)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return out
