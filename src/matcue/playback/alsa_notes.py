"""alsa-lib's own error lines, kept off the terminal (issue #7).

alsa-lib reports trouble by printing ``ALSA lib FILE:LINE:(FUNCTION) MESSAGE`` on fd 2 itself,
from whichever thread meets it: mid-session that is simpleaudio's playback thread (an underrun
when the machine stalls, a failed write when the sound server goes away), so the lines would
land under the status line and before matcue's own sentence. :func:`install` gives alsa-lib a
handler of ours instead (``snd_lib_error_set_handler`` in ``libasound.so.2``, the library
simpleaudio uses, so it holds for the whole process): each line becomes a :class:`Note`, kept
(the last ``MAX_NOTES``) and counted, underruns apart, and is shown only where asked: with
``--debug`` the cli passes an ``echo`` that prints each note as it comes. Where there is no
libasound (macOS, Windows) it does nothing.

The handler runs on alsa-lib's thread, with the GIL that ctypes takes for it, so it does
little: it makes the note, appends it and counts it (and calls the echo, under ``--debug``).

alsa-lib calls the handler like ``printf``: ``handler(file, line, function, err, fmt, ...)``.
The variadic arguments cannot be read portably from Python, so a note keeps the format as it
is, but for the one it needs to count: ``snd_pcm_recover``'s ``"%s occurred"`` is an underrun
(matcue only plays). Where it was raised, the format and the error code say enough for
``--debug``.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

LIBRARY = "libasound.so.2"
MAX_NOTES = 200  # notes kept; older ones are only counted
_MAX_TEXT = 1000  # characters of one message kept
_SND_ERROR_BEGIN = 500000  # alsa-lib's own error codes start here; below, errno values
UNDERRUN = "underrun occurred"  # alsa-lib's words (snd_pcm_recover) for a playback underrun


@dataclass(frozen=True)
class Note:
    """One line from alsa-lib: where it was raised, and what it says."""

    file: str
    line: int
    function: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:({self.function}) {self.message}"

    @property
    def underrun(self) -> bool:
        return UNDERRUN in self.message


@dataclass(frozen=True)
class Notes:
    """What alsa-lib has reported since the handler was installed."""

    notes: tuple[Note, ...]  # the last ``MAX_NOTES``
    total: int  # every note, kept or not
    underruns: int


class _Log:
    """The notes, shared between alsa-lib's threads (the handler) and the caller."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.notes: deque[Note] = deque(maxlen=MAX_NOTES)
        self.total = 0
        self.underruns = 0
        self.echo: Callable[[Note], object] | None = None

    def add(self, note: Note) -> None:
        with self.lock:
            self.notes.append(note)
            self.total += 1
            self.underruns += note.underrun
            echo = self.echo
        if echo is not None:
            echo(note)


_log = _Log()
_installed: list[tuple[ctypes.CDLL, object]] = []  # the library and the handler, for good
_install_lock = threading.Lock()


def _text(value: bytes | None) -> str:
    return (value or b"").decode("utf-8", "replace")


def _note(
    file: bytes | None, line: int, function: bytes | None, err: int, fmt: bytes | None
) -> Note:
    message = _text(fmt)[:_MAX_TEXT]
    if _text(function) == "snd_pcm_recover" and message == "%s occurred":
        message = UNDERRUN  # "underrun" or "overrun": matcue only plays
    if err:  # as alsa-lib's own handler does (snd_strerror)
        code = abs(err)
        message += f": {os.strerror(code) if code < _SND_ERROR_BEGIN else f'error {err}'}"
    return Note(_text(file), line, _text(function), message)


def _handler(
    file: bytes | None, line: int, function: bytes | None, err: int, fmt: bytes | None
) -> None:
    # nothing may go back into alsa-lib (nor a ctypes complaint onto stderr)
    with contextlib.suppress(BaseException):
        _log.add(_note(file, line, function, err, fmt))


_FIXED = (ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)
_HANDLER_TYPE = ctypes.CFUNCTYPE(None, *_FIXED)  # the variadic arguments are not read


def install(echo: Callable[[Note], object] | None = None) -> bool:
    """Route alsa-lib's error lines to the log instead of fd 2 (once for the process); with
    ``echo``, also hand every note to it as it comes (``--debug``). False where there is no
    libasound: alsa-lib is not there to print anything either."""
    if echo is not None:
        with _log.lock:
            _log.echo = echo
    with _install_lock:
        if _installed:
            return True
        try:
            lib = ctypes.CDLL(LIBRARY)
            set_handler = lib.snd_lib_error_set_handler
        except (OSError, AttributeError):
            return False
        set_handler.argtypes = [_HANDLER_TYPE]
        set_handler.restype = ctypes.c_int
        handler = _HANDLER_TYPE(_handler)
        if set_handler(handler) != 0:
            return False
        _installed.append((lib, handler))  # alsa-lib holds a bare pointer to it
        atexit.register(_uninstall)
        return True


def _uninstall() -> None:
    """At exit, alsa-lib's own handler again: no call into an interpreter shutting down."""
    _installed[0][0].snd_lib_error_set_handler(_HANDLER_TYPE())  # a NULL pointer: the default


def recorded() -> Notes:
    """What alsa-lib has reported so far (nothing where the handler is not installed)."""
    with _log.lock:
        return Notes(tuple(_log.notes), _log.total, _log.underruns)


def underruns() -> int:
    """How many underruns alsa-lib has reported so far."""
    return recorded().underruns
