"""The checks of the session lint (:mod:`matcue.timeline.lint`), one function per rule.

Each check takes its ``Rule`` (for the bound values it names) and a ``Script`` (the compiled
session as it is heard: each phase with the cues that start in it) and yields a ``Problem``
for each place that breaks the rule. The rules themselves, in words, are in ``lint.RULES``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise

from matcue.routine.library import LIBRARY_DIR
from matcue.routine.model import Exercise, Routine
from matcue.timeline.model import Cue, ExercisePlan, Phase, Timeline
from matcue.timeline.phrases import Phrases, sentence
from matcue.timeline.reps import expand_side

EPS = 1e-6  # seconds: two cue times this close are one moment
_HIGHEST_NUMBER = 300  # number words recognised in a count


@dataclass(frozen=True)
class Problem:
    """One place where the session breaks a rule: the rule's id, when (seconds from the
    session start) and what is heard there."""

    rule: str
    t: float
    text: str

    def __str__(self) -> str:
        minutes, seconds = divmod(self.t, 60)
        return f"{int(minutes)}:{seconds:04.1f} {self.rule}: {self.text}"


@dataclass(frozen=True)
class Medium:
    """How the session reaches the listener, which decides the controls they have."""

    name: str
    keys: bool  # the terminal's keys control it
    media_keys: bool  # the headphone and media buttons control it too


Bound = float | int | str | tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One rule of the lint: its id, the rule in one sentence, the values it is bound by and
    the function that finds where a session breaks it."""

    id: str
    says: str
    check: Callable[[Rule, Script], Iterator[Problem]]
    bounds: Mapping[str, Bound] = field(default_factory=dict)

    def number(self, name: str) -> float:
        value = self.bounds[name]
        assert isinstance(value, int | float)
        return float(value)

    def words(self, name: str) -> tuple[str, ...]:
        value = self.bounds[name]
        return (value,) if isinstance(value, str) else tuple(map(str, value))  # type: ignore[arg-type]

    def pattern(self, name: str) -> re.Pattern[str]:
        """A case-blind pattern matching any of the phrases under ``name``, as whole words."""
        alternatives = "|".join(re.escape(w) for w in self.words(name))
        return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Script:
    """The compiled session as it is heard, with what the checks need to read it."""

    timeline: Timeline
    phrases: Phrases
    medium: Medium
    routine: Routine | None = None
    exercises: Sequence[Exercise] = ()  # the session's exercises in order, when known

    @cached_property
    def heard(self) -> tuple[tuple[Cue, ...], ...]:
        """The cues of each phase (those starting in it), in time order."""
        starts = [p.t for p in self.timeline.phases]
        out: list[list[Cue]] = [[] for _ in starts]
        for cue in self.timeline.cues:
            out[max(0, bisect_right(starts, cue.t + EPS) - 1)].append(cue)
        return tuple(map(tuple, out))

    @cached_property
    def numbers(self) -> dict[str, int]:
        """A count's spoken lines -> their numbers ("Seven." -> 7)."""
        return {self.phrases.number(n): n for n in range(1, _HIGHEST_NUMBER + 1)}

    def marks(self, k: int) -> list[tuple[Cue, int | None]]:
        """The count marks of phase ``k``: its numbers (with their value) and its ticks other
        than the tick that opens it."""
        start = self.timeline.phases[k].t
        out: list[tuple[Cue, int | None]] = []
        for cue in self.heard[k]:
            if cue.kind == "speech" and cue.text in self.numbers:
                out.append((cue, self.numbers[cue.text]))
            elif cue.sound == "tick" and cue.t > start + EPS:
                out.append((cue, None))
        return out

    def first_reps(self) -> dict[int, int]:
        """Exercise number -> the index of the first phase of its first rep."""
        out: dict[int, int] = {}
        for k, phase in enumerate(self.timeline.phases):
            if phase.rep is not None and phase.exercise is not None:
                out.setdefault(phase.exercise, k)
        return out

    def last_reps(self) -> dict[int, int]:
        """Exercise number -> the index of the last phase of its last rep."""
        out: dict[int, int] = {}
        for k, phase in enumerate(self.timeline.phases):
            if phase.rep is not None and phase.exercise is not None:
                out[phase.exercise] = k
        return out

    def text(self, k: int) -> str:
        return " ".join(c.text or "" for c in self.heard[k] if c.kind == "speech")

    def plan(self, phase: Phase) -> ExercisePlan | None:
        """The numbers of the exercise ``phase`` belongs to, when known."""
        plans, n = self.timeline.exercises, phase.exercise
        return plans[n - 1] if n is not None and 0 < n <= len(plans) else None

    def second(self, phase: Phase) -> float:
        """How long one of the routine's seconds lasts in ``phase`` (at its pace)."""
        plan = self.plan(phase)
        return 100.0 / (plan.pace if plan is not None else self.timeline.pace.percent)

    def exercise(self, n: int) -> Exercise | None:
        """The ``n``-th exercise of the session (1-based), when known."""
        return self.exercises[n - 1] if 0 < n <= len(self.exercises) else None


