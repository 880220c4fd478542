"""Speech through pyttsx3 2.99 driving espeak-ng, made reliable and reproducible, with a disk
cache in front.

Each attempt at a line is made in a fresh espeak-ng (:mod:`matcue.voice.espeak_helper`: a child
forked for it by a helper process that never speaks), because espeak-ng carries state from one
utterance to the next that no call resets: a line made after others came out up to 4 % (90 ms)
longer or shorter. So the same text and settings give the same samples whatever this process or
another spoke before. The attempt itself (pyttsx3's races, and how they are waited out) is in
:mod:`matcue.voice.espeak_speaker`; here its clip is checked (it has frames, and a length
plausible for the text at this rate) and the attempt retried a few times before giving up with
a SpeechEngineError. This process starts pyttsx3 too, only to list and choose voices.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcue.audio.clip import Clip
from matcue.errors import InputError, SpeechEngineError
from matcue.voice.base import VoiceSettings
from matcue.voice.cache import SpeechCache, Warn, cache_key, default_cache_dir
from matcue.voice.cached import CachedVoice
from matcue.voice.espeak_helper import FreshEspeak
from matcue.voice.espeak_speaker import INSTALL_ESPEAK as INSTALL_ESPEAK  # re-exported
from matcue.voice.espeak_speaker import start_pyttsx3
from matcue.voice.lengths import KEEP_LEAD as KEEP_LEAD  # re-exported: trimming's edges
from matcue.voice.lengths import KEEP_TAIL as KEEP_TAIL
from matcue.voice.lengths import plausible_duration, trim_silence

ENGINE_NAME = "pyttsx3-espeak-ng"

MIN_RATE = 80  # espeak-ng clamps slower rates to this
MAX_RATE = 450  # above this espeak-ng switches to a different, much faster mode

ATTEMPTS = 4  # tries per line before giving up


@dataclass(frozen=True)
class VoiceInfo:
    """One voice the engine offers, for ``matcue voices``."""

    id: str  # pass as VoiceSettings.voice
    name: str
    languages: tuple[str, ...]


class _Engine:
    """The process's one pyttsx3 engine (espeak-ng initialises only once per process), for its
    voices, and the helper that makes each line in a fresh espeak-ng."""

    def __init__(self) -> None:
        self._engine: Any = start_pyttsx3()[0]
        self._voices: list[VoiceInfo] | None = None
        self.helper = FreshEspeak()  # started on the first line that is made
        self.renders = 0  # attempts at an utterance made for this process (tests and stats)

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

    def _attempt(
        self, text: str, voice_id: str, rate: int, volume: float
    ) -> tuple[Clip | None, str]:
        """One attempt in a fresh espeak-ng: the clip (untrimmed) or why there is none."""
        self.renders += 1
        return self.helper.attempt(text, voice_id, rate, volume)

    def synthesise(self, text: str, voice_id: str, rate: int, volume: float) -> Clip:
        """``text`` as espeak-ng speaks it (untrimmed), verified; retried, else an error."""
        low, high = plausible_duration(text, rate)
        problem = "no attempt was made"
        for _ in range(ATTEMPTS):
            clip, problem = self._attempt(text, voice_id, rate, volume)
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


_ENGINE: _Engine | None = None


def _engine() -> _Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Engine()
    return _ENGINE


def engine_renders() -> int:
    """How many utterances espeak-ng has synthesised in this process (0 before first use)."""
    return 0 if _ENGINE is None else _ENGINE.renders


def helper_starts() -> int:
    """How many times this process started espeak-ng's helper process (0 while every line was
    in the cache)."""
    return 0 if _ENGINE is None else _ENGINE.helper.starts


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
