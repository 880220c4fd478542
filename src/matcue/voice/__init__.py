"""Text to speech clips: the ``Voice`` protocol, pyttsx3 + espeak-ng behind it, and a disk cache.

A line comes back as a :class:`matcue.audio.Clip`. Importing this package does not load pyttsx3
or espeak-ng; the first ``Pyttsx3Voice`` or ``list_voices()`` does.
"""

from matcue.voice.base import Voice, VoiceSettings
from matcue.voice.cache import CACHE_VERSION, SpeechCache, cache_key, default_cache_dir
from matcue.voice.lengths import plausible_duration
from matcue.voice.pyttsx3_voice import (
    Pyttsx3Voice,
    VoiceInfo,
    engine_renders,
    list_voices,
)

__all__ = [
    "CACHE_VERSION",
    "Pyttsx3Voice",
    "SpeechCache",
    "Voice",
    "VoiceInfo",
    "VoiceSettings",
    "cache_key",
    "default_cache_dir",
    "engine_renders",
    "list_voices",
    "plausible_duration",
]
