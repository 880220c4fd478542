"""Polish: number words, ordinals, the plural rule, and the texts of its phrase catalogue.

See :mod:`matcue.timeline.languages` for the grammar the numbers need.
"""

from __future__ import annotations

from matcue.timeline.languages import Texts

# --------------------------------------------------------------------------- Polish

_PL_ONES = (
    "zero",
    "jeden",
    "dwa",
    "trzy",
    "cztery",
    "pięć",
    "sześć",
    "siedem",
    "osiem",
    "dziewięć",
    "dziesięć",
    "jedenaście",
    "dwanaście",
    "trzynaście",
    "czternaście",
    "piętnaście",
    "szesnaście",
    "siedemnaście",
    "osiemnaście",
    "dziewiętnaście",
)
_PL_TENS = (
    "",
    "",
    "dwadzieścia",
    "trzydzieści",
    "czterdzieści",
    "pięćdziesiąt",
    "sześćdziesiąt",
    "siedemdziesiąt",
    "osiemdziesiąt",
    "dziewięćdziesiąt",
)
_PL_HUNDREDS = (
    "",
    "sto",
    "dwieście",
    "trzysta",
    "czterysta",
    "pięćset",
    "sześćset",
    "siedemset",
    "osiemset",
    "dziewięćset",
)
_PL_ORDINAL_ONES = (
    "",
    "pierwsze",
    "drugie",
    "trzecie",
    "czwarte",
    "piąte",
    "szóste",
    "siódme",
    "ósme",
    "dziewiąte",
    "dziesiąte",
    "jedenaste",
    "dwunaste",
    "trzynaste",
    "czternaste",
    "piętnaste",
    "szesnaste",
    "siedemnaste",
    "osiemnaste",
    "dziewiętnaste",
)
_PL_ORDINAL_TENS = (
    "",
    "",
    "dwudzieste",
    "trzydzieste",
    "czterdzieste",
    "pięćdziesiąte",
    "sześćdziesiąte",
    "siedemdziesiąte",
    "osiemdziesiąte",
    "dziewięćdziesiąte",
)


def polish_number(n: int, *, feminine: bool = False) -> str:
    """Polish cardinal for 0..999 (digits beyond): 22 -> "dwadzieścia dwa".

    ``feminine`` gives the form before a feminine noun such as "sekunda" or "minuta":
    1 -> "jedna", 2 -> "dwie" (also as the last word: "dwadzieścia dwie"; a compound keeps
    "jeden": "dwadzieścia jeden sekund").
    """
    if n < 0 or n > 999:
        return str(n)
    if n == 0:
        return _PL_ONES[0]
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    words = [_PL_HUNDREDS[hundreds]] if hundreds else []
    if rest >= 20:
        words.append(_PL_TENS[tens])
        rest = ones
    if rest:
        word = _PL_ONES[rest]
        if feminine and rest == 2:
            word = "dwie"
        elif feminine and rest == 1 and n == 1:
            word = "jedna"
        words.append(word)
    return " ".join(words)


def polish_feminine(n: int) -> str:
    return polish_number(n, feminine=True)


def polish_counting(n: int) -> str:
    return polish_number(n)


def polish_plural(n: int) -> int:
    """0: one (1), 1: few (2-4, 22-24, ... but not 12-14), 2: many (the rest)."""
    if n == 1:
        return 0
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return 1
    return 2


def polish_ordinal(n: int) -> str:
    """Neuter ordinal (for "powtórzenie") for 1..100: 2 -> "drugie", 21 -> "dwudzieste
    pierwsze"; past 100, "numer N"."""
    if n == 100:
        return "setne"
    if not 1 <= n < 100:
        return f"numer {polish_number(n)}"
    if n < 20:
        return _PL_ORDINAL_ONES[n]
    tens, ones = divmod(n, 10)
    head = _PL_ORDINAL_TENS[tens]
    return f"{head} {_PL_ORDINAL_ONES[ones]}" if ones else head


