"""What there is: the built-in routines with their lengths, the voices, the sound system's notes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from matcue.routine import Routine, load_routine, values
from matcue.routine.library import builtin_ids, resolve
from matcue.timeline import Pace, compile
from matcue.timeline.estimate import speech_estimate

if TYPE_CHECKING:
    from matcue.voice import VoiceInfo


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


def voices(lang: str | None = None) -> list[VoiceInfo]:
    """The text-to-speech voices, only those for ``lang`` (a language code) if given."""
    from matcue.voice import list_voices

    wanted = values.normalise_language(lang) if lang else None
    out = []
    for v in list_voices():
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
