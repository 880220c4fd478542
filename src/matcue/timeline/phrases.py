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
from matcue.timeline.controls import ENGLISH_CONTROLS, Controls

__all__ = [
    "CATALOGUES",
    "CONTROL_KEYS",
    "ENGLISH",
    "ENGLISH_CONTROLS",
    "TEXT_KEYS",
    "Controls",
    "Phrases",
    "number_words",
    "phrases_for",
    "sentence",
    "translated",
]

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


def english_thing(item: str) -> str:
    """An equipment item with "a" or "an", unless it has a word of number already ("two
    towels", "some pillows") or reads as a plural or a mass ("pillows", "water")."""
    first = item.split(" ", 1)[0].lower()
    if first in _DETERMINERS or first.isdigit() or item.endswith("s") or item in _MASS:
        return item
    return ("an " if item[:1].lower() in "aeiou" else "a ") + item


_DETERMINERS = frozenset(
    {"a", "an", "the", "some", "two", "three", "four", "your", "one", "any", "no"}
)
_MASS = frozenset({"water", "space", "room"})


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
class Phrases:
    """One language's catalogue. Fields in braces are filled by the methods below."""

    language: str
    number_words: Callable[[int], str]  # counting: "three, two, one"
    plural: Callable[[int], int]  # n -> index into a tuple of plural templates
    ordinal: Callable[[int], str]  # {ordinal} in rep_number (English: the cardinal)
    unit_words: Callable[[int], str]  # numbers before "minutes"/"seconds" (their gender)
    thing: Callable[[str], str]  # an equipment item as the equipment line lists it
    right: str
    left: str
    # chapters
    intro_chapter: str
    outro_chapter: str
    # intro
    minutes: tuple[str, ...]  # plural forms, field {minutes}
    equipment: str  # {items}: what to have ready, "a mat and a chair"
    and_word: str  # joins the last two items of a list
    # each exercise
    next_exercise: str  # {name}
    start_side: str  # {side}
    count: str  # {number}: countdown numbers
    rep_number: str  # {number}: said before a rep
    last_one: str
    begin: str
    more: str  # {number}: said before one of the last reps, "Two more."
    praise: tuple[str, ...]  # a word of encouragement at a set's end, taken in turn
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
    # long holds: "halfway", "ten seconds left", and a reminder between them
    halfway: str
    ten_left: str
    keep_breathing: str
    # the arc: warm-up, main part, cool-down (chapter titles have {name})
    warmup_chapter: str
    cooldown_chapter: str
    warmup_start: str
    main_start: str
    cooldown_start: str
    eyes_open: str  # said once on moving to a standing position
    # between sides, sets and exercises
    switch_sides: str
    now_side: str  # {side}
    rest: str
    next_set: str  # {set}, {sets}
    coming_up: str  # {name}
    # closing: how to get up from the last exercise's base, then the closing lines
    get_up_back: str
    get_up_side: str
    get_up_stomach: str
    get_up_all_fours: str
    get_up_kneeling: str
    get_up_seated: str
    get_up_water: str
    get_up_other: str
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

    def equipment_line(self, items: tuple[str, ...]) -> str | None:
        """What to have ready: "You need a mat and a chair."; None without equipment."""
        things = [self.thing(i.strip()) for i in items if i.strip()]
        if not things:
            return None
        listed = things[0] if len(things) == 1 else ", ".join(things[:-1])
        if len(things) > 1:
            listed += f" {self.and_word} {things[-1]}"
        return sentence(self.equipment.format(items=listed))

    def more_line(self, n: int) -> str:
        """Before the third or second last rep: "Two more."."""
        return sentence(self.more.format(number=self.number_words(n)))

    def praise_line(self, turn: int) -> str:
        """The word of encouragement for ``turn`` (0, 1, 2 ...), the variants taken in turn."""
        return sentence(self.praise[turn % len(self.praise)])

    def get_up(self, key: str) -> str:
        """The get-up line of a ``get_up_*`` key (see ``bases.GET_UP_KEYS``)."""
        return sentence(str(getattr(self, key)))

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
    thing=english_thing,
    right="right",
    left="left",
    intro_chapter="Introduction",
    outro_chapter="Closing",
    minutes=("About {minutes} minute.", "About {minutes} minutes."),
    equipment="You need {items}.",
    and_word="and",
    next_exercise="Next: {name}.",
    start_side="Start with your {side} side.",
    count="{number}.",
    rep_number="Rep {number}.",
    last_one="Last one.",
    begin="Begin.",
    more="{number} more.",
    praise=("Well done.", "Good work.", "Nicely done."),
    side_cue="{side}.",
    breathe_in="Breathe in.",
    breathe_out="Breathe out.",
    in_short="In.",
    out_short="Out.",
    hold="Hold.",
    hold_for="Hold for {seconds}.",
    seconds=("{seconds} second", "{seconds} seconds"),
    relax="Relax.",
    halfway="Halfway.",
    ten_left="Ten seconds left.",
    keep_breathing="Keep breathing.",
    warmup_chapter="Warm-up: {name}",
    cooldown_chapter="Cool-down: {name}",
    warmup_start="First, a short warm-up.",
    main_start="Now the main exercises.",
    cooldown_start="Now a gentle cool-down.",
    eyes_open="Keep your eyes open while you stand.",
    switch_sides="Switch sides.",
    now_side="Now your {side} side.",
    rest="Rest.",
    next_set="Next: set {set} of {sets}.",
    coming_up="Coming up: {name}.",
    get_up_back="Roll onto your side, then push yourself up with your hands.",
    get_up_side="Push yourself up slowly with your hands.",
    get_up_stomach="Press up onto your hands and knees, then rise slowly.",
    get_up_all_fours="Sit back on your heels, then rise slowly.",
    get_up_kneeling="Step one foot forward, then rise slowly.",
    get_up_seated="Stand up slowly when you are ready.",
    get_up_water="Swim to the edge and climb out with care.",
    get_up_other="Take your time as you get up.",
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
    thing: Callable[[str], str] = str.strip,
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
        thing=thing,
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
