"""Phrase catalogues per language (issue #6): complete, grammatical numbers, spoken by a real
espeak-ng voice of that language, and a routine spoken wholly in its own language."""

from __future__ import annotations

import string
from collections.abc import Callable
from pathlib import Path

import pytest

from matcue.routine import load_routine
from matcue.timeline import Pace, compile, czech, polish
from matcue.timeline.phrases import (
    CATALOGUES,
    CONTROL_KEYS,
    ENGLISH,
    TEXT_KEYS,
    Phrases,
    phrases_for,
    sentence,
    translated,
)
from matcue.voice import Pyttsx3Voice, VoiceSettings, list_voices

GOLDEN = Path(__file__).parent / "golden"
LANGUAGES = sorted(CATALOGUES)


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def texts(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    assert isinstance(value, tuple), value
    return value


def test_english_polish_and_czech_are_there() -> None:
    assert {"en", "pl", "cs"} <= set(CATALOGUES)
    assert phrases_for("pl-PL") is CATALOGUES["pl"]
    assert phrases_for("cs") is CATALOGUES["cs"]


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_catalogue_covers_every_phrase_key(code: str) -> None:
    catalogue = CATALOGUES[code]
    assert catalogue.language == code
    assert catalogue.missing == (), (
        f"the {code} catalogue lacks {', '.join(catalogue.missing)}: add them to "
        f"matcue/timeline/{'polish' if code == 'pl' else 'czech'}.py"
    )


@pytest.mark.parametrize("code", LANGUAGES)
def test_translations_use_only_the_fields_english_fills(code: str) -> None:
    catalogue = CATALOGUES[code]
    for key in TEXT_KEYS:
        allowed = set().union(*(fields_of(t) for t in texts(getattr(ENGLISH, key))))
        if key == "rep_number":
            allowed |= {"number", "ordinal"}
        for template in texts(getattr(catalogue, key)):
            assert template.strip(), (code, key)
            assert fields_of(template) <= allowed, (code, key, template)


@pytest.mark.parametrize("code", LANGUAGES)
def test_control_lines_use_only_the_fields_english_fills(code: str) -> None:
    controls = CATALOGUES[code].controls
    for key in CONTROL_KEYS:
        english = texts(getattr(ENGLISH.controls, key))
        allowed = set().union(*(fields_of(t) for t in english))
        for template in texts(getattr(controls, key)):
            assert template.strip(), (code, key)
            assert fields_of(template) <= allowed, (code, key, template)
        if code != "en":
            assert texts(getattr(controls, key)) != english, (code, key)


def test_a_missing_control_line_is_named_too() -> None:
    group = {k: v for k, v in czech.CZECH_TEXTS["controls"].items() if k != "resuming"}  # type: ignore[union-attr]
    catalogue = translated(
        "cs",
        {**czech.CZECH_TEXTS, "controls": group},
        number_words=czech.czech_number,
        plural=czech.czech_plural,
        ordinal=czech.czech_ordinal,
        unit_words=czech.czech_feminine,
    )
    assert catalogue.missing == ("controls.resuming",)
    assert catalogue.controls.resuming == ENGLISH.controls.resuming
    with pytest.raises(ValueError, match=r"unknown keys: controls\.resumng"):
        translated(
            "cs",
            {**czech.CZECH_TEXTS, "controls": {**group, "resumng": "x"}},
            number_words=czech.czech_number,
            plural=czech.czech_plural,
            ordinal=czech.czech_ordinal,
            unit_words=czech.czech_feminine,
        )


@pytest.mark.parametrize(
    ("code", "line", "expected"),
    [
        ("pl", lambda w: w.pace_line(90), "Tempo dziewięćdziesiąt."),
        ("pl", lambda w: w.pace_line(125), "Tempo sto dwadzieścia pięć."),
        ("pl", lambda w: w.minutes_left(60), "Została mniej więcej jedna minuta."),
        ("pl", lambda w: w.minutes_left(120), "Zostały mniej więcej dwie minuty."),
        ("pl", lambda w: w.minutes_left(22 * 60), "Zostały mniej więcej dwadzieścia dwie minuty."),
        ("pl", lambda w: w.minutes_left(5 * 60), "Zostało mniej więcej pięć minut."),
        ("pl", lambda w: w.minutes_left(30), "Została mniej niż minuta."),
        ("pl", lambda w: w.where_rep(2, 5), "Powtórzenie numer dwa, razem pięć."),
        ("pl", lambda w: w.where_exercise(3, "Kot"), "Ćwiczenie numer trzy: Kot."),
        ("pl", lambda w: w.where_side("left"), "Lewa strona."),
        ("cs", lambda w: w.pace_line(80), "Tempo osmdesát."),
        ("cs", lambda w: w.minutes_left(60), "Zbývá asi jedna minuta."),
        ("cs", lambda w: w.minutes_left(3 * 60), "Zbývají asi tři minuty."),
        ("cs", lambda w: w.minutes_left(22 * 60), "Zbývá asi dvaadvacet minut."),
        ("cs", lambda w: w.where_rep(2, 5), "Opakování číslo dvě, celkem pět."),
        ("cs", lambda w: w.where_side("right"), "Pravá strana."),
        ("en", lambda w: w.pace_line(90), "Pace ninety."),
        ("en", lambda w: w.minutes_left(120), "About two minutes left."),
    ],
)
def test_control_lines_say_numbers_in_each_languages_grammar(
    code: str, line: Callable[[Phrases], str], expected: str
) -> None:
    assert line(CATALOGUES[code]) == expected


def test_a_missing_key_is_named_and_english_stands_in() -> None:
    partial = {k: v for k, v in polish.POLISH_TEXTS.items() if k != "relax"}
    catalogue = translated(
        "pl",
        partial,
        number_words=polish.polish_counting,
        plural=polish.polish_plural,
        ordinal=polish.polish_ordinal,
        unit_words=polish.polish_feminine,
    )
    assert catalogue.missing == ("relax",)
    assert catalogue.relax == ENGLISH.relax
    with pytest.raises(ValueError, match="unknown keys: rleax"):
        translated(
            "pl",
            {**partial, "rleax": "x"},
            number_words=polish.polish_counting,
            plural=polish.polish_plural,
            ordinal=polish.polish_ordinal,
            unit_words=polish.polish_feminine,
        )


@pytest.mark.parametrize(
    ("code", "n", "counted", "seconds", "rep"),
    [
        ("pl", 1, "Jeden.", "jedna sekunda", "Pierwsze powtórzenie."),
        ("pl", 2, "Dwa.", "dwie sekundy", "Drugie powtórzenie."),
        ("pl", 4, "Cztery.", "cztery sekundy", "Czwarte powtórzenie."),
        ("pl", 5, "Pięć.", "pięć sekund", "Piąte powtórzenie."),
        ("pl", 12, "Dwanaście.", "dwanaście sekund", "Dwunaste powtórzenie."),
        (
            "pl",
            21,
            "Dwadzieścia jeden.",
            "dwadzieścia jeden sekund",
            "Dwudzieste pierwsze powtórzenie.",
        ),
        (
            "pl",
            22,
            "Dwadzieścia dwa.",
            "dwadzieścia dwie sekundy",
            "Dwudzieste drugie powtórzenie.",
        ),
        ("pl", 25, "Dwadzieścia pięć.", "dwadzieścia pięć sekund", "Dwudzieste piąte powtórzenie."),
        ("pl", 100, "Sto.", "sto sekund", "Setne powtórzenie."),
        ("cs", 1, "Jedna.", "jedna sekunda", "První opakování."),
        ("cs", 2, "Dvě.", "dvě sekundy", "Druhé opakování."),
        ("cs", 4, "Čtyři.", "čtyři sekundy", "Čtvrté opakování."),
        ("cs", 5, "Pět.", "pět sekund", "Páté opakování."),
        ("cs", 12, "Dvanáct.", "dvanáct sekund", "Dvanácté opakování."),
        ("cs", 21, "Dvacet jedna.", "jedenadvacet sekund", "Dvacáté první opakování."),
        ("cs", 22, "Dvacet dva.", "dvaadvacet sekund", "Dvacáté druhé opakování."),
        ("cs", 30, "Třicet.", "třicet sekund", "Třicáté opakování."),
        ("cs", 100, "Sto.", "sto sekund", "Sté opakování."),
        ("en", 2, "Two.", "two seconds", "Rep two."),
        ("en", 1, "One.", "one second", "Rep one."),
    ],
)
def test_numbers_follow_each_languages_grammar(
    code: str, n: int, counted: str, seconds: str, rep: str
) -> None:
    words = CATALOGUES[code]
    assert words.number(n) == counted
    assert words.duration(n) == seconds
    assert words.rep(n) == rep


@pytest.mark.parametrize(
    ("code", "minutes", "line"),
    [
        ("pl", 1, "Sesja trwa mniej więcej jedną minutę."),
        ("pl", 3, "Sesja trwa mniej więcej trzy minuty."),
        ("pl", 13, "Sesja trwa mniej więcej trzynaście minut."),
        ("pl", 22, "Sesja trwa mniej więcej dwadzieścia dwie minuty."),
        ("cs", 1, "Cvičení trvá asi jednu minutu."),
        ("cs", 2, "Cvičení trvá asi dvě minuty."),
        ("cs", 25, "Cvičení trvá asi pětadvacet minut."),
    ],
)
def test_minutes_agree_with_their_number(code: str, minutes: int, line: str) -> None:
    assert CATALOGUES[code].about_minutes(minutes) == line


@pytest.mark.parametrize(
    ("code", "more", "equipment", "get_up"),
    [
        (
            "en",
            ("Three more.", "Two more."),
            "You need a mat, an exercise band and a chair.",
            "Roll onto your side, then push yourself up with your hands.",
        ),
        (
            "pl",
            ("Jeszcze trzy.", "Jeszcze dwa."),  # powtórzenia: "dwa", never "dwie"
            "Przygotuj sprzęt: mata, exercise band i chair.",
            "Przetocz się na bok, potem wstań, podpierając się rękami.",
        ),
        (
            "cs",
            ("Ještě tři.", "Ještě dvě."),  # opakování: "dvě"
            "Připravte si: mata, exercise band a chair.",
            "Převalte se na bok a pak se rukama zvedněte.",
        ),
    ],
)
def test_the_lines_of_the_session_arc_in_each_language(
    code: str, more: tuple[str, str], equipment: str, get_up: str
) -> None:
    words = CATALOGUES[code]
    assert (words.more_line(3), words.more_line(2)) == more
    items = (
        ("mata", "exercise band", "chair") if code != "en" else ("mat", "exercise band", "chair")
    )
    assert words.equipment_line(items) == equipment
    assert words.equipment_line(()) is None
    assert words.get_up("get_up_back") == get_up
    assert len({words.praise_line(n) for n in range(3)}) == 3  # three words of praise in turn


def catalogue_lines(code: str) -> list[str]:
    words = CATALOGUES[code]
    return [
        words.breathe_in,
        words.hold_seconds(3),
        words.about_minutes(22),
        words.rep(2),
        words.number(3),
        words.next_set_line(2, 3),
        words.more_line(2),
        words.ten_left,
        words.get_up("get_up_back"),
    ]


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_catalogue_is_spoken_by_an_espeak_voice_of_its_language(
    code: str, tmp_path: Path
) -> None:
    voice = Pyttsx3Voice(VoiceSettings(language=code), cache_dir=tmp_path)
    info = next(v for v in list_voices() if v.id == voice.voice_id)
    assert any(x.lower() == code or x.lower().startswith(f"{code}-") for x in info.languages), info
    for line in catalogue_lines(code):
        clip = voice.clip(line)
        assert clip.frames > 0 and clip.duration > 0.2, line


@pytest.mark.parametrize(("source", "code"), [("polish.yaml", "pl"), ("czech.yaml", "cs")])
def test_a_routine_is_spoken_wholly_in_its_language(source: str, code: str) -> None:
    routine = load_routine(GOLDEN / source)
    timeline = compile(routine, Pace(), lambda line: 0.05 * len(line), keys=True)
    assert timeline.language == code
    english = {
        v
        for key in TEXT_KEYS
        for v in texts(getattr(ENGLISH, key))
        if not fields_of(v) and v not in ("Control C",)
    }
    spoken = {c.text for c in timeline.cues if c.text}
    assert not spoken & english
    words = CATALOGUES[code]
    assert words.intro_chapter in [c.title for c in timeline.chapters]
    assert sentence(words.controls.keys_line) in spoken
