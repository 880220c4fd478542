"""What there is: the built-in routines with their lengths, the voices, the sound system's notes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from matcue.api.model import SESSION_RATE
from matcue.routine import Routine, load_routine, values
from matcue.routine.library import builtin_ids, resolve
from matcue.store.paths import Folders
from matcue.timeline import Pace, compile
from matcue.timeline.estimate import speech_estimate

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class Listed:
    """A built-in routine and its length at pace 100, estimated from its words (no line is
    spoken: :mod:`matcue.timeline.estimate`; ``matcue plan`` gives the exact length)."""

    routine: Routine
    seconds: float


def routines() -> list[Listed]:
    """Every built-in routine, by id."""
    routines = [load_routine(resolve(rid)) for rid in builtin_ids()]
    return [Listed(r, compile(r, Pace(percent=100), speech_estimate()).duration) for r in routines]


@dataclass(frozen=True)
class ListedVoice:
    """A voice ``--voice`` can name, of either engine, for ``matcue voices``."""

    id: str  # what --voice takes
    engine: str  # "espeak-ng" (the default engine, through pyttsx3) or "piper"
    languages: tuple[str, ...]
    quality: str  # Piper's x_low, low, medium or high; "-" for espeak-ng
    sample_rate: int  # Hz
    name: str  # espeak-ng's name; for Piper, where it was found (a package, the voice folder)


def voices(lang: str | None = None, folders: Folders | None = None) -> list[ListedVoice]:
    """The text-to-speech voices, espeak-ng's then Piper's (in the voice folder of ``folders``
    and the installed voice packages), only those for ``lang`` (a language code) if given."""
    from matcue.store import paths
    from matcue.voice import installed_voices, list_voices

    found = [
        ListedVoice(v.id, "espeak-ng", v.languages, "-", SESSION_RATE, v.name)
        for v in list_voices()
    ]
    voices_dir: Path = (folders or paths.folders()).voices_dir
    found += [
        ListedVoice(v.id, "piper", (v.language,), v.quality, v.sample_rate, v.source)
        for v in installed_voices(voices_dir)
    ]
    wanted = values.normalise_language(lang) if lang else None
    out = []
    for v in found:
        codes = [c.lower() for c in v.languages]
        if wanted and not any(c == wanted or c.startswith(wanted + "-") for c in codes):
            continue
        out.append(v)
    return out


def show_sound_notes(echo: Callable[[str], object]) -> None:
    """Hand each of the sound system's own lines (alsa-lib's, kept off the terminal) to ``echo``
    as it comes (``--debug``)."""
    from matcue.playback import alsa_notes

    alsa_notes.install(lambda note: echo(str(note)))