POLISH_TEXTS: Texts = {
    "right": "prawa",
    "left": "lewa",
    "intro_chapter": "Wstęp",
    "outro_chapter": "Zakończenie",
    "minutes": (
        "Sesja trwa mniej więcej jedną minutę.",
        "Sesja trwa mniej więcej {minutes} minuty.",
        "Sesja trwa mniej więcej {minutes} minut.",
    ),
    "equipment": "Przygotuj sprzęt: {items}.",
    "and_word": "i",
    "next_exercise": "Następne ćwiczenie: {name}.",
    "start_side": "Najpierw {side} strona.",
    "count": "{number}.",
    "rep_number": "{ordinal} powtórzenie.",
    "last_one": "Ostatnie powtórzenie.",
    "begin": "Zaczynamy.",
    "more": "Jeszcze {number}.",
    "praise": ("Dobrze.", "Świetnie.", "Dobra robota."),
    "side_cue": "{side}.",
    "breathe_in": "Weź wdech.",
    "breathe_out": "Zrób wydech.",
    "in_short": "Wdech.",
    "out_short": "Wydech.",
    "hold": "Trzymaj.",
    "hold_for": "Trzymaj, {seconds}.",
    "seconds": ("{seconds} sekunda", "{seconds} sekundy", "{seconds} sekund"),
    "relax": "Rozluźnij się.",
    "halfway": "Połowa.",
    "ten_left": "Jeszcze dziesięć sekund.",
    "keep_breathing": "Oddychaj spokojnie.",
    "warmup_chapter": "Rozgrzewka: {name}",
    "cooldown_chapter": "Wyciszenie: {name}",
    "warmup_start": "Najpierw krótka rozgrzewka.",
    "main_start": "Teraz główne ćwiczenia.",
    "cooldown_start": "Teraz spokojne wyciszenie.",
    "eyes_open": "Na stojąco miej oczy otwarte.",
    "switch_sides": "Zmiana strony.",
    "now_side": "Teraz {side} strona.",
    "rest": "Przerwa.",
    "next_set": "Seria numer {set}, razem {sets}.",
    "coming_up": "Za chwilę: {name}.",
    "get_up_back": "Przetocz się na bok, potem wstań, podpierając się rękami.",
    "get_up_side": "Podnieś się powoli, podpierając się rękami.",
    "get_up_stomach": "Podnieś się na dłonie i kolana, potem powoli wstań.",
    "get_up_all_fours": "Usiądź na piętach, potem powoli wstań.",
    "get_up_kneeling": "Postaw jedną stopę przed sobą i powoli wstań.",
    "get_up_seated": "Wstań powoli, bez pośpiechu.",
    "get_up_water": "Podpłyń do brzegu i ostrożnie wyjdź z wody.",
    "get_up_other": "Wstawaj powoli, bez pośpiechu.",
    "outro": ("To koniec sesji.", "Dobra robota."),
    "controls": {
        "keys_line": (
            "Spacja to pauza, N to dalej, a X zatrzymuje. Znak zapytania podaje klawisze."
        ),
        "media_keys_line": "Przycisk na słuchawkach robi pauzę.",
        "key_list": (
            "Spacja zatrzymuje i wznawia.",
            "N przechodzi do następnego ćwiczenia.",
            "B wraca do początku tego ćwiczenia.",
            "R powtarza serię.",
            "Plus i minus zmieniają tempo.",
            "S mówi, gdzie jesteś.",
            "Q kończy i zapamiętuje miejsce.",
            "X zatrzymuje od razu, gdy coś boli.",
        ),
        "resuming": "Wznawiamy.",
        "pace_now": "Tempo {number}.",
        "repeat_set": "Jeszcze raz ta seria.",
        "quit": "Kończymy. Miejsce jest zapamiętane.",
        "nothing_to_repeat": "Na razie nie ma czego powtórzyć.",
        "pain_stop": (
            "Przerwij teraz.",
            "Odpocznij w wygodnej pozycji.",
            "Oddychaj spokojnie.",
            "Jeśli ból nie mija, skonsultuj się z lekarzem.",
        ),
        "where_intro": "Jesteśmy we wstępie.",
        "where_outro": "Jesteśmy na zakończeniu.",
        "where_rest": "Teraz przerwa.",
        "where_exercise": "Ćwiczenie numer {number}: {name}.",
        "where_rep": "Powtórzenie numer {rep}, razem {reps}.",
        "where_side": "{side} strona.",
        "minutes_left": (
            "Została mniej więcej jedna minuta.",
            "Zostały mniej więcej {minutes} minuty.",
            "Zostało mniej więcej {minutes} minut.",
        ),
        "under_a_minute": "Została mniej niż minuta.",
    },
}
