"""How long a line will take to say, estimated from its text, before any speech is made.

``matcue list`` shows every routine's length without speaking a line: it compiles each routine
with these estimates instead of real clip lengths. The model was fitted to espeak-ng's lines of
the whole built-in library at 150 words per minute (1,000-odd distinct lines): about 57 ms a
character, 0.24 s a sentence (the pause after it) and 85 ms a line. A routine's length
estimated this way was within 0.9 % of the real one on average, 4.9 % at worst; `matcue plan`
gives the exact length.
"""

from __future__ import annotations

import re
from collections.abc import Callable

RATE = 150  # words per minute the model was fitted at
PER_CHARACTER = 0.057  # seconds
PER_SENTENCE = 0.24
PER_LINE = 0.085
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def estimated_length(text: str, rate: int = RATE) -> float:
    """Seconds to say ``text`` at ``rate`` words per minute (pauses stay as they are).

    "Breathe in." is 11 characters and 1 sentence: 11 × 0.057 + 0.24 + 0.085 = 0.952 s.
    """
    sentences = max(1, len(_SENTENCE_END.findall(text.strip())))
    return len(text.strip()) * PER_CHARACTER * RATE / rate + sentences * PER_SENTENCE + PER_LINE


def speech_estimate(rate: int = RATE) -> Callable[[str], float]:
    """``estimated_length`` at ``rate``, in the shape the compiler takes (``speech_len``)."""
    return lambda text: estimated_length(text, rate)
