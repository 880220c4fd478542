"""Polish and Czech: number words, ordinals, plural rules and the texts of their catalogues.

Written for the ear, in the grammar the numbers need:

- counting ("trzy, dwa, jeden"; "tři, dvě, jedna") uses the plain cardinal;
- minutes and seconds are feminine in both languages: Polish "jedna sekunda, dwie sekundy,
  pięć sekund, dwadzieścia dwie sekundy"; Czech "jedna sekunda, dvě sekundy, pět sekund",
  and from twenty-one on the inverted form, which always takes the genitive plural
  ("dvaadvacet sekund");
- reps are said with a neuter ordinal: "Drugie powtórzenie.", "Druhé opakování.".

``phrases.py`` turns each ``*_TEXTS`` dict into a ``Phrases`` catalogue; every key of the
English catalogue must be here (a test names any that is missing).
"""

from __future__ import annotations

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


POLISH_TEXTS: dict[str, str | tuple[str, ...]] = {
    "right": "prawa",
    "left": "lewa",
    "intro_chapter": "Wstęp",
    "outro_chapter": "Zakończenie",
    "minutes": (
        "Sesja trwa mniej więcej jedną minutę.",
        "Sesja trwa mniej więcej {minutes} minuty.",
        "Sesja trwa mniej więcej {minutes} minut.",
    ),
    "keys": "Aby przerwać, naciśnij Control C.",
    "next_exercise": "Następne ćwiczenie: {name}.",
    "start_side": "Najpierw {side} strona.",
    "count": "{number}.",
    "rep_number": "{ordinal} powtórzenie.",
    "last_one": "Ostatnie powtórzenie.",
    "begin": "Zaczynamy.",
    "side_cue": "{side}.",
    "breathe_in": "Weź wdech.",
    "breathe_out": "Zrób wydech.",
    "in_short": "Wdech.",
    "out_short": "Wydech.",
    "hold": "Trzymaj.",
    "hold_for": "Trzymaj, {seconds}.",
    "seconds": ("{seconds} sekunda", "{seconds} sekundy", "{seconds} sekund"),
    "relax": "Rozluźnij się.",
    "switch_sides": "Zmiana strony.",
    "now_side": "Teraz {side} strona.",
    "rest": "Przerwa.",
    "next_set": "Seria numer {set}, razem {sets}.",
    "coming_up": "Za chwilę: {name}.",
    "outro": ("To koniec sesji.", "Dobra robota."),
}


# --------------------------------------------------------------------------- Czech

_CS_ONES = (
    "nula",
    "jedna",
    "dvě",
    "tři",
    "čtyři",
    "pět",
    "šest",
    "sedm",
    "osm",
    "devět",
    "deset",
    "jedenáct",
    "dvanáct",
    "třináct",
    "čtrnáct",
    "patnáct",
    "šestnáct",
    "sedmnáct",
    "osmnáct",
    "devatenáct",
)
_CS_TENS = (
    "",
    "",
    "dvacet",
    "třicet",
    "čtyřicet",
    "padesát",
    "šedesát",
    "sedmdesát",
    "osmdesát",
    "devadesát",
)
_CS_HUNDREDS = (
    "",
    "sto",
    "dvě stě",
    "tři sta",
    "čtyři sta",
    "pět set",
    "šest set",
    "sedm set",
    "osm set",
    "devět set",
)
# "jedenadvacet", "dvaadvacet", ...: the units of the inverted form
_CS_INVERTED_UNITS = ("", "jeden", "dva", "tři", "čtyři", "pět", "šest", "sedm", "osm", "devět")
_CS_ORDINAL_ONES = (
    "",
    "první",
    "druhé",
    "třetí",
    "čtvrté",
    "páté",
    "šesté",
    "sedmé",
    "osmé",
    "deváté",
    "desáté",
    "jedenácté",
    "dvanácté",
    "třinácté",
    "čtrnácté",
    "patnácté",
    "šestnácté",
    "sedmnácté",
    "osmnácté",
    "devatenácté",
)
_CS_ORDINAL_TENS = (
    "",
    "",
    "dvacáté",
    "třicáté",
    "čtyřicáté",
    "padesáté",
    "šedesáté",
    "sedmdesáté",
    "osmdesáté",
    "devadesáté",
)


def czech_number(n: int) -> str:
    """Czech cardinal for counting, 0..999 (digits beyond): 3 -> "tři", 22 -> "dvacet dva"."""
    if n < 0 or n > 999:
        return str(n)
    if n < 20:
        return _CS_ONES[n]
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    words = [_CS_HUNDREDS[hundreds]] if hundreds else []
    if rest >= 20:
        words.append(_CS_TENS[tens])
        if ones:
            words.append(_CS_INVERTED_UNITS[ones] if ones > 2 else ("jedna", "dva")[ones - 1])
    elif rest:
        words.append(_CS_ONES[rest])
    return " ".join(words)


def czech_feminine(n: int) -> str:
    """Czech number before "minuta"/"sekunda": 1 "jedna", 2 "dvě", and from 21 on the
    inverted form ("dvaadvacet"), which always takes the genitive plural."""
    if not 0 <= n <= 999:
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    if rest >= 21 and ones:
        inverted = f"{_CS_INVERTED_UNITS[ones]}a{_CS_TENS[tens]}"
        return f"{_CS_HUNDREDS[hundreds]} {inverted}" if hundreds else inverted
    return czech_number(n)


def czech_plural(n: int) -> int:
    """0: one (1), 1: few (2-4), 2: other."""
    if n == 1:
        return 0
    if 2 <= n <= 4:
        return 1
    return 2


def czech_ordinal(n: int) -> str:
    """Neuter ordinal (for "opakování") for 1..100: 2 -> "druhé", 21 -> "dvacáté první"."""
    if n == 100:
        return "sté"
    if not 1 <= n < 100:
        return f"číslo {czech_number(n)}"
    if n < 20:
        return _CS_ORDINAL_ONES[n]
    tens, ones = divmod(n, 10)
    head = _CS_ORDINAL_TENS[tens]
    return f"{head} {_CS_ORDINAL_ONES[ones]}" if ones else head


CZECH_TEXTS: dict[str, str | tuple[str, ...]] = {
    "right": "pravá",
    "left": "levá",
    "intro_chapter": "Úvod",
    "outro_chapter": "Závěr",
    "minutes": (
        "Cvičení trvá asi jednu minutu.",
        "Cvičení trvá asi {minutes} minuty.",
        "Cvičení trvá asi {minutes} minut.",
    ),
    "keys": "Pro ukončení stiskněte Control C.",
    "next_exercise": "Další cvik: {name}.",
    "start_side": "Nejdřív {side} strana.",
    "count": "{number}.",
    "rep_number": "{ordinal} opakování.",
    "last_one": "Poslední opakování.",
    "begin": "Začínáme.",
    "side_cue": "{side}.",
    "breathe_in": "Nadechněte se.",
    "breathe_out": "Vydechněte.",
    "in_short": "Nádech.",
    "out_short": "Výdech.",
    "hold": "Vydržte.",
    "hold_for": "Vydržte, {seconds}.",
    "seconds": ("{seconds} sekunda", "{seconds} sekundy", "{seconds} sekund"),
    "relax": "Uvolněte se.",
    "switch_sides": "Vyměňte strany.",
    "now_side": "Teď {side} strana.",
    "rest": "Pauza.",
    "next_set": "Série číslo {set}, celkem {sets}.",
    "coming_up": "Za chvíli: {name}.",
    "outro": ("Tím cvičení končí.", "Výborně."),
}
