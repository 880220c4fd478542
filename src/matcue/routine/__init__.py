"""The routine stage: routine files (YAML, format version 1) -> frozen ``Routine`` models."""

from matcue.routine.library import (
    LIBRARY_DIR,
    builtin_ids,
    load_builtin_routines,
    resolve,
)
from matcue.routine.loader import (
    load_routine,
    parse_routine,
    parse_routine_bytes,
    validate_files,
)
from matcue.routine.model import (
    BASES,
    LEVELS,
    NO_COOLDOWN,
    SIDES,
    STEP_KINDS,
    Base,
    Breath,
    Exercise,
    Level,
    Part,
    Routine,
    Sides,
    Stage,
    Step,
    StepKind,
    Timing,
)
from matcue.routine.problems import Problem, RoutineError
from matcue.routine.values import parse_duration

__all__ = [
    "BASES",
    "LEVELS",
    "LIBRARY_DIR",
    "NO_COOLDOWN",
    "SIDES",
    "STEP_KINDS",
    "Base",
    "Breath",
    "Exercise",
    "Level",
    "Part",
    "Problem",
    "Routine",
    "RoutineError",
    "Sides",
    "Stage",
    "Step",
    "StepKind",
    "Timing",
    "builtin_ids",
    "load_builtin_routines",
    "load_routine",
    "parse_duration",
    "parse_routine",
    "parse_routine_bytes",
    "resolve",
    "validate_files",
]
