"""Speech through pyttsx3 2.99 driving espeak-ng, made reliable, with a disk cache in front.

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
idle, with stdout redirected throughout; then the file is checked (exists, has frames, a length
plausible for the text at this rate) and the whole thing is retried a few times before giving
up with a SpeechEngineError.

A line's sound also depends on what the process spoke before it: two counters in espeak-ng's
wave generator, function-local statics that no call resets, carry over between utterances (the
place in its pitch-flutter table, one step per 64 voiced samples round 368 steps, and the count
of wave cycles its roughness modulation uses, modulo 4). On espeak-ng 1.51 a line made after
others came out up to 4 % (90 ms) longer or shorter and within 0.2 dB. Speaking a fixed primer
first only moves the counters on by a fixed amount (tried: "Hm.", "a", "Stop.", ","), and
setting the voice again does not touch them; only a fresh process state does (a child forked
per line that initialises espeak-ng again: about 10 ms a line instead of 2-3). So each line is
made once per cache, and the cache is what fixes a session's samples.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcue.audio.clip import Clip
from matcue.audio.files import read_wav
from matcue.errors import InputError, SpeechEngineError
from matcue.voice.base import VoiceSettings
from matcue.voice.cache import SpeechCache, Warn, cache_key, default_cache_dir
from matcue.voice.cached import CachedVoice
from matcue.voice.lengths import KEEP_LEAD as KEEP_LEAD  # re-exported: trimming's edges
from matcue.voice.lengths import KEEP_TAIL as KEEP_TAIL
from matcue.voice.lengths import plausible_duration, trim_silence

ENGINE_NAME = "pyttsx3-espeak-ng"

MIN_RATE = 80  # espeak-ng clamps slower rates to this
MAX_RATE = 450  # above this espeak-ng switches to a different, much faster mode

INSTALL_ESPEAK = (
    "Text-to-speech needs espeak-ng: install it with `apt-get install espeak-ng` "
    "(Debian/Ubuntu) or your system's package manager."
)
INSTALL_PYTTSX3 = (
    "Text-to-speech needs the pyttsx3 package: reinstall matcue with its dependencies "
    "(`pip install matcue`)."
)

ATTEMPTS = 4  # tries per line before giving up
FINISH_TIMEOUT = 15.0  # seconds to wait for one utterance (espeak runs ~900x real time)
IDLE_TIMEOUT = 5.0  # seconds to wait for espeak to finish applying properties
POLL = 0.001


@dataclass(frozen=True)
class VoiceInfo:
    """One voice the engine offers, for ``matcue voices``."""

    id: str  # pass as VoiceSettings.voice
    name: str
    languages: tuple[str, ...]


class _Engine:
    """The process's one pyttsx3 engine (espeak-ng initialises only once per process)."""

    def __init__(self) -> None:
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
        self._engine: Any = engine
        self._espeak: Any = _espeak
        # Prime: once the driver's own start-up settings are applied, one empty run leaves
        # it not busy, so later setProperty calls apply at once instead of being queued
        # into (and cancelled by) the next utterance.
        self._wait_idle()
        with contextlib.redirect_stdout(io.StringIO()):
            engine.runAndWait()
        self._finished = threading.Event()
        self._completed = False
        self._errors: list[BaseException] = []
        self._engine.connect("finished-utterance", self._on_finished)
        self._engine.connect("error", self._on_error)
        self.renders = 0  # utterances synthesised by this process (for tests and stats)
        self._voices: list[VoiceInfo] | None = None
        # espeak writes every line into this one folder (removed at exit), each attempt to a
        # file of its own that is removed once read: a folder per line costs more than a line
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._files = 0

    def _on_finished(self, name: object = None, completed: bool = True, **_: object) -> None:
        self._completed = bool(completed)
        self._finished.set()

    def _on_error(
        self, name: object = None, exception: BaseException | None = None, **_: object
    ) -> None:
        self._errors.append(exception or RuntimeError("unknown pyttsx3 error"))

    def voices(self) -> list[VoiceInfo]:
        if self._voices is None:
            found = []
            for v in self._engine.getProperty("voices"):
                languages = tuple(
                    str(lang) for lang in (getattr(v, "languages", None) or ()) if lang
                )
                found.append(VoiceInfo(id=str(v.id), name=str(v.name), languages=languages))
            self._voices = sorted(found, key=lambda info: info.id)
        return list(self._voices)

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

    def _attempt(
        self, text: str, raw: Path, voice_id: str, rate: int, volume: float
    ) -> tuple[Clip | None, str]:
        """One save_to_file + runAndWait, waited on properly; the file's audio or a reason."""
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
        self.renders += 1
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

    def _next_file(self) -> Path:
        """A new file name in the engine's folder (made on first use) for one attempt."""
        if self._folder is None or not Path(self._folder.name).is_dir():
            self._folder = tempfile.TemporaryDirectory(prefix="matcue-tts-")
        self._files += 1
        return Path(self._folder.name) / f"line-{self._files}.wav"

    def synthesise(self, text: str, voice_id: str, rate: int, volume: float) -> Clip:
        """``text`` as espeak-ng speaks it (untrimmed), verified; retried, else an error."""
        low, high = plausible_duration(text, rate)
        problem = "no attempt was made"
        for _ in range(ATTEMPTS):
            raw = self._next_file()
            try:
                clip, problem = self._attempt(text, raw, voice_id, rate, volume)
            finally:
                raw.unlink(missing_ok=True)
            if clip is None:
                continue
            if clip.frames == 0:
                problem = "espeak-ng wrote an empty file"
            elif not low <= clip.duration <= high:
                problem = (
                    f"espeak-ng wrote {clip.duration:.2f} s where {low:.2f}-{high:.2f} s "
                    "was expected"
                )
            else:
                return clip
        raise SpeechEngineError(
            f"Text-to-speech failed to speak {text!r} after {ATTEMPTS} tries ({problem}); "
            "check that espeak-ng works with `espeak-ng 'hello'`."
        )


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


