"""The checks of the session lint (:mod:`matcue.timeline.lint`), one function per rule.

Each check takes its ``Rule`` (for the bound values it names) and a ``Script`` (the compiled
session as it is heard: :mod:`matcue.timeline.lint_script`) and yields a ``Problem`` for each
place that breaks the rule. The rules themselves, in words, are in ``lint.RULES``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import fields
from itertools import pairwise

from matcue.routine.library import LIBRARY_DIR
from matcue.routine.model import Routine
from matcue.timeline.lint_script import EPS, Problem, Rule, Script
from matcue.timeline.model import Cue
from matcue.timeline.phrases import sentence
from matcue.timeline.reps import expand_side


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
        length = s.hold_length(k)
        if length is None or length > longest:
            continue
        second = s.second(phase)
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


def long_holds_counted(rule: Rule, s: Script) -> Iterator[Problem]:
    longest, last = rule.number("longest"), rule.number("last")
    for k in range(len(s.timeline.phases)):
        length = s.hold_length(k)
        if length is None or length <= longest:
            continue
        high = [cue for cue, n in s.marks(k) if n is not None and n > last]
        if high:
            yield Problem(rule.id, high[0].t, f"a long hold counts from {high[0].text!r}")


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


def switch_restates(rule: Rule, s: Script) -> Iterator[Problem]:
    for k, phase in enumerate(s.timeline.phases):
        ex = s.exercise(phase.exercise or 0) if phase.kind == "switch" else None
        if ex is None:
            continue
        side = phase.side or "left"  # the side it switches to
        wanted = [
            expand_side(first_sentence(text), side, s.phrases)
            for text in (ex.position, ex.get_there)
            if text
        ]
        if not any(_flat(w) in _flat(s.text(k)) for w in wanted):
            yield Problem(rule.id, phase.t, f"{s.text(k)!r} does not say {wanted[0]!r}")


def eyes_open(rule: Rule, s: Script) -> Iterator[Problem]:
    words, bases = rule.pattern("words"), rule.words("bases")
    advice = _flat(str(getattr(s.phrases, "eyes_open", "")))  # the catalogue's own line
    firsts, lasts = s.first_reps(), s.last_reps()
    before = None  # the base of the exercise before
    for number, first in sorted(firsts.items(), key=lambda item: item[1]):
        ex = s.exercise(number)
        base = ex.base if ex is not None else None
        if base in bases and before not in bases:
            begin = lasts.get(number - 1, -1) + 1
            said = " ".join(s.text(k) for k in range(begin, first))
            if not (words.search(said) or (advice and advice in _flat(said))):
                where = s.timeline.phases[first].t
                yield Problem(
                    rule.id,
                    where,
                    f"exercise {number} ({base}) without {' or '.join(rule.words('words'))!r}",
                )
        before = base


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
    phases = s.timeline.phases
    if not phases:
        return
    last = s.exercise(max((p.exercise or 0 for p in phases), default=0))
    base = (last.base if last is not None else None) or (s.routine.base if s.routine else None)
    if base in rule.words("up_already"):
        return
    catalogue = {
        _flat(str(getattr(s.phrases, f.name)))
        for f in fields(s.phrases)
        if f.name.startswith("get_up_")
    }
    words = rule.pattern("words")
    outro = len(phases) - 1
    said = s.text(outro)
    if phases[outro].kind != "outro" or not (
        words.search(said) or any(line in _flat(said) for line in catalogue)
    ):
        yield Problem(rule.id, phases[outro].t, f"the session ends with {said!r}")


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
        if s.timeline.phases[k].exercise is None:  # the intro: not the exercise's words
            continue
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
