"""Czech: number words, ordinals, the plural rule, and the texts of its phrase catalogue.

See :mod:`matcue.timeline.languages` for the grammar the numbers need.
"""

from __future__ import annotations

from matcue.timeline.languages import Texts

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


CZECH_TEXTS: Texts = {
    "right": "pravá",
    "left": "levá",
    "intro_chapter": "Úvod",
    "outro_chapter": "Závěr",
    "minutes": (
        "Cvičení trvá asi jednu minutu.",
        "Cvičení trvá asi {minutes} minuty.",
        "Cvičení trvá asi {minutes} minut.",
    ),
    "equipment": "Připravte si: {items}.",
    "and_word": "a",
    "next_exercise": "Další cvik: {name}.",
    "start_side": "Nejdřív {side} strana.",
    "count": "{number}.",
    "rep_number": "{ordinal} opakování.",
    "last_one": "Poslední opakování.",
    "begin": "Začínáme.",
    "more": "Ještě {number}.",
    "praise": ("Dobře.", "Výborně.", "Skvělá práce."),
    "side_cue": "{side}.",
    "breathe_in": "Nadechněte se.",
    "breathe_out": "Vydechněte.",
    "in_short": "Nádech.",
    "out_short": "Výdech.",
    "hold": "Vydržte.",
    "hold_for": "Vydržte, {seconds}.",
    "seconds": ("{seconds} sekunda", "{seconds} sekundy", "{seconds} sekund"),
    "relax": "Uvolněte se.",
    "halfway": "Polovina.",
    "ten_left": "Ještě deset sekund.",
    "keep_breathing": "Dýchejte dál.",
    "warmup_chapter": "Rozcvička: {name}",
    "cooldown_chapter": "Zklidnění: {name}",
    "warmup_start": "Nejdřív krátká rozcvička.",
    "main_start": "Teď hlavní cviky.",
    "cooldown_start": "Teď se pomalu zklidníme.",
    "eyes_open": "Ve stoje mějte oči otevřené.",
    "switch_sides": "Vyměňte strany.",
    "now_side": "Teď {side} strana.",
    "rest": "Pauza.",
    "next_set": "Série číslo {set}, celkem {sets}.",
    "coming_up": "Za chvíli: {name}.",
    "get_up_back": "Převalte se na bok a pak se rukama zvedněte.",
    "get_up_side": "Pomalu se zvedněte s oporou rukou.",
    "get_up_stomach": "Zvedněte se na ruce a kolena a pak pomalu vstaňte.",
    "get_up_all_fours": "Sedněte si na paty a pak pomalu vstaňte.",
    "get_up_kneeling": "Postavte jednu nohu dopředu a pomalu vstaňte.",
    "get_up_seated": "Vstaňte pomalu, bez spěchu.",
    "get_up_water": "Doplavte ke kraji a opatrně vylezte z vody.",
    "get_up_other": "Vstávejte pomalu, bez spěchu.",
    "outro": ("Tím cvičení končí.", "Výborně."),
    "controls": {
        "keys_line": "Mezerník pozastaví, N přeskočí a X zastaví. Otazník vyjmenuje klávesy.",
        "media_keys_line": "Tlačítko na sluchátkách pozastaví.",
        "key_list": (
            "Mezerník pozastaví a zase spustí.",
            "N přeskočí na další cvik.",
            "B se vrátí na začátek tohoto cviku.",
            "R zopakuje sérii.",
            "Plus a minus mění tempo.",
            "S řekne, kde právě jste.",
            "Q ukončí cvičení a uloží místo.",
            "X okamžitě zastaví, když něco bolí.",
        ),
        "resuming": "Pokračujeme.",
        "pace_now": "Tempo {number}.",
        "repeat_set": "Ještě jednou tato série.",
        "quit": "Končíme. Místo je uložené.",
        "nothing_to_repeat": "Zatím není co opakovat.",
        "pain_stop": (
            "Teď přestaňte.",
            "Odpočiňte si v pohodlné poloze.",
            "Dýchejte klidně.",
            "Pokud bolest neustupuje, vyhledejte lékaře.",
        ),
        "where_intro": "Jsme v úvodu.",
        "where_outro": "Jsme v závěru.",
        "where_rest": "Teď je pauza.",
        "where_exercise": "Cvik číslo {number}: {name}.",
        "where_rep": "Opakování číslo {rep}, celkem {reps}.",
        "where_side": "{side} strana.",
        "minutes_left": (
            "Zbývá asi jedna minuta.",
            "Zbývají asi {minutes} minuty.",
            "Zbývá asi {minutes} minut.",
        ),
        "under_a_minute": "Zbývá méně než minuta.",
    },
}
