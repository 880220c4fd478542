"""The terminal: its keys as a source of commands, a status line, a progress bar.

The terminal is put in cbreak mode (no echo, one key at a time, Ctrl-C still interrupts) and
restored on every way out, SIGTERM, SIGHUP and Ctrl-\\ (SIGQUIT) included: each ends the session
like Ctrl-C (the place saved, a history row, exit 130). A reader thread decodes the bytes
(:func:`matcue.api.decode_keys`) and puts the commands into the player's queue; when the
terminal goes away (end of file) it closes its source. The status line and the progress bar are
for a helper who can see; they show only where a terminal does.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TextIO

from matcue.api import Source, decode_keys

ESCAPE_WAIT = 0.05  # seconds to wait for the rest of an escape sequence after ESC
_LOOK = 0.1  # seconds between the reader's looks at its stop flag


@contextlib.contextmanager
def keys_mode(fd: int) -> Iterator[int]:
    """The terminal on ``fd`` without echo or line editing (Ctrl-C still interrupts), put
    back as it was on every way out, SIGTERM, SIGHUP and SIGQUIT (Ctrl-\\) included: they
    interrupt like Ctrl-C."""
    import termios

    saved = termios.tcgetattr(fd)
    raw = termios.tcgetattr(fd)
    raw[3] &= ~(termios.ECHO | termios.ICANON)
    raw[6][termios.VMIN] = 1
    raw[6][termios.VTIME] = 0

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    handlers = {}
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            handlers[sig] = signal.signal(sig, interrupt)
    try:
        termios.tcsetattr(fd, termios.TCSAFLUSH, raw)
        yield fd
    finally:
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
        for sig, old in handlers.items():
            signal.signal(sig, old)


def read_keys(fd: int, source: Source, stop: threading.Event) -> None:
    """Read ``fd`` until ``stop`` is set or it ends, putting each key's command into
    ``source``; close the source at the end of the input."""
    try:
        while not stop.is_set():
            ready, _, _ = select.select([fd], [], [], _LOOK)
            if not ready:
                continue
            data = os.read(fd, 64)
            if not data:  # the terminal went away: no more keys
                break
            commands, rest = decode_keys(data, final=False)
            if rest:
                more, _, _ = select.select([fd], [], [], ESCAPE_WAIT)
                if more:
                    rest += os.read(fd, 64)
                tail, _ = decode_keys(rest, final=True)
                commands += tail
            for command in commands:
                source.put(command)
    except OSError:
        pass  # the descriptor was closed under us: no more keys either
    finally:
        source.close()


@contextlib.contextmanager
def key_reader(fd: int, source: Source) -> Iterator[threading.Thread]:
    """A thread reading keys from ``fd`` into ``source`` while the block runs; it has stopped
    reading when the block ends (so the shell gets the keys typed after the session)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=read_keys, args=(fd, source, stop), name="matcue-keys", daemon=True
    )
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=1.0)


@contextlib.contextmanager
def status_line(stream: TextIO, show: bool) -> Iterator[Callable[[str], None] | None]:
    """A one-line status on ``stream`` (rich), for a helper who can see; nothing unless a
    terminal shows it."""
    if not show or not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    live = Live(
        console=Console(file=stream, highlight=False),
        transient=True,
        auto_refresh=False,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    with live:
        yield lambda line: live.update(Text(line), refresh=True)


@contextlib.contextmanager
def progress(stream: TextIO, total: int, show: bool) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on ``stream`` counting rendered frames, or nothing."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("Exporting"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f} %"),
        TimeRemainingColumn(),
        console=Console(file=stream),
        transient=True,
    )
    with bar:
        task = bar.add_task("export", total=total)
        yield lambda frames: bar.advance(task, frames)
