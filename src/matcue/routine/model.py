"""The routine data model: frozen dataclasses, built by the loader after validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

StepKind = Literal["inhale", "exhale", "hold", "move", "relax", "breathe"]
Sides = Literal["none", "each", "alternate", "both"]
Level = Literal["gentle", "beginner", "intermediate", "advanced"]
Base = Literal["back", "side", "stomach", "all-fours", "kneeling", "seated", "standing", "water"]
Part = Literal["warmup", "main", "cooldown"]

STEP_KINDS: tuple[StepKind, ...] = ("inhale", "exhale", "hold", "move", "relax", "breathe")
SIDES: tuple[Sides, ...] = ("none", "each", "alternate", "both")
LEVELS: tuple[Level, ...] = ("gentle", "beginner", "intermediate", "advanced")
BASES: tuple[Base, ...] = (
    "back",
    "side",
    "stomach",
    "all-fours",
    "kneeling",
    "seated",
    "standing",
    "water",
)
"""The body positions an exercise is done in (``base:``)."""
NO_COOLDOWN = "none"
"""``cooldown: none``: the routine ends without a cool-down, and says so on purpose."""
PLACEHOLDERS = ("side", "other")
"""The words a spoken line may hold in braces: ``{side}`` and ``{other}``."""


@dataclass(frozen=True)
class Timing:
    """Seconds at pace 100. A routine sets them under ``defaults:``; an exercise may override."""

    inhale: float = 3.0
    exhale: float = 4.0
    move: float = 3.0
    rest: float = 15.0
    set_rest: float = 20.0
    get_ready: float = 6.0


@dataclass(frozen=True)
class Step:
    """One step of a repetition.

    ``text`` is the spoken instruction (inhale/exhale/move), may hold ``{side}``/``{other}``.
    ``seconds`` is the explicit length at pace 100: the hold/relax length, or ``for:`` on
    inhale/exhale/move; ``None`` means "use the timing default" (inhale/exhale/move).
    ``cycles`` is the number of free breaths of a ``breathe`` step.
    ``say`` is an extra spoken line.
    ``remind`` (holds) are short form or breath reminders said during a long hold.
    """

    kind: StepKind
    text: str | None = None
    seconds: float | None = None
    cycles: int | None = None
    say: str | None = None
    remind: tuple[str, ...] = ()


@dataclass(frozen=True)
class Breath:
    """Ratio breathing: seconds (at pace 100) to breathe in, hold the breath, breathe out.

    Set on an exercise (``breath: "4:6"`` or ``"4:2:6"``) or for a whole session
    (``--breath``), it replaces the length of every inhale and exhale; a ``hold`` above 0 adds
    a short breath hold after each inhale that is not already followed by a hold step.
    """

    inhale: float
    exhale: float
    hold: float = 0.0

    def __str__(self) -> str:
        parts = (self.inhale, self.hold, self.exhale) if self.hold else (self.inhale, self.exhale)
        return ":".join(f"{p:g}" for p in parts)


@dataclass(frozen=True)
class Stage:
    """From ``week`` on (until a later stage), an exercise uses these numbers instead of the
    ones written in it; None keeps the written number. ``hold`` sets every hold step."""

    week: int
    reps: int | None = None
    sets: int | None = None
    hold: float | None = None


@dataclass(frozen=True)
class Exercise:
    name: str
    position: str
    steps: tuple[Step, ...]
    reps: int = 1
    sets: int = 1
    sides: Sides = "none"
    timing: Timing = field(default_factory=Timing)  # routine defaults merged with overrides
    cautions: tuple[str, ...] = ()  # spoken after the position
    progress: str | None = None  # how the exercise grows over weeks, in words (not spoken)
    note: str | None = None  # provenance, e.g. which numbers are defaults (not spoken)
    stages: tuple[Stage, ...] = ()  # the progression by week, sorted by week (weeks >= 2)
    pace: float = 100.0  # percent, on top of the session's pace
    holds: float = 100.0  # hold lengths in percent of the written ones
    breath: Breath | None = None  # ratio breathing for this exercise
    base: Base | None = None  # the body position: the exercise's own, else its routine's
    get_there: str | None = None  # how to get into the position (rest preview), if given
    part: Part = "main"  # the warm-up, the routine's own exercises or the cool-down


@dataclass(frozen=True)
class Routine:
    id: str
    title: str
    exercises: tuple[Exercise, ...]
    language: str = "en"
    level: Level = "beginner"
    equipment: tuple[str, ...] = ()
    source: str | None = None
    cautions: tuple[str, ...] = ()
    defaults: Timing = field(default_factory=Timing)
    path: Path | None = None
    base: Base | None = None  # the default body position of its exercises
    warmup_id: str | None = None  # ``warmup:`` as written (a built-in routine id)
    cooldown_id: str | None = None  # ``cooldown:`` as written: an id, "none", or None (omitted)
    warmup: tuple[Exercise, ...] = ()  # the exercises of the warm-up routine (part "warmup")
    cooldown: tuple[Exercise, ...] = ()  # the exercises of the cool-down routine ("cooldown")

    @property
    def played(self) -> tuple[Exercise, ...]:
        """Every exercise the session plays, in order: the warm-up's, the routine's own
        (``exercises``), the cool-down's. Their 1-based numbers are the session's exercise
        numbers: chapters, ``--from N``, the resume point, ``show``, ``list`` and history."""
        return self.warmup + self.exercises + self.cooldown