def _quoted(cues: Sequence[Cue]) -> str:
    return " ".join(repr(c.text) if c.kind == "speech" else f"[{c.sound}]" for c in cues)


# -- counts ------------------------------------------------------------------------------------


def skipped_numbers(rule: Rule, s: Script) -> Iterator[Problem]:
    for k in range(len(s.timeline.phases)):
        said = [(cue, n) for cue, n in s.marks(k) if n is not None]
        for (a, m), (b, n) in pairwise(said):
            if n != m - 1:
                yield Problem(rule.id, b.t, f"{a.text!r} then {b.text!r}")
        if said and said[-1][1] != 1:
            cue = said[-1][0]
            yield Problem(rule.id, cue.t, f"the count stops at {cue.text!r}")


def short_holds_counted(rule: Rule, s: Script) -> Iterator[Problem]:
    if s.timeline.pace.count != "voice":
        return
    longest, slot = rule.number("longest"), rule.number("tick_slot")
    for k, phase in enumerate(s.timeline.phases):
        if phase.kind != "hold":
            continue
        plan = s.plan(phase)
        if plan is not None and plan.breath_hold and abs(phase.dur - plan.breath_hold) < EPS:
            continue  # the breath held after an inhale (ratio breathing): not a hold step
        second = s.second(phase)
        length = round(phase.dur / second)
        if length > longest:
            continue
        marks = s.marks(k)
        said = [n for _, n in marks if n is not None]
        ticks = len(marks) - len(said)
        top = said[0] if said else 0
        # a second long enough for its number: all numbers; else numbers that do not fit
        # their second are ticks (the first maybe the one that opens the hold)
        ok = top == length and ticks == 0 if second >= slot else len(marks) in (length - 1, length)
        if not ok:
            heard = _quoted(s.heard[k]) or "nothing"
            yield Problem(rule.id, phase.t, f"a {length} s hold heard as {heard}")


def relax_not_counted(rule: Rule, s: Script) -> Iterator[Problem]:
    kinds = rule.words("kinds")
    for k, phase in enumerate(s.timeline.phases):
        if phase.kind in kinds:
            marks = s.marks(k)
            if marks:
                yield Problem(
                    rule.id, marks[0][0].t, f"{phase.kind} counted: {_quoted(s.heard[k])}"
                )


def ticks_at_start(rule: Rule, s: Script) -> Iterator[Problem]:
    for k in range(len(s.timeline.phases)):
        first: Cue | None = None
        for cue, n in s.marks(k):
            if n is not None and first is None:
                first = cue
            elif n is None and first is not None and cue.t > first.t + EPS:
                yield Problem(rule.id, cue.t, f"a tick after {first.text!r}")
                break


def one_countdown(rule: Rule, s: Script) -> Iterator[Problem]:
    phases = s.timeline.phases
    begin = 0  # the first phase after the previous exercise's last rep
    last_reps = s.last_reps()
    for number, first in sorted(s.first_reps().items(), key=lambda item: item[1]):
        counts = [cue for k in range(begin, first) for cue in _count_starts(s.marks(k))]
        if len(counts) != 1:
            heard = " and ".join(f"{c.text or c.sound!r} at {c.t:.1f} s" for c in counts)
            yield Problem(
                rule.id,
                phases[first].t,
                f"exercise {number}: {len(counts)} countdowns before rep 1"
                + (f" ({heard})" if counts else ""),
            )
        begin = last_reps[number] + 1


def _count_starts(marks: Sequence[tuple[Cue, int | None]]) -> Iterator[Cue]:
    """Where each count of a phase starts: at its first mark, and again wherever a spoken
    number is not lower than the one before it."""
    previous: int | None = None
    for k, (cue, n) in enumerate(marks):
        if k == 0 or (n is not None and previous is not None and n >= previous):
            yield cue
        previous = n if n is not None else previous


# -- words -------------------------------------------------------------------------------------


