"""Every word matcue itself speaks, per language.

The compiler never writes a sentence of its own: it takes each line from a ``Phrases``
catalogue and fills its ``{name}``-style fields. English is the reference catalogue; another
language is a dict of every text key (``TEXT_KEYS``) made into a ``Phrases`` by
:func:`translated`, with its own number words, ordinals and plural rule. A key the dict lacks
is listed in the catalogue's ``missing`` (and a test fails naming it); until it is translated
the English text stands in. The lines of the control keys (``Controls``) are one group, the
``"controls"`` entry of a language's dict (``CONTROL_KEYS``); a missing one is listed as
``controls.<key>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import TypeAlias

from matcue.routine.values import base_language
from matcue.timeline import czech, polish

_ONES = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def number_words(n: int) -> str:
    """English words for ``n``: 1 -> "one", 42 -> "forty-two", 115 -> "one hundred fifteen".

    Covers 0..999; larger numbers fall back to digits (the speech engine reads them).
    """
    if n < 0 or n > 999:
        return str(n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    head = f"{_ONES[hundreds]} hundred"
    return f"{head} {number_words(rest)}" if rest else head


def english_plural(n: int) -> int:
    """Index into a ``(singular, plural)`` pair of templates."""
    return 0 if n == 1 else 1


def sentence(text: str) -> str:
    """``text`` stripped, with a capital first letter and closing punctuation."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."


@dataclass(frozen=True)
class Controls:
    """What matcue says while the keys control a session (issue #4), in one group so that a
    catalogue can translate it as a unit. Fields in braces are filled by the methods below."""

    # the intro's line on the keys when they are active (replaces ``Phrases.keys``)
    keys_line: str
    # the intro's line on the media keys and headphone buttons (MPRIS) when they are active
    media_keys_line: str
    # the full key list, spoken by the question mark key, one short line per key
    key_list: tuple[str, ...]
    # confirmations
    resuming: str  # then the countdown, then the interrupted phase from its start
    pace_now: str  # {number}
    repeat_set: str
    quit: str  # said before the session ends on the quit key
    nothing_to_repeat: str
    # the pain stop: calm, short, one idea per line
    pain_stop: tuple[str, ...]
    # where am I: exercise, rep, side, time left
    where_intro: str
    where_outro: str
    where_rest: str
    where_exercise: str  # {number}, {name}
    where_rep: str  # {rep}, {reps}
    where_side: str  # {side}
    minutes_left: tuple[str, ...]  # plural forms, field {minutes}
    under_a_minute: str


ENGLISH_CONTROLS = Controls(
    keys_line="Space pauses, N skips, and X stops. Question mark lists the keys.",
    media_keys_line="Your headphone button pauses.",
    key_list=(
        "Space pauses and resumes.",
        "N skips to the next exercise.",
        "B goes back to the start of this one.",
        "R repeats the set.",
        "Plus and minus change the pace.",
        "S says where you are.",
        "Q stops and saves your place.",
        "X stops at once if it hurts.",
    ),
    resuming="Resuming.",
    pace_now="Pace {number}.",
    repeat_set="Again, this set.",
    quit="Stopping. Your place is saved.",
    nothing_to_repeat="Nothing to repeat yet.",
    pain_stop=(
        "Stop now.",
        "Rest in a position that feels comfortable.",
        "Breathe slowly.",
        "If the pain stays, seek medical advice.",
    ),
    where_intro="The introduction.",
    where_outro="The closing.",
    where_rest="Resting.",
    where_exercise="Exercise {number}, {name}.",
    where_rep="Rep {rep} of {reps}.",
    where_side="{side} side.",
    minutes_left=("About {minutes} minute left.", "About {minutes} minutes left."),
    under_a_minute="Less than a minute left.",
)


