"""Text for people: the plan's table, a routine's description, lengths and file lists."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matcue.api import NO_COOLDOWN, Routine, Step, Timeline, Timing


def clock(seconds: float) -> str:
    """``m:ss``."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def format_plan(timeline: Timeline) -> str:
    """A readable table: one row per phase with the words and tones heard in it, after the
    settings and each exercise's effective numbers."""
    lines = [
        f"{timeline.title} — {clock(timeline.duration)} at pace {timeline.pace.percent:g}",
        f"settings: {timeline.pace.describe()}, language {timeline.language}",
        *(f"  {plan.describe()}" for plan in timeline.exercises),
        "",
        f"{'time':>6}  {'len':>5}  {'phase':<9} {'ex':>2} {'set':>3} {'rep':>3} {'side':<5}  heard",
    ]
    cues = list(timeline.cues)
    i = 0
    for phase in timeline.phases:
        heard: list[str] = []
        while i < len(cues) and cues[i].t < phase.end - 1e-9:
            cue = cues[i]
            heard.append(cue.text if cue.text is not None else f"[{cue.sound}]")
            i += 1
        cols = (
            f"{clock(phase.t):>6}  {phase.dur:5.1f}  {phase.kind:<9} "
            f"{phase.exercise or '':>2} {phase.set or '':>3} {phase.rep or '':>3} "
            f"{phase.side or '':<5}"
        )
        lines.append(f"{cols}  {' '.join(heard)}".rstrip())
    return "\n".join(lines) + "\n"


def format_routine(r: Routine) -> str:
    """A routine as readable text, the way `matcue show` prints it."""
    out = [f"{r.title} ({r.id})", f"level: {r.level}"]
    if r.base:
        out.append(f"base: {r.base}")
    if r.equipment:
        out.append(f"equipment: {', '.join(r.equipment)}")
    if r.source:
        out.append(f"source: {r.source}")
    out += [f"caution: {c}" for c in r.cautions]
    heads = {
        "warmup": f"warm-up (from {r.warmup_id}):",
        "main": "exercises:",
        "cooldown": f"cool-down (from {r.cooldown_id}):",
    }
    if r.cooldown_id == NO_COOLDOWN:
        out.append("cool-down: none")
    part = None if r.warmup or r.cooldown else "main"
    for i, ex in enumerate(r.played, 1):  # numbered as the session plays them
        if ex.part != part:
            part = ex.part
            out += ["", heads[part]]
        count = f"{ex.reps} rep{'s' if ex.reps != 1 else ''}"
        if ex.sides in ("each", "alternate"):
            count += " per side"
        if ex.sets > 1:
            count += f" × {ex.sets} sets"
        sides = {"none": "", "each": ", each side", "alternate": ", alternating sides"}.get(
            ex.sides, ", both sides at once"
        )
        out += ["", f"{i}. {ex.name} — {count}{sides}", f"   position: {ex.position}"]
        if ex.base:
            out.append(f"   base: {ex.base}")
        if ex.get_there:
            out.append(f"   get there: {ex.get_there}")
        for step in ex.steps:
            out.append(f"   - {_describe(step, ex.timing)}")
        out += [f"   caution: {c}" for c in ex.cautions]
        if ex.progress:
            out.append(f"   progress: {' '.join(ex.progress.split())}")
        for stage in ex.stages:
            numbers = [
                f"{stage.reps} reps" if stage.reps else "",
                f"{stage.sets} sets" if stage.sets else "",
                f"hold {stage.hold:g} s" if stage.hold is not None else "",
            ]
            out.append(f"   from week {stage.week}: {', '.join(n for n in numbers if n)}")
        own = [
            f"pace {ex.pace:g} %" if ex.pace != 100 else "",
            f"holds {ex.holds:g} %" if ex.holds != 100 else "",
            f"breath {ex.breath}" if ex.breath else "",
        ]
        if any(own):
            out.append(f"   own pace: {', '.join(o for o in own if o)}")
        if ex.note:
            out.append(f"   note: {' '.join(ex.note.split())}")
    return "\n".join(out) + "\n"


def _describe(step: Step, timing: Timing) -> str:
    default = {"inhale": timing.inhale, "exhale": timing.exhale, "move": timing.move}
    seconds = step.seconds if step.seconds is not None else default.get(step.kind)
    head: str = step.kind
    if step.kind == "breathe":
        head = f"breathe {step.cycles} time{'s' if step.cycles != 1 else ''}"
    elif seconds is not None:
        head = f"{step.kind} {seconds:g} s"
    words = " ".join(w for w in (step.text, step.say, *step.remind) if w)
    return f"{head}: {words}" if words else head


def listing(paths: Sequence[Path]) -> str:
    """``a and b``, ``a, b and c``, or ``N files (first … last)``."""
    names = [str(p) for p in paths]
    if len(names) > 4:
        return f"{len(names)} files ({names[0]} … {names[-1]})"
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + f" and {names[-1]}"
