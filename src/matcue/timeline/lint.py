"""The session lint: what a calm teacher never does, checked on a compiled session.

DESIGN §3 describes the lesson; these rules are the part of it a program can check. Each rule
is a record below (its id, the rule in one sentence, the values it is bound by, its check in
:mod:`matcue.timeline.lint_checks`); :func:`lint` runs them all over a ``Timeline`` and returns
every place that breaks one, as ``Problem(rule, t, text)``. The tests run it over every
built-in routine at each pace of ``PACES``, in each medium of ``MEDIA``.
"""

from __future__ import annotations

from collections.abc import Sequence

from matcue.routine.model import Exercise, Routine
from matcue.timeline import lint_checks as check
from matcue.timeline.lint_script import Medium, Problem, Rule, Script
from matcue.timeline.model import Timeline
from matcue.timeline.phrases import Phrases, phrases_for

__all__ = ["MEDIA", "PACES", "RULES", "Medium", "Problem", "Rule", "lint"]

PACES: tuple[float, ...] = (50.0, 100.0, 200.0)
"""The paces (percent) every built-in routine is linted at."""

MEDIA: tuple[Medium, ...] = (
    Medium("played with keys", keys=True, media_keys=False),
    Medium("played with media keys", keys=True, media_keys=True),
    Medium("exported", keys=False, media_keys=False),
)
"""The ways a session reaches the listener; each names only the controls it has."""

RULES: tuple[Rule, ...] = (
    Rule(
        "count-skips",
        "A count never skips a number: its spoken numbers go down one at a time, to one.",
        check.skipped_numbers,
    ),
    Rule(
        "short-hold-count",
        "A hold of up to `longest` seconds is counted in full, from its length down to one; "
        "only when a second lasts less than `tick_slot` seconds at this pace may its first "
        "numbers be ticks.",
        check.short_holds_counted,
        {"longest": 10, "tick_slot": 0.75},
    ),
    Rule(
        "long-hold-count",
        "A hold longer than `longest` seconds counts only its `last` seconds aloud.",
        check.long_holds_counted,
        {"longest": 10, "last": 5},
    ),
    Rule(
        "relax-counted",
        "Relax and breath phases (`kinds`) are never counted: no number, no tick.",
        check.relax_not_counted,
        {"kinds": ("relax", "inhale", "exhale")},
    ),
    Rule(
        "tick-mid-count",
        "A tick stands in for a number only at the start of a count, never after a spoken one.",
        check.ticks_at_start,
    ),
    Rule(
        "countdowns",
        "Exactly one countdown leads into the first rep of each exercise.",
        check.one_countdown,
    ),
    Rule(
        "rest-preview",
        "Every rest before an exercise says its name and how to get there (its `get_there`, "
        "else the first sentence of its position).",
        check.rest_previews,
    ),
    Rule(
        "switch-silent",
        "Every switch of sides restates the position for the new side (the first sentence of "
        "its position or its get_there, with the new side).",
        check.switch_restates,
    ),
    Rule(
        "wrong-controls",
        "No line names a control the medium lacks: `never` in none, `key_words` only when "
        "the keys work, `media_words` only with the media keys.",
        check.medium_controls,
        {
            "never": ("control c", "ctrl", "control-c"),
            "key_words": ("key", "keys", "space bar", "spacebar", "question mark", "keyboard"),
            "media_words": ("headphone", "headphones", "media key", "media keys", "earbuds"),
        },
    ),
    Rule(
        "no-get-up",
        "Every session ends with a line on getting up safely (a `get_up_*` line of its "
        "catalogue, or one with any of `words`), unless it ends in a base of `up_already`.",
        check.get_up_line,
        {
            "words": (
                "get up",
                "stand up",
                "sit up",
                "push yourself up",
                "come up",
                "come back up",
                "roll onto your side",
                "out of the water",
                "out of the pool",
                "before you walk",
                "walk on",
                "stand still",
            ),
            "up_already": ("standing",),
        },
    ),
    Rule(
        "long-breath-line",
        "No line of a breath phase (`kinds`) lasts over `seconds` seconds or has over `words` "
        "words after its breath word.",
        check.short_breath_lines,
        {"seconds": 6.5, "words": 10, "kinds": ("inhale", "exhale")},
    ),
    Rule(
        "first-stay",
        "The first exercise never says `words` before its first rep: the listener has not "
        "got down yet.",
        check.first_never_stays,
        {"words": ("stay",)},
    ),
    Rule(
        "eyes-closed",
        "Moving into an exercise done in one of `bases`, the listener hears `words` (or the "
        "catalogue's eyes-open line).",
        check.eyes_open,
        {"bases": ("standing",), "words": ("eyes open",)},
    ),
    Rule(
        "intro-needs",
        "The intro names everything the routine needs (each item of its equipment).",
        check.intro_needs,
    ),
    Rule(
        "no-cooldown",
        "Every built-in routine states `cooldown:` (a routine id, or none).",
        check.cooldown_stated,
    ),
)
"""The rules, in the order their problems are listed."""


def lint(
    timeline: Timeline,
    routine: Routine | None = None,
    *,
    medium: Medium = MEDIA[-1],
    phrases: Phrases | None = None,
    exercises: Sequence[Exercise] | None = None,
    rules: Sequence[Rule] = RULES,
) -> list[Problem]:
    """Every place where the session ``timeline`` breaks one of ``rules``.

    ``routine`` is the routine it was compiled from (for the rules on the routine itself and
    on each exercise's position); ``medium`` how it is heard (compiled with the keys, the media
    keys, or for a file); ``phrases`` the catalogue it was compiled with (by default its
    language's); ``exercises`` the session's exercises in order (by default those
    ``routine`` plays: its warm-up's, its own, its cool-down's)."""
    if exercises is None:
        exercises = routine.played if routine is not None else ()
    script = Script(
        timeline,
        phrases or phrases_for(timeline.language),
        medium,
        routine,
        tuple(exercises),
    )
    return [problem for rule in rules for problem in rule.check(rule, script)]
