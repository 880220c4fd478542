"""What every speech engine provides: a ``Voice`` that turns a line of text into a ``Clip``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from matcue.audio.clip import Clip


@dataclass(frozen=True)
class VoiceSettings:
    """Everything that changes how a line sounds; part of the speech cache key."""

    voice: str | None = None  # engine voice id; None = the engine's default for ``language``
    rate: int = 150  # words per minute
    volume: float = 1.0  # 0..1
    language: str = "en"


class Voice(Protocol):
    settings: VoiceSettings

    def clip(self, text: str) -> Clip:
        """The spoken ``text``, trimmed of leading/trailing silence. Cached: cheap to call again."""
        ...
