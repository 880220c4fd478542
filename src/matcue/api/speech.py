"""Which voice speaks a session: the engine and voice for a routine's language, from the options
and the saved config (espeak-ng through pyttsx3 by default; Piper for ``piper``, ``piper:NAME``
or a ``.onnx`` file), and the names of the languages matcue speaks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matcue.api.model import SESSION_RATE, Config, Options, Warn
from matcue.errors import InputError
from matcue.routine import Routine, values
from matcue.store.paths import Folders

if TYPE_CHECKING:
    from matcue.voice import PiperVoiceFile, Voice


def spoken() -> dict[str, str]:
    """The languages matcue has its own words in: code -> name."""
    from matcue.timeline.phrases import CATALOGUES

    names = {"en": "English", "pl": "Polish", "cs": "Czech"}
    return {code: names.get(code, code) for code in CATALOGUES}


def voice_for(
    routine: Routine, options: Options, saved: Config, where: Folders, warn: Warn | None = None
) -> Voice:
    """The speech engine for ``routine``: the voice and rate given, else saved (at full
    volume: :func:`matcue.api.session.volume_of` acts in the mix, after the levelling). A
    Piper voice (``piper``, ``piper:NAME``, a ``.onnx`` file) speaks through
    :class:`~matcue.voice.PiperVoice`; a saved one of another language than the routine's gives
    way to the default engine."""
    from matcue.voice import PiperVoice, Pyttsx3Voice, VoiceSettings, is_piper

    voice = options.voice or saved.get("voice")
    rate = int(options.rate if options.rate is not None else saved.get("rate", 150))
    if voice and is_piper(str(voice)):
        found = piper_voice(str(voice), routine, where, given=options.voice is not None)
        if found is not None:
            settings = VoiceSettings(voice=found.id, rate=rate, language=routine.language)
            return PiperVoice(settings, found, where.cache_dir, warn, rate=SESSION_RATE)
        voice = None  # a saved Piper voice, none for this language: the default engine
    if options.voice is None and voice and not _speaks(str(voice), routine.language):
        voice = None  # a saved voice of another language: the routine's language decides
    settings = VoiceSettings(
        voice=str(voice) if voice else None, rate=rate, language=routine.language
    )
    return Pyttsx3Voice(settings, cache_dir=where.cache_dir, warn=warn)


def piper_voice(
    spec: str, routine: Routine, where: Folders, *, given: bool
) -> PiperVoiceFile | None:
    """The Piper voice ``spec`` names for ``routine`` (``piper``: one for its language), or
    None when it was saved (not ``given`` now) and speaks another language. Given, a voice of
    another language is refused (InputError), and none for the language says how to get one."""
    from matcue.errors import SpeechEngineError
    from matcue.voice import find_voice, voice_for_language
    from matcue.voice.piper_voices import PREFIX, download_hint, piper_version

    piper_version()  # the extra is missing: say so before anything else
    folder = where.voices_dir
    lang = routine.language
    name = spoken().get(values.base_language(lang), lang)
    if spec.strip().lower() in ("piper", PREFIX):
        found = voice_for_language(lang, folder)
        if found is None and given:
            raise SpeechEngineError(
                f"{routine.id} is in {name}, and there is no {name} Piper voice in {folder} or "
                f"an installed voice package; {download_hint(lang, folder)}"
            )
        return found
    found = find_voice(spec, folder)
    if values.base_language(found.language) == values.base_language(lang):
        return found
    if not given:
        return None
    theirs = spoken().get(values.base_language(found.language), found.language)
    raise InputError(
        f"--voice {found.id} speaks {theirs}, and {routine.id} is in {name}: give a {name} "
        f"voice ({download_hint(lang, folder)})"
    )


def _speaks(voice_id: str, lang: str) -> bool:
    """Whether the voice ``voice_id`` speaks ``lang`` (an unknown voice: yes, so that the voice
    stage reports it)."""
    from matcue.voice import list_voices

    base = values.base_language(lang)
    for info in list_voices():
        if info.id == voice_id.strip().lower():
            return any(values.base_language(x) == base for x in info.languages)
    return True
