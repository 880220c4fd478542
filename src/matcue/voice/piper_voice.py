"""Speech through Piper (piper-tts, onnxruntime only): a natural neural voice, offline.

The same rules as the default engine, so that a session sounds and runs alike with either:

* ``--rate`` in words per minute becomes Piper's ``length_scale`` by a mapping measured against
  espeak-ng (:func:`length_scale`), clamped to 0.5-2.0 (about 110 to 280 words a minute):
  the mapping was measured from 150 to 250 words a minute, and 1 is a voice's own pace;
* output is deterministic: both noise scales are 0 (Piper's defaults make every rendering
  differ, by 81 ms in one measured line);
* lines are levelled by matcue, not by Piper (``normalize_audio`` levels each sentence on its
  own, up to 6.9 dB apart inside one line); the volume scales the samples as espeak-ng's does;
* Piper gives one chunk per sentence: each is trimmed of its silent edges and matcue puts its
  own gap between them, ``SENTENCE_GAP`` scaled with the length scale;
* a voice's rate other than the session's is resampled to it, and a new line is put on the
  16-bit grid its cache entry holds (so it sounds the same before and after the cache);
* a line's cache key covers everything that changes its sound: the engine, piper-tts's
  version, the sha256 of the model and of its settings, the speaker, the length scale, the
  noise scales, the gap, the volume, the output rate, the text and the cache version.

Each model is loaded once per process (0.4-0.6 s, ~150-250 MB), and only when a line is not in
the cache, with one inference thread (onnxruntime's default burns both cores for nothing); one
line is synthesised at a time.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from matcue import settings as setting_specs
from matcue.audio.clip import Clip, Int16Clip
from matcue.audio.files import pcm16, resample
from matcue.errors import InputError, SpeechEngineError
from matcue.voice.base import VoiceSettings
from matcue.voice.cache import SpeechCache, Warn, cache_key, default_cache_dir
from matcue.voice.cached import CachedVoice
from matcue.voice.lengths import plausible_duration, trim_silence
from matcue.voice.piper_voices import INSTALL_PIPER, PiperVoiceFile, digests, piper_version

ENGINE_NAME = "piper"

# --rate (words per minute) -> length_scale: a 171-word text lasted 15.7 s + 34.7 s x scale,
# so matching espeak-ng's words per minute gives scale = (54.7 / wpm - 0.092) / 0.203
# (150 -> 1.34, 250 -> 0.63)
MIN_LENGTH_SCALE = 0.5
MAX_LENGTH_SCALE = 2.0
SENTENCE_GAP = 0.25  # seconds between a line's sentences at length scale 1
NOISE_SCALE = 0.0  # Piper's own 0.667 and 0.8 make each rendering differ
NOISE_W_SCALE = 0.0
STAMPS = "piper-voices.json"  # in the cache folder: the voice files' digests, by size and time


def length_scale(wpm: float) -> float:
    """Piper's ``length_scale`` for ``wpm`` words per minute, clamped to
    ``MIN_LENGTH_SCALE``..``MAX_LENGTH_SCALE`` and rounded to 3 decimals."""
    raw = (54.7 / wpm - 0.092) / 0.203
    return round(min(max(raw, MIN_LENGTH_SCALE), MAX_LENGTH_SCALE), 3)


def spoken_wpm(scale: float) -> float:
    """The words per minute a ``length_scale`` of ``scale`` matches (the inverse mapping)."""
    return 54.7 / (0.092 + 0.203 * scale)


SLOWEST_WPM = round(spoken_wpm(MAX_LENGTH_SCALE))  # 110: slower rates speak at this one
FASTEST_WPM = round(spoken_wpm(MIN_LENGTH_SCALE))  # 283: faster rates speak at this one


class _Model:
    """One loaded Piper voice: its onnxruntime session, with one inference thread."""

    def __init__(self, voice: PiperVoiceFile) -> None:
        try:
            import onnxruntime
            from piper import PiperConfig
            from piper import PiperVoice as Engine
        except ImportError as exc:
            raise SpeechEngineError(INSTALL_PIPER) from exc
        try:
            config = PiperConfig.from_dict(voice.settings())
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SpeechEngineError(
                f"the Piper voice settings {voice.config} are broken ({type(exc).__name__} "
                "reading them); download them again"
            ) from exc
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # its own errors only: they become our sentence
        try:
            session = onnxruntime.InferenceSession(
                str(voice.model), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime's own exception types (InvalidProtobuf, ...)
            raise SpeechEngineError(
                f"the Piper voice file {voice.model} cannot be loaded (it is damaged or not a "
                "Piper model); download it again"
            ) from exc
        self.engine: Any = Engine(config=config, session=session)
        self.lock = threading.Lock()

    def sentences(
        self, text: str, scale: float, speaker: int | None
    ) -> list[npt.NDArray[np.float32]]:
        """``text`` spoken, one float32 array per sentence, untrimmed and unlevelled."""
        from piper import SynthesisConfig

        config = SynthesisConfig(
            speaker_id=speaker,
            length_scale=scale,
            noise_scale=NOISE_SCALE,
            noise_w_scale=NOISE_W_SCALE,
            normalize_audio=False,
            volume=1.0,
        )
        with self.lock:  # one line at a time: one inference thread in all
            return [
                np.asarray(chunk.audio_float_array, dtype=np.float32).reshape(-1)
                for chunk in self.engine.synthesize(text, config)
            ]


_MODELS: dict[tuple[str, str], _Model] = {}
_MODELS_LOCK = threading.Lock()
_loads = 0


def model_loads() -> int:
    """How many Piper models this process has loaded (0 while every line came from the cache)."""
    return _loads


def _model(voice: PiperVoiceFile, digest: str) -> _Model:
    """The process's one loaded copy of ``voice`` (by path and model digest)."""
    global _loads
    key = (str(voice.model.resolve()), digest)
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = _MODELS[key] = _Model(voice)
            _loads += 1
        return model