_ENGINE: _Engine | None = None


def _engine() -> _Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Engine()
    return _ENGINE


def engine_renders() -> int:
    """How many utterances espeak-ng has synthesised in this process (0 before first use)."""
    return 0 if _ENGINE is None else _ENGINE.renders


def list_voices() -> list[VoiceInfo]:
    """Every voice espeak-ng offers, sorted by id."""
    return _engine().voices()


def _resolve_voice(settings: VoiceSettings, voices: list[VoiceInfo]) -> str:
    if settings.voice is not None:
        wanted = settings.voice.strip().lower()
        if any(v.id == wanted for v in voices):
            return wanted
        raise InputError(f"no voice '{settings.voice}'; run `matcue voices` to list them")
    language = settings.language.strip().lower().replace("_", "-")
    candidates = [language]
    if "-" in language:
        candidates.append(language.split("-", 1)[0])
    for lang in candidates:
        groups = (
            [v for v in voices if lang in (x.lower() for x in v.languages)],
            [v for v in voices if v.id.rsplit("/", 1)[-1] == lang],
            [v for v in voices if any(x.lower().startswith(lang + "-") for x in v.languages)],
        )
        for group in groups:
            if group:
                return group[0].id
    raise InputError(
        f"no voice for language '{settings.language}'; run `matcue voices` to list them"
    )


def _check_settings(settings: VoiceSettings) -> None:
    if not MIN_RATE <= settings.rate <= MAX_RATE:
        raise InputError(
            f"speech rate must be between {MIN_RATE} and {MAX_RATE} words per minute, "
            f"not {settings.rate}"
        )
    if not 0.0 <= settings.volume <= 1.0:
        raise InputError(f"speech volume must be between 0 and 1, not {settings.volume}")


class Pyttsx3Voice(CachedVoice):
    """The ``Voice`` protocol through pyttsx3 + espeak-ng, each distinct line rendered once."""

    def __init__(
        self, settings: VoiceSettings, cache_dir: Path | None = None, warn: Warn | None = None
    ) -> None:
        _check_settings(settings)
        self.settings = settings
        self._engine = _engine()
        self.voice_id = _resolve_voice(settings, self._engine.voices())
        self.cache = SpeechCache(default_cache_dir() if cache_dir is None else cache_dir, warn)
        self.renders = 0  # lines this voice sent to the engine (cache misses)

    def key(self, text: str) -> str:
        """The cache key of ``text`` in this voice."""
        s = self.settings
        return cache_key(ENGINE_NAME, self.voice_id, s.rate, s.volume, text.strip())

    def expected(self, line: str) -> tuple[float, float]:
        """A generous range for ``line``'s length at this rate."""
        low, high = plausible_duration(line, self.settings.rate)
        return low * 0.5, high

    def make(self, line: str) -> Clip:
        """``line`` as espeak-ng speaks it (verified, retried), trimmed."""
        raw = self._engine.synthesise(line, self.voice_id, self.settings.rate, self.settings.volume)
        return Clip(samples=trim_silence(raw.samples, raw.rate), rate=raw.rate)