def _flat(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def first_sentence(text: str) -> str:
    """``text`` up to its first full stop (question or exclamation mark)."""
    match = re.match(r"(.+?[.!?])(\s|$)", text.strip(), re.DOTALL)
    return sentence(match.group(1) if match else text)


def rest_previews(rule: Rule, s: Script) -> Iterator[Problem]:
    phases = s.timeline.phases
    for k, phase in enumerate(phases):
        if phase.kind != "rest":
            continue
        # the rest and what follows it up to the next exercise's first phase
        end = next((j for j in range(k + 1, len(phases)) if phases[j].exercise), None)
        ex = s.exercise(phases[end].exercise or 0) if end is not None else None
        if ex is None or end is None:
            continue
        said = " ".join(s.text(j) for j in range(k, end))
        how = ex.get_there or first_sentence(ex.position)
        wanted = (ex.name, expand_side(how, "right", s.phrases))
        missing = [w for w in wanted if _flat(w) not in _flat(said)]
        if missing:
            yield Problem(rule.id, phase.t, f"{said!r} does not say {missing[-1]!r}")


def _control_lines(s: Script) -> tuple[set[str], set[str]]:
    """The catalogue's lines on the keys, and on the media keys (each sentence on its own)."""
    controls = s.phrases.controls
    keys = {controls.keys_line, *controls.key_list}
    split = {_flat(part) for line in keys for part in re.split(r"(?<=[.!?])\s+", line)}
    return split, {_flat(controls.media_keys_line)}


def medium_controls(rule: Rule, s: Script) -> Iterator[Problem]:
    never = rule.pattern("never")
    key_words, media_words = rule.pattern("key_words"), rule.pattern("media_words")
    key_lines, media_lines = _control_lines(s)
    for cue in s.timeline.cues:
        if cue.kind != "speech" or cue.text is None:
            continue
        text, flat = cue.text, _flat(cue.text)
        lacks = ""
        if never.search(text):
            lacks = "never"
        elif not s.medium.keys and (key_words.search(text) or any(k in flat for k in key_lines)):
            lacks = "no keys"
        elif not s.medium.media_keys and (
            media_words.search(text) or any(m in flat for m in media_lines)
        ):
            lacks = "no media keys"
        if lacks:
            yield Problem(rule.id, cue.t, f"{text!r} ({s.medium.name}: {lacks})")


def get_up_line(rule: Rule, s: Script) -> Iterator[Problem]:
    words = rule.pattern("words")
    phases = s.timeline.phases
    if not phases:
        return
    last = len(phases) - 1
    outro = phases[last]
    if outro.kind != "outro" or not words.search(s.text(last)):
        yield Problem(rule.id, outro.t, f"the session ends with {s.text(last)!r}")


def _breath_words(s: Script) -> tuple[str, ...]:
    p = s.phrases
    return tuple(sorted({p.breathe_in, p.breathe_out, p.in_short, p.out_short}, key=len)[::-1])


def short_breath_lines(rule: Rule, s: Script) -> Iterator[Problem]:
    seconds, most = rule.number("seconds"), rule.number("words")
    kinds = rule.words("kinds")
    openers = _breath_words(s)
    seen: set[str] = set()
    for k, phase in enumerate(s.timeline.phases):
        if phase.kind not in kinds:
            continue
        for cue in s.heard[k]:
            text = cue.text
            if cue.kind != "speech" or text is None or text in seen:
                continue
            rest = next((text[len(o) :] for o in openers if text.startswith(o)), text)
            words = len(rest.split())
            if cue.dur > seconds or words > most:
                seen.add(text)  # once per line: the same line repeats every rep
                yield Problem(rule.id, cue.t, f"{text!r} ({words} words, {cue.dur:.1f} s)")


def first_never_stays(rule: Rule, s: Script) -> Iterator[Problem]:
    words = rule.pattern("words")
    first = min(s.first_reps().values(), default=len(s.timeline.phases))
    for k in range(first):
        for cue in s.heard[k]:
            if cue.text and words.search(cue.text):
                yield Problem(rule.id, cue.t, repr(cue.text))


def intro_needs(rule: Rule, s: Script) -> Iterator[Problem]:
    if s.routine is None:
        return
    intro = [k for k, phase in enumerate(s.timeline.phases) if phase.kind == "intro"]
    heard = _flat(" ".join(s.text(k) for k in intro))
    for item in s.routine.equipment:
        if _flat(item) not in heard:
            yield Problem(rule.id, 0.0, f"the intro does not say the routine needs {item!r}")


def cooldown_stated(rule: Rule, s: Script) -> Iterator[Problem]:
    routine = s.routine
    if routine is None or not is_builtin(routine):
        return
    if routine.cooldown_id is None:
        yield Problem(rule.id, 0.0, f"the built-in routine {routine.id} states no cooldown")


def is_builtin(routine: Routine) -> bool:
    """Whether ``routine`` was loaded from the built-in library."""
    path = routine.path
    return path is not None and path.resolve().parent == LIBRARY_DIR.resolve()