@dataclass(frozen=True)
class Phrases:
    """One language's catalogue. Fields in braces are filled by the methods below."""

    language: str
    number_words: Callable[[int], str]  # counting: "three, two, one"
    plural: Callable[[int], int]  # n -> index into a tuple of plural templates
    ordinal: Callable[[int], str]  # {ordinal} in rep_number (English: the cardinal)
    unit_words: Callable[[int], str]  # numbers before "minutes"/"seconds" (their gender)
    right: str
    left: str
    # chapters
    intro_chapter: str
    outro_chapter: str
    # intro
    minutes: tuple[str, ...]  # plural forms, field {minutes}
    keys: str
    # each exercise
    next_exercise: str  # {name}
    start_side: str  # {side}
    count: str  # {number}: countdown numbers
    rep_number: str  # {number}: said before a rep
    last_one: str
    begin: str
    side_cue: str  # {side}, said on every rep of an alternating exercise
    # steps: long form, then the short form used once the rhythm is set
    breathe_in: str
    breathe_out: str
    in_short: str
    out_short: str
    hold: str
    hold_for: str  # {seconds}: a hold said with its length (when holds are not counted)
    seconds: tuple[str, ...]  # plural forms, field {seconds}
    relax: str
    # between sides, sets and exercises
    switch_sides: str
    now_side: str  # {side}
    rest: str
    next_set: str  # {set}, {sets}
    coming_up: str  # {name}
    # closing
    outro: tuple[str, ...]
    # while the keys control a session (translated as one group: the ``controls`` entry of a
    # language's texts)
    controls: Controls = ENGLISH_CONTROLS
    missing: tuple[str, ...] = ()  # text keys this language has not translated yet

    def side_name(self, side: str) -> str:
        """``"right"``/``"left"`` -> the word in this language."""
        return self.right if side == "right" else self.left

    def about_minutes(self, minutes: int) -> str:
        template = self.minutes[min(self.plural(minutes), len(self.minutes) - 1)]
        return sentence(template.format(minutes=self.unit_words(minutes)))

    def duration(self, seconds: int) -> str:
        """``seconds`` with its unit, in the right plural form: "ten seconds"."""
        template = self.seconds[min(self.plural(seconds), len(self.seconds) - 1)]
        return template.format(seconds=self.unit_words(seconds))

    def hold_seconds(self, seconds: int) -> str:
        """A hold with its length: "Hold for ten seconds."."""
        return sentence(self.hold_for.format(seconds=self.duration(seconds)))

    def number(self, n: int) -> str:
        """A number said on its own: 4 -> "Four."."""
        return sentence(self.count.format(number=self.number_words(n)))

    def rep(self, n: int) -> str:
        """What is said before rep ``n`` (not the last one): 2 -> "Two."."""
        return sentence(
            self.rep_number.format(number=self.number_words(n), ordinal=self.ordinal(n))
        )

    def pace_line(self, percent: float) -> str:
        """The pace said after a pace key: 90 -> "Pace ninety."."""
        return sentence(self.controls.pace_now.format(number=self.number_words(round(percent))))

    def minutes_left(self, seconds: float) -> str:
        """Time left, said in whole minutes (rounded), or "less than a minute"."""
        if seconds < 60:
            return sentence(self.controls.under_a_minute)
        minutes = max(1, round(seconds / 60))
        forms = self.controls.minutes_left
        template = forms[min(self.plural(minutes), len(forms) - 1)]
        return sentence(template.format(minutes=self.unit_words(minutes)))

    def where_exercise(self, number: int, name: str) -> str:
        return sentence(
            self.controls.where_exercise.format(number=self.number_words(number), name=name)
        )

    def where_rep(self, rep: int, reps: int) -> str:
        return sentence(
            self.controls.where_rep.format(rep=self.number_words(rep), reps=self.number_words(reps))
        )

    def where_side(self, side: str) -> str:
        return sentence(self.controls.where_side.format(side=self.side_name(side)))

    def next_set_line(self, set_number: int, sets: int) -> str:
        return sentence(
            self.next_set.format(set=self.number_words(set_number), sets=self.number_words(sets))
        )


