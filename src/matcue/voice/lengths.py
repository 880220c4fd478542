"""How long a spoken line may plausibly be, and the silence trimmed off its edges.

A rendering outside :func:`plausible_duration`'s range is empty, cut short, or holds some
other line, and is made again. The range is generous for everything espeak-ng speaks that is
not an ordinary word: a digit is read as a word ("120" is "one hundred and twenty"), a symbol
or emoji by its name ("🙏" is "folded hands"), and a very long word, which espeak-ng cannot
pronounce, letter by letter.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import numpy.typing as npt

__all__ = ["KEEP_LEAD", "KEEP_TAIL", "SILENCE_FRACTION", "plausible_duration", "trim_silence"]

# Trimming: samples quieter than this fraction of the clip's peak count as silence at the
# edges; this much of the edge is kept so consonant onsets and releases are not clipped off.
SILENCE_FRACTION = 0.01
KEEP_LEAD = 0.010
KEEP_TAIL = 0.020

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_DIGIT = re.compile(r"\d")

LONG_WORD = 10
"""A word of more letters than this may be spelled out (espeak-ng cannot pronounce it)..."""
LETTERS_PER_WORD = 3
"""...so for the maximum it counts one word per this many letters (a spelled letter takes about
0.6 of a word's time)."""
WORDS_PER_SYMBOL = 5
"""A symbol or emoji counts as this many words for the maximum (its spoken name: "person in
lotus position"); each code point of a sequence counts, so a skin tone or a joiner only adds
room."""


def _symbols(text: str) -> int:
    """Code points that are neither letters, digits, punctuation nor spaces: emoji, symbols,
    and the joiners and selectors inside emoji sequences."""
    return sum(1 for ch in text if unicodedata.category(ch)[0] in "SC" and not ch.isspace())


def plausible_duration(text: str, rate: int) -> tuple[float, float]:
    """Generous (min, max) seconds for ``text`` spoken at ``rate`` words per minute.

    A rendering outside this range is empty, cut short, or holds some other line. For the
    maximum, numbers count a word per digit, a word longer than ``LONG_WORD`` letters a word per
    ``LETTERS_PER_WORD`` letters, and a symbol or emoji ``WORDS_PER_SYMBOL`` words.
    """
    words = _WORD.findall(text)
    digits = len(_DIGIT.findall(text))
    spoken = sum(1.0 if len(w) <= LONG_WORD else len(w) / LETTERS_PER_WORD for w in words)
    per_word = 60.0 / rate
    low = 0.2 * len(words) * per_word
    high = 4.0 * max(1.0, spoken + digits + WORDS_PER_SYMBOL * _symbols(text)) * per_word + 1.0
    return low, high


def trim_silence(samples: npt.NDArray[np.float32], rate: int) -> npt.NDArray[np.float32]:
    """``samples`` without leading/trailing silence, keeping a few ms at each edge."""
    if samples.size == 0:
        return samples
    level = np.abs(samples)
    peak = float(level.max())
    keep_lead = round(KEEP_LEAD * rate)
    keep_tail = round(KEEP_TAIL * rate)
    if peak <= 1e-4:  # nothing audible at all
        return np.zeros(min(samples.size, keep_lead + keep_tail), dtype=np.float32)
    loud = np.flatnonzero(level > max(1e-4, SILENCE_FRACTION * peak))
    start = max(0, int(loud[0]) - keep_lead)
    stop = min(samples.size, int(loud[-1]) + 1 + keep_tail)
    return samples[start:stop]
