"""The timeline stage: ``compile(routine, pace, speech_len) -> Timeline``. No I/O, no audio."""

from matcue.timeline.compiler import compile
from matcue.timeline.model import (
    LEVELS,
    BreathWords,
    Chapter,
    CountMode,
    Cue,
    CueKind,
    ExercisePlan,
    Pace,
    Phase,
    PhaseKind,
    SideName,
    Timeline,
)
from matcue.timeline.phrases import CATALOGUES, ENGLISH, Phrases, number_words, phrases_for
from matcue.timeline.sounds import SOUND_LENGTHS, SoundName

__all__ = [
    "CATALOGUES",
    "ENGLISH",
    "LEVELS",
    "SOUND_LENGTHS",
    "BreathWords",
    "Chapter",
    "CountMode",
    "Cue",
    "CueKind",
    "ExercisePlan",
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
]