ENGLISH = Phrases(
    language="en",
    number_words=number_words,
    plural=english_plural,
    ordinal=number_words,
    unit_words=number_words,
    right="right",
    left="left",
    intro_chapter="Introduction",
    outro_chapter="Closing",
    minutes=("About {minutes} minute.", "About {minutes} minutes."),
    keys="Press Control C to stop.",
    next_exercise="Next: {name}.",
    start_side="Start with your {side} side.",
    count="{number}.",
    rep_number="Rep {number}.",
    last_one="Last one.",
    begin="Begin.",
    side_cue="{side}.",
    breathe_in="Breathe in.",
    breathe_out="Breathe out.",
    in_short="In.",
    out_short="Out.",
    hold="Hold.",
    hold_for="Hold for {seconds}.",
    seconds=("{seconds} second", "{seconds} seconds"),
    relax="Relax.",
    switch_sides="Switch sides.",
    now_side="Now your {side} side.",
    rest="Rest.",
    next_set="Next: set {set} of {sets}.",
    coming_up="Coming up: {name}.",
    outro=("That's the end of the session.", "Well done."),
)


TEXT_KEYS: tuple[str, ...] = tuple(
    f.name
    for f in fields(Phrases)
    if f.name not in ("language", "missing", "controls") and not callable(getattr(ENGLISH, f.name))
)
"""Every key a catalogue must translate (the English catalogue has them all), besides the
``controls`` group (``CONTROL_KEYS``)."""

CONTROL_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Controls))
"""Every key of the ``controls`` group; a missing one is listed as ``controls.<key>``."""

Texts: TypeAlias = Mapping[str, str | tuple[str, ...] | Mapping[str, str | tuple[str, ...]]]


def translated(
    language: str,
    texts: Texts,
    *,
    number_words: Callable[[int], str],
    plural: Callable[[int], int],
    ordinal: Callable[[int], str],
    unit_words: Callable[[int], str],
) -> Phrases:
    """A catalogue for ``language`` from its ``texts`` (one per ``TEXT_KEYS`` key, and under
    ``"controls"`` a mapping with one per ``CONTROL_KEYS`` key).

    Unknown keys are an error at once; a missing key keeps the English text and is recorded
    in ``missing`` (tests/test_languages.py fails naming it).
    """
    plain = {k: v for k, v in texts.items() if k != "controls"}
    group = texts.get("controls", {})
    if not isinstance(group, Mapping):
        raise ValueError(f"the {language} catalogue's controls must be a mapping of texts")
    unknown = sorted(set(plain) - set(TEXT_KEYS))
    unknown += sorted(f"controls.{k}" for k in set(group) - set(CONTROL_KEYS))
    if unknown:
        raise ValueError(f"the {language} catalogue has unknown keys: {', '.join(unknown)}")
    missing = tuple(k for k in TEXT_KEYS if k not in plain)
    missing += tuple(f"controls.{k}" for k in CONTROL_KEYS if k not in group)
    return replace(
        ENGLISH,
        language=language,
        number_words=number_words,
        plural=plural,
        ordinal=ordinal,
        unit_words=unit_words,
        controls=replace(ENGLISH_CONTROLS, **group),  # type: ignore[arg-type]
        missing=missing,
        **plain,  # type: ignore[arg-type]
    )


POLISH = translated(
    "pl",
    polish.POLISH_TEXTS,
    number_words=polish.polish_counting,
    plural=polish.polish_plural,
    ordinal=polish.polish_ordinal,
    unit_words=polish.polish_feminine,
)
CZECH = translated(
    "cs",
    czech.CZECH_TEXTS,
    number_words=czech.czech_number,
    plural=czech.czech_plural,
    ordinal=czech.czech_ordinal,
    unit_words=czech.czech_feminine,
)

CATALOGUES: dict[str, Phrases] = {"en": ENGLISH, "pl": POLISH, "cs": CZECH}


def phrases_for(language: str) -> Phrases:
    """The catalogue for ``language`` (``"en"``, ``"en-GB"`` ...), English if there is none."""
    return CATALOGUES.get(base_language(language), ENGLISH)
