"""The phases of one rep: each step of an exercise as a ``Spec`` (kind, seconds, tone, lines,
countdown), with its words, its holds and their counts, before it is placed in time.

Holds (DESIGN §3): a hold's ``say:`` is spoken on the step before it (long form only), so a
hold of up to ``LONG_HOLD`` seconds is counted in full, from its length down to one. A longer
hold says "halfway" (from ``HALFWAY_FROM`` seconds) and "ten seconds left", counts
its last ``LAST_COUNT`` seconds, and says its reminders (``remind:``, else "Keep breathing.")
between them. Relax steps and free breaths are never counted.

Also the small rules shared with the builder: how many countdown marks a phase gets
(:func:`count_marks`), a spoken line made of parts (:func:`one_line`) and ``{side}`` filled in
(:func:`expand_side`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from matcue.routine.model import Exercise, Step
from matcue.timeline.model import Pace, PhaseKind, SideName
from matcue.timeline.phrases import Phrases, sentence
from matcue.timeline.sounds import SoundName

SHORT_FROM_REP = 3  # from this rep of a set/side on, steps use the short cue ("In.", "Out.")
COUNTDOWN = 3  # numbers at the end of get_ready, switch and set_rest
EPS = 1e-9  # float slack for "fits" comparisons
LONG_HOLD = 10.0  # holds up to this long (at pace 100) are counted in full
LAST_COUNT = 5  # a longer hold counts its last seconds
REMIND_EVERY = 20.0  # one reminder for each this many seconds of a stretch without words
REMIND_MIN = 6.0  # a shorter stretch gets no reminder

HALFWAY_FROM = 3 * LONG_HOLD  # "halfway" only where it comes well before "ten seconds left"

TimedLine = tuple[float, str, int]
"""A line said at a time counted back from its phase's end (pace-100 seconds), and its rank:
lines are placed by rank ("ten seconds left" 0, "halfway" 1, reminders 2), each only where it
fits around those placed before it."""


@dataclass(frozen=True)
class Spec:
    """One phase of a repetition before it is placed in time."""

    kind: PhaseKind
    seconds: float  # at pace 100
    tone: SoundName
    lines: tuple[str, ...]
    count: int  # countdown marks at its end (holds): count, ..., two, one
    spoken: bool = True  # countdown marks are numbers where they fit; False: ticks only
    timed: tuple[TimedLine, ...] = ()  # lines at set times before its end (long holds)


def count_marks(seconds: float, cap: int | None) -> int:
    """How many countdown marks a phase of ``seconds`` (at pace 100) gets: one per whole
    second before its end, none at its very start."""
    marks = max(0, math.ceil(seconds - EPS) - 1)
    return marks if cap is None else min(cap, marks)


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` ("Lie on your back." of "Lie on your back. Bend...")."""
    for i, c in enumerate(text):
        if c in ".!?" and (i + 1 == len(text) or text[i + 1].isspace()):
            return text[: i + 1].strip()
    return text.strip()


def hold_marks(
    seconds: float, reminders: tuple[str, ...], words: Phrases, mode: str
) -> tuple[int, tuple[TimedLine, ...]]:
    """The count at the end of a hold of ``seconds`` (pace 100) and its timed lines.

    Up to ``LONG_HOLD``: the whole count. Longer: the last ``LAST_COUNT``, "ten seconds left"
    and, from ``HALFWAY_FROM``, "halfway" (said only when numbers are: ``mode`` "voice"),
    with reminders in the stretches before and between them that are at least ``REMIND_MIN``
    long, one for each ``REMIND_EVERY`` seconds. ``mode`` "off" counts nothing."""
    if seconds <= LONG_HOLD + EPS:
        return (math.floor(seconds + EPS) if mode != "off" else 0), ()
    timed: list[TimedLine] = []
    if mode == "voice":
        timed.append((LONG_HOLD, sentence(words.ten_left), 0))
    stretches = [(seconds, LONG_HOLD)]
    if seconds >= HALFWAY_FROM - EPS:
        half = seconds / 2
        if mode == "voice":
            timed.append((half, sentence(words.halfway), 1))
        stretches = [(seconds, half), (half, LONG_HOLD)]
    lines = reminders or (words.keep_breathing,)
    turn = 0
    for start, end in stretches:
        if start - end < REMIND_MIN:
            continue
        n = max(1, math.floor((start - end) / REMIND_EVERY))
        for j in range(n):
            at = start - (start - end) * (j + 1) / (n + 1)
            timed.append((at, sentence(lines[turn % len(lines)]), 2))
            turn += 1
    return (LAST_COUNT if mode != "off" else 0), tuple(timed)


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
    ticks (``tones``) or not at all (``off``: the hold says its length instead).

    A hold's ``say:`` joins the words of the step before it (the move into the hold); a hold
    that starts the rep says it itself. In an exercise of moves only, the short form keeps the
    first sentence of the first move and lets the tones carry the others."""
    timing = ex.timing
    breath_hold = ex.breath.hold if ex.breath is not None else 0.0
    out: list[Spec] = []
    moves_only = all(step.kind == "move" for step in ex.steps)

    def breath_line(cue: str, short_cue: str, *rest: str | None) -> tuple[str, ...]:
        mode = pace.breath_words
        if short:
            return one_line(short_cue) if mode == "always" else ()
        return one_line(cue, *rest) if mode != "never" else one_line(*rest)

    def hold_spec(
        seconds: float, say: str | None, remind: tuple[str, ...] = (), brief: bool = False
    ) -> Spec:
        """A hold; ``brief``: a breath hold of a short rep (said nothing when not counted)."""
        if say and out:  # said on the move into the hold, before its count
            out[-1] = replace(out[-1], lines=one_line(*out[-1].lines, say))
            say = None
        count, timed = hold_marks(seconds, remind, words, pace.count)
        lines = one_line(say)
        if pace.count == "off" and not brief:
            length = max(1, round(scale(seconds)))
            lines = one_line(words.hold_seconds(length), say)
        return Spec("hold", seconds, "tick", lines, count, pace.count == "voice", timed)

    def after_inhale(next_step: Step | None) -> None:
        """Ratio breathing: the breath is held after each inhale (unless a hold follows)."""
        if breath_hold > 0 and (next_step is None or next_step.kind != "hold"):
            out.append(hold_spec(breath_hold, None, brief=short))

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
            remind = tuple(expand_side(line, side, words) for line in step.remind)
            out.append(hold_spec(_seconds(step), say, remind))
        elif kind == "move":
            seconds = timing.move if step.seconds is None else step.seconds
            if moves_only and short:
                text = first_sentence(text or "") if n == 0 else None
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
                    out.append(hold_spec(breath_hold, None, brief=short))
                out.append(Spec("exhale", timing.exhale, "exhale", breathe_out, 0))
    return tuple(out)
