"""The phases of one rep: each step of an exercise as a ``Spec`` (kind, seconds, tone, lines,
countdown), with its words, its holds and their counts, before it is placed in time.

Also the small rules shared with the builder: how many countdown marks a phase gets
(:func:`count_marks`), a spoken line made of parts (:func:`one_line`) and ``{side}`` filled in
(:func:`expand_side`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from matcue.routine.model import Exercise, Step
from matcue.timeline.model import Pace, PhaseKind, SideName
from matcue.timeline.phrases import Phrases, sentence
from matcue.timeline.sounds import SoundName

SHORT_FROM_REP = 3  # from this rep of a set/side on, steps use the short cue ("In.", "Out.")
COUNTDOWN = 3  # numbers at the end of get_ready, set_rest and rest
EPS = 1e-9  # float slack for "fits" comparisons


@dataclass(frozen=True)
class Spec:
    """One phase of a repetition before it is placed in time."""

    kind: PhaseKind
    seconds: float  # at pace 100
    tone: SoundName
    lines: tuple[str, ...]
    count: int  # countdown marks at its end (holds)
    spoken: bool = True  # countdown marks are numbers where they fit; False: ticks only


def count_marks(seconds: float, cap: int | None) -> int:
    """How many countdown marks a phase of ``seconds`` (at pace 100) gets: one per whole
    second before its end, none at its very start."""
    marks = max(0, math.ceil(seconds - EPS) - 1)
    return marks if cap is None else min(cap, marks)


def one_line(*parts: str | None) -> tuple[str, ...]:
    """Parts as one spoken line (empty tuple if there is nothing to say)."""
    text = " ".join(sentence(p) for p in parts if p and p.strip())
    return (text,) if text else ()


def expand_side(text: str, side: SideName | None, words: Phrases) -> str:
    """``{side}``/``{other}`` -> this side's word and the other one's."""
    this, other = (words.left, words.right) if side == "left" else (words.right, words.left)
    return text.replace("{side}", this).replace("{other}", other)


def _seconds(step: Step) -> float:
    if step.seconds is None:
        raise ValueError(f"a {step.kind} step needs a length in seconds")
    return step.seconds


def rep_specs(
    ex: Exercise,
    side: SideName | None,
    short: bool,
    words: Phrases,
    pace: Pace,
    scale: Callable[[float], float],
) -> tuple[Spec, ...]:
    """The phases of one rep. The short form (from rep ``SHORT_FROM_REP`` on) keeps the
    catalogue cue and a move's own text, and drops the step text and ``say:``.

    ``pace.breath_words`` decides the breathe in/out words: ``always`` (long, then short),
    ``first`` (long form only; later reps are carried by the tones) or ``never`` (only the
    step's own text). ``pace.count`` decides how holds are counted: numbers (``voice``),
    ticks (``tones``) or not at all (``off``: the hold says its length instead)."""
    timing = ex.timing
    breath_hold = ex.breath.hold if ex.breath is not None else 0.0
    out: list[Spec] = []

    def breath_line(cue: str, short_cue: str, *rest: str | None) -> tuple[str, ...]:
        mode = pace.breath_words
        if short:
            return one_line(short_cue) if mode == "always" else ()
        return one_line(cue, *rest) if mode != "never" else one_line(*rest)

    def hold_spec(seconds: float, say: str | None) -> Spec:
        if pace.count == "off":
            length = max(1, round(scale(seconds)))
            return Spec("hold", seconds, "tick", one_line(words.hold_seconds(length), say), 0)
        return Spec(
            "hold",
            seconds,
            "tick",
            one_line(words.hold, say),
            count_marks(seconds, None),
            spoken=pace.count == "voice",
        )

    def after_inhale(next_step: Step | None) -> None:
        """Ratio breathing: the breath is held after each inhale (unless a hold follows)."""
        if breath_hold > 0 and (next_step is None or next_step.kind != "hold"):
            lines = () if short else one_line(words.hold)
            out.append(Spec("hold", breath_hold, "tick", lines, 0))

    for n, step in enumerate(ex.steps):
        following = ex.steps[n + 1] if n + 1 < len(ex.steps) else None
        text = expand_side(step.text, side, words) if step.text else None
        say = expand_side(step.say, side, words) if step.say and not short else None
        kind = step.kind
        if kind == "inhale":
            seconds = timing.inhale if step.seconds is None else step.seconds
            lines = breath_line(words.breathe_in, words.in_short, text, say)
            out.append(Spec("inhale", seconds, "inhale", lines, 0))
            after_inhale(following)
        elif kind == "exhale":
            seconds = timing.exhale if step.seconds is None else step.seconds
            lines = breath_line(words.breathe_out, words.out_short, text, say)
            out.append(Spec("exhale", seconds, "exhale", lines, 0))
        elif kind == "hold":
            out.append(hold_spec(_seconds(step), say))
        elif kind == "move":
            seconds = timing.move if step.seconds is None else step.seconds
            out.append(Spec("move", seconds, "move", one_line(text, say), 0))
        elif kind == "relax":
            out.append(Spec("relax", _seconds(step), "rest", one_line(words.relax, say), 0))
        else:  # breathe: free breaths, the first two of a long-form rep spelled out
            for cycle in range(step.cycles or 0):
                brief = short or cycle + 1 >= SHORT_FROM_REP
                first_say = say if cycle == 0 else None
                if pace.breath_words == "always":
                    breathe_in = (
                        one_line(words.in_short) if brief else one_line(words.breathe_in, first_say)
                    )
                    breathe_out = (
                        one_line(words.out_short) if brief else one_line(words.breathe_out)
                    )
                elif pace.breath_words == "first" and not brief:
                    breathe_in = one_line(words.breathe_in, first_say)
                    breathe_out = one_line(words.breathe_out)
                else:
                    breathe_in = () if brief else one_line(first_say)
                    breathe_out = ()
                out.append(Spec("inhale", timing.inhale, "inhale", breathe_in, 0))
                if breath_hold > 0:
                    out.append(
                        Spec("hold", breath_hold, "tick", () if brief else one_line(words.hold), 0)
                    )
                out.append(Spec("exhale", timing.exhale, "exhale", breathe_out, 0))
    return tuple(out)
