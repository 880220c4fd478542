"""The timeline stage: ``compile(routine, pace, speech_len) -> Timeline``. No I/O, no audio."""

from matcue.timeline.compiler import compile, spoken
from matcue.timeline.model import (
    Chapter,
    Cue,
    CueKind,
    Pace,
    Phase,
    PhaseKind,
    SideName,
    Timeline,
)
from matcue.timeline.phrases import (
    ENGLISH,
    ENGLISH_CONTROLS,
    Controls,
    Phrases,
    number_words,
    phrases_for,
)
from matcue.timeline.sounds import SOUND_LENGTHS, SoundName

__all__ = [
    "ENGLISH",
    "ENGLISH_CONTROLS",
    "SOUND_LENGTHS",
    "Chapter",
    "Controls",
    "Cue",
    "CueKind",
    "Pace",
    "Phase",
    "PhaseKind",
    "Phrases",
    "SideName",
    "SoundName",
    "Timeline",
    "compile",
    "number_words",
    "phrases_for",
    "spoken",
]
