"""Text to speech clips: the ``Voice`` protocol, pyttsx3 + espeak-ng (the default engine) and
Piper (the optional extra ``matcue[piper]``) behind it, and a disk cache.

A line comes back as a :class:`matcue.audio.Clip`. Importing this package loads neither pyttsx3
and espeak-ng nor piper and onnxruntime; the first ``Pyttsx3Voice`` or ``list_voices()`` loads
the one, the first line a ``PiperVoice`` must synthesise the other.
"""

from matcue.voice.base import Voice, VoiceSettings
from matcue.voice.cache import CACHE_VERSION, SpeechCache, cache_key, default_cache_dir
from matcue.voice.lengths import plausible_duration
from matcue.voice.piper_voice import PiperVoice, length_scale, model_loads
from matcue.voice.piper_voices import (
    PiperVoiceFile,
    find_voice,
    installed_voices,
    is_piper,
    voice_for_language,
)
from matcue.voice.pyttsx3_voice import (
    Pyttsx3Voice,
    VoiceInfo,
    engine_renders,
    list_voices,
)

__all__ = [
    "CACHE_VERSION",
    "PiperVoice",
    "PiperVoiceFile",
    "Pyttsx3Voice",
    "SpeechCache",
    "Voice",
    "VoiceInfo",
    "VoiceSettings",
    "cache_key",
    "default_cache_dir",
    "engine_renders",
    "find_voice",
    "installed_voices",
    "is_piper",
    "length_scale",
    "list_voices",
    "model_loads",
    "plausible_duration",
    "voice_for_language",
]
