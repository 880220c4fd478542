"""What every speech engine provides: a ``Voice`` that turns a line of text into a ``Clip``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from matcue.audio.clip import Clip

if TYPE_CHECKING:
    from matcue.voice.cache import SpeechCache


@dataclass(frozen=True)
class VoiceSettings:
    """Everything that changes how a line sounds; part of the speech cache key."""

    voice: str | None = None  # engine voice id; None = the engine's default for ``language``
    rate: int = 150  # words per minute
    volume: float = 1.0  # 0..1
    language: str = "en"


class Voice(Protocol):
    """A speech engine (pyttsx3's :class:`~matcue.voice.Pyttsx3Voice`, Piper's
    :class:`~matcue.voice.piper_voice.PiperVoice`) with its speech cache (both are a
    :class:`~matcue.voice.cached.CachedVoice`)."""

    settings: VoiceSettings
    voice_id: str  # the voice it speaks with, as ``--voice`` names it
    cache: SpeechCache
    renders: int  # lines it synthesised (cache misses)

    def clip(self, text: str) -> Clip:
        """The spoken ``text``, trimmed of leading/trailing silence. Cached: cheap to call again."""
        ...

    def cached(self, text: str) -> Clip | None:
        """``text``'s clip if the cache holds it (nothing is spoken), else None."""
        ...

    def clips(self, texts: Iterable[str]) -> dict[str, Clip]:
        """Each distinct text's clip; only lines missing from the cache are rendered."""
        ...
