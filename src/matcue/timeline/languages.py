"""Polish and Czech (``polish.py``, ``czech.py``): number words, ordinals, plural rules and the
texts of their catalogues.

Written for the ear, in the grammar the numbers need:

- counting ("trzy, dwa, jeden"; "tři, dvě, jedna") uses the plain cardinal;
- minutes and seconds are feminine in both languages: Polish "jedna sekunda, dwie sekundy,
  pięć sekund, dwadzieścia dwie sekundy"; Czech "jedna sekunda, dvě sekundy, pět sekund",
  and from twenty-one on the inverted form, which always takes the genitive plural
  ("dvaadvacet sekund");
- reps are said with a neuter ordinal: "Drugie powtórzenie.", "Druhé opakování.";
- the lines of the control keys (issue #4, the ``controls`` group) name places with the
  plain cardinal after "numer"/"číslo" ("Ćwiczenie numer dwa", "Cvik číslo dvě"), and time
  left agrees with its number like the session length does ("Zostały mniej więcej dwie
  minuty", "Zbývá asi dvaadvacet minut").

``phrases.py`` turns each ``*_TEXTS`` dict into a ``Phrases`` catalogue; every key of the
English catalogue must be here (a test names any that is missing).
"""

from __future__ import annotations

Text = str | tuple[str, ...]
Texts = dict[str, Text | dict[str, Text]]
