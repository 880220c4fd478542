"""pyttsx3 2.99 driving espeak-ng, made reliable: starting it with clean errors, and one
attempt at a line, waited on properly.

pyttsx3's espeak driver is racy on Linux (espeak-ng synthesises on its own thread):

* ``runAndWait()`` can return before synthesis ends (always on an engine's first run), so the
  file may be missing, empty, or still being written;
* its ``endLoop`` calls ``espeak_Cancel`` whenever espeak is still busy, even if it is only busy
  applying a property just set, and ``espeak_Cancel`` restores the rate/volume/voice of the
  previous utterance, so a new rate can silently not take effect;
* queued ``save_to_file`` calls write only the last one; it prints "Audio saved to …" on
  stdout from espeak's thread (a Python ``print``); ``say()`` shells out to ``aplay``.

So: one engine per process, primed once; properties are set, then espeak is waited on until it
is idle, then checked; then one ``save_to_file`` per synthesis, started by the driver's own
start step (``runAndWait`` would add a 10 ms sleep per line, see ``_start_at_once``; it is
still the fallback); then we wait for the ``finished-utterance`` event and for espeak to go
idle, with stdout redirected throughout; then the file is read. Lengths are checked and
attempts retried by :mod:`matcue.voice.pyttsx3_voice`; each attempt is made in a process of its
own (:mod:`matcue.voice.espeak_helper`).
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import threading
import time
from pathlib import Path
from typing import Any

from matcue.audio.clip import Clip
from matcue.audio.files import read_wav
from matcue.errors import SpeechEngineError

INSTALL_ESPEAK = (
    "Text-to-speech needs espeak-ng: install it with `apt-get install espeak-ng` "
    "(Debian/Ubuntu) or your system's package manager."
)
INSTALL_PYTTSX3 = (
    "Text-to-speech needs the pyttsx3 package: reinstall matcue with its dependencies "
    "(`pip install matcue`)."
)

FINISH_TIMEOUT = 15.0  # seconds to wait for one utterance (espeak runs ~900x real time)
IDLE_TIMEOUT = 5.0  # seconds to wait for espeak to finish applying properties
POLL = 0.001


def start_pyttsx3() -> tuple[Any, Any]:
    """pyttsx3's espeak engine and its ``_espeak`` module, or a SpeechEngineError that says
    what to install."""
    try:
        import pyttsx3
    except ImportError as exc:
        raise SpeechEngineError(INSTALL_PYTTSX3) from exc
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            from pyttsx3.drivers import _espeak

            missing = _missing_voice_data(_espeak.dll)
            if missing is None:
                engine = pyttsx3.init("espeak")
    except Exception as exc:  # missing libespeak-ng (RuntimeError/OSError), bad data
        raise SpeechEngineError(INSTALL_ESPEAK) from exc
    if missing is not None:
        raise SpeechEngineError(
            f"Text-to-speech needs espeak-ng's voice data, which is missing from {missing}: "
            "reinstall it with `apt-get install --reinstall espeak-ng-data` (Debian/Ubuntu) "
            "or your system's package manager."
        )
    return engine, _espeak


def _missing_voice_data(dll: Any) -> Path | None:
    """The folder espeak-ng reads its data from, if its phoneme table is not there.

    ``espeak_Initialize`` (which pyttsx3 calls) prints a line and ends the whole process with
    ``exit(1)`` when the data is missing, so it is looked for first: ``espeak_ng_InitializePath``
    only works out the folder (from ``ESPEAK_DATA_PATH`` or the built-in one), loading nothing.
    """
    try:
        dll.espeak_ng_InitializePath(None)
        info = dll.espeak_Info
        info.restype = ctypes.c_char_p
        info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
        folder = ctypes.c_char_p()
        info(ctypes.byref(folder))
    except (AttributeError, OSError, TypeError):  # another espeak: let it speak for itself
        return None
    if not folder.value:
        return None
    path = Path(os.fsdecode(folder.value))
    return None if (path / "phontab").is_file() else path


class Speaker:
    """A started and primed pyttsx3 engine that makes one line at a time into a file."""

    def __init__(self) -> None:
        self._engine, self._espeak = start_pyttsx3()
        # Prime: once the driver's own start-up settings are applied, one empty run leaves
        # it not busy, so later setProperty calls apply at once instead of being queued
        # into (and cancelled by) the next utterance.
        self._wait_idle()
        with contextlib.redirect_stdout(io.StringIO()):
            self._engine.runAndWait()
        self._finished = threading.Event()
        self._completed = False
        self._errors: list[BaseException] = []
        self._engine.connect("finished-utterance", self._on_finished)
        self._engine.connect("error", self._on_error)

    @property
    def engine(self) -> Any:
        """pyttsx3's engine (for its voices)."""
        return self._engine

    def restart(self) -> bool:
        """Start espeak-ng again (for a forked process, which has none of espeak's threads),
        as pyttsx3 first started it; False if that failed."""
        return int(self._espeak.Initialize(self._espeak.AUDIO_OUTPUT_RETRIEVAL, 1000)) != -1

    def _on_finished(self, name: object = None, completed: bool = True, **_: object) -> None:
        self._completed = bool(completed)
        self._finished.set()

    def _on_error(
        self, name: object = None, exception: BaseException | None = None, **_: object
    ) -> None:
        self._errors.append(exception or RuntimeError("unknown pyttsx3 error"))

    def _wait_idle(self) -> bool:
        """Wait until espeak has no command in flight; False if it never got there."""
        deadline = time.monotonic() + IDLE_TIMEOUT
        while self._espeak.IsPlaying():
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL)
        return True

    def _matches(self, voice_id: str, rate: int, volume: float) -> bool:
        return (
            str(self._engine.getProperty("voice") or "").lower() == voice_id
            and int(self._engine.getProperty("rate")) == rate
            and round(float(self._engine.getProperty("volume")) * 100) == round(volume * 100)
        )

    def _apply(self, voice_id: str, rate: int, volume: float) -> bool:
        """Set the properties, let espeak apply them, and check they took."""
        if not self._wait_idle():
            return False
        if self._matches(voice_id, rate, volume):
            return True
        self._engine.setProperty("voice", voice_id)
        self._engine.setProperty("rate", rate)
        self._engine.setProperty("volume", volume)
        return self._wait_idle() and self._matches(voice_id, rate, volume)

    def attempt(
        self, text: str, raw: Path, voice_id: str, rate: int, volume: float
    ) -> tuple[Clip | None, str]:
        """One save_to_file, waited on properly; the file's audio or a reason."""
        self._errors.clear()
        with contextlib.redirect_stdout(io.StringIO()):  # pyttsx3 prints "Audio saved to …"
            if not self._apply(voice_id, rate, volume):
                return None, "espeak-ng did not accept the voice settings"
            self._finished.clear()
            self._completed = False
            self._engine.save_to_file(text, str(raw))
            try:
                if not self._start_at_once(text, raw):
                    self._engine.runAndWait()
                finished = self._finished.wait(FINISH_TIMEOUT)
            except BaseException:
                # Ctrl-C while espeak speaks on its own thread: stop it, and let its callback
                # write the file while the folder still exists (it is removed right after)
                self._espeak.Cancel()
                self._wait_idle()
                raise
            if not finished:
                self._espeak.Cancel()  # reset espeak directly; engine.stop() would leave
                # the driver's stop flag set and cancel the next utterance instead
            self._wait_idle()  # espeak's thread may still be leaving the callback
        if not (finished and self._completed):
            return None, "espeak-ng did not finish the utterance"
        if self._errors:
            return None, f"pyttsx3 reported {self._errors[0]!r}"
        clip = read_wav(raw)
        if clip is None:
            return None, "espeak-ng wrote no readable audio"
        return clip, ""

    def _start_at_once(self, text: str, raw: Path) -> bool:
        """Start synthesising the queued ``save_to_file`` directly; False if that cannot be done
        (then ``runAndWait`` must).

        ``runAndWait`` on the espeak driver starts the synthesis and then sleeps 10 ms in its
        loop before returning, whatever the length of the line: most of the time a short line
        takes. Its external loop (``startLoop(False)`` + ``iterate()``) cannot replace it in
        pyttsx3 2.99, whose espeak driver only starts synthesis from its own loop. So when the
        driver has taken the ``save_to_file`` (it is idle, and holds this text and file), its
        own start-synthesis step is called, which is all that ``runAndWait`` does besides the
        sleep and an ``endLoop`` that may cancel espeak (see the module's notes).
        """
        proxy = getattr(self._engine, "proxy", None)
        driver = getattr(proxy, "_driver", None)
        start = getattr(driver, "_start_synthesis", None)
        if proxy is None or not callable(start) or proxy.isBusy():
            return False
        queued = getattr(driver, "_text_to_say", None), getattr(driver, "_save_file", None)
        if queued != (text, str(raw)):
            return False
        start(text)
        return True