def joined(
    sentences: list[npt.NDArray[np.float32]], rate: int, gap: float
) -> npt.NDArray[np.float32]:
    """The sentences, each trimmed of its silent edges, with ``gap`` seconds between them."""
    pause = np.zeros(round(gap * rate), dtype=np.float32)
    parts: list[npt.NDArray[np.float32]] = []
    for sentence in sentences:
        trimmed = trim_silence(sentence, rate)
        if trimmed.size:
            parts += [pause, trimmed] if parts else [trimmed]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def _check_settings(settings: VoiceSettings) -> None:
    rate, volume = setting_specs.RATE, setting_specs.VOLUME
    if not rate.within(settings.rate):
        raise InputError(
            f"speech rate must be between {rate.minimum:g} and {rate.maximum:g} words per "
            f"minute, not {settings.rate}"
        )
    if not volume.within(settings.volume):
        raise InputError(f"speech volume must be between 0 and 1, not {settings.volume}")


class PiperVoice(CachedVoice):
    """The ``Voice`` protocol through a Piper voice, each distinct line rendered once.

    ``rate``: the output rate (the session's); None keeps the voice's own."""

    def __init__(
        self,
        settings: VoiceSettings,
        voice: PiperVoiceFile,
        cache_dir: Path | None = None,
        warn: Warn | None = None,
        rate: int | None = None,
    ) -> None:
        _check_settings(settings)
        self.version = piper_version()  # the extra is missing: one sentence, before anything
        self.settings = settings
        self.voice = voice
        self.voice_id = voice.id
        self.rate = voice.sample_rate if rate is None else int(rate)
        self.length_scale = length_scale(settings.rate)
        self.gap = round(SENTENCE_GAP * self.length_scale, 4)
        self.cache = SpeechCache(default_cache_dir() if cache_dir is None else cache_dir, warn)
        self._digest, config_digest = digests(voice, self.cache.root / STAMPS)
        self._identity = json.dumps(
            [
                self.version,
                self._digest,
                config_digest,
                voice.speaker,
                self.length_scale,
                NOISE_SCALE,
                NOISE_W_SCALE,
                self.gap,
                self.rate,
            ],
            separators=(",", ":"),
        )
        self.renders = 0  # lines this voice sent to the model (cache misses)

    def load(self) -> None:
        """Load the voice's model now (once per process), as the first line missing from the
        cache would: for a caller that wants it ready before the lines are needed."""
        _model(self.voice, self._digest)

    def key(self, text: str) -> str:
        """The cache key of ``text`` in this voice (the length scale, in the voice's identity,
        stands for the rate: two rates clamped to one scale share their lines)."""
        return cache_key(ENGINE_NAME, self._identity, 0, self.settings.volume, text.strip())

    def expected(self, line: str) -> tuple[float, float]:
        """A generous range for ``line``'s length at the rate its length scale speaks."""
        low, high = plausible_duration(line, round(spoken_wpm(self.length_scale)))
        return low * 0.5, high

    def make(self, line: str) -> Clip:
        """``line`` through the model, its sentences joined by matcue's gap, trimmed, at the
        output rate and volume; SpeechEngineError if its length is implausible."""
        sentences = _model(self.voice, self._digest).sentences(
            line, self.length_scale, self.voice.speaker
        )
        samples = joined(sentences, self.voice.sample_rate, self.gap)
        samples = trim_silence(resample(samples, self.voice.sample_rate, self.rate), self.rate)
        if self.settings.volume != 1.0:
            samples = samples * np.float32(self.settings.volume)
        # on the 16-bit grid the cache keeps it on: a line sounds the same the first time
        clip = Int16Clip(pcm16(samples), self.rate)
        low, high = self.expected(line)
        if not clip.frames:
            raise SpeechEngineError(
                f"the Piper voice {self.voice_id} made no sound for {line!r}; give the line "
                "some words"
            )
        if not low <= clip.duration <= high:
            raise SpeechEngineError(
                f"the Piper voice {self.voice_id} spoke {line!r} in {clip.duration:.2f} s where "
                f"{low:.2f}-{high:.2f} s was expected; try another voice"
            )
        return clip
