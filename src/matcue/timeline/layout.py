"""One phase's cues, relative to its start: its tone, its lines, its timed lines and its count.

- The tone sounds at 0; the lines follow ``gap`` apart from ``gap`` on.
- A timed line (a long hold's "halfway", "ten seconds left", a reminder) is said at its time
  counted back from the phase's end, if it fits there without touching another line or the
  count; one that does not fit is left out (lines are placed by rank, the lowest first).
- The count puts one mark on each second boundary counted back from the end: ``count`` at
  ``count`` seconds before the end ... "one" at one second before. A count never skips a
  number: where numbers cannot fit their seconds (or would touch the lines before), the first
  marks become ticks and the numbers take over as soon as each one left fits, so the ticks
  are only ever at the start of a count.
- A phase that ends with a countdown into what follows (``reserve``) lasts long enough for
  its words *and* its count, so the numbers never fall under the words.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from matcue.timeline.model import CueKind
from matcue.timeline.reps import EPS, TimedLine
from matcue.timeline.sounds import SOUND_LENGTHS, SoundName

# A phase's cues relative to its start: (dt, rank 0 tone/1 speech, dur, kind, text, sound).
LayoutRow = tuple[float, int, float, CueKind, str | None, SoundName | None]


def lay_out(
    seconds: float | None,
    tone: SoundName | None,
    lines: tuple[str, ...],
    count: int,
    spoken: bool,
    timed: tuple[TimedLine, ...],
    reserve: bool,
    *,
    scale: Callable[[float], float],
    gap: float,
    measure: Callable[[str], float],
    number: Callable[[int], str],
) -> tuple[float, list[LayoutRow]]:
    """The length of a phase and its cues, unsorted (see the module's rules). ``seconds`` is
    None for a phase as long as its words."""
    rows: list[LayoutRow] = []
    if tone is not None:
        rows.append((0.0, 0, SOUND_LENGTHS[tone], "tone", None, tone))
    start = gap
    said: list[tuple[float, float]] = []  # the spoken intervals so far
    for text in lines:
        length = measure(text)
        rows.append((start, 1, length, "speech", text, None))
        said.append((start, start + length))
        start += length + gap
    need = start if lines else 0.0
    if seconds is None:
        dur = need
    else:
        dur = max(scale(seconds), need + (scale(count) if reserve else 0.0))
    count_start = dur - scale(count) if count else dur

    for before, text, _ in sorted(timed, key=lambda x: (x[2], -x[0])):  # by rank, earliest first
        at = dur - scale(before)
        length = measure(text)
        if at >= 0 and at + length + gap <= count_start + EPS and _free(said, at, length, gap):
            rows.append((at, 1, length, "speech", text, None))
            said.append((at, at + length))

    if count:
        rows += _count(dur, count, spoken, said, tone, scale, gap, measure, number)
    return dur, rows


def _free(said: list[tuple[float, float]], at: float, length: float, gap: float) -> bool:
    """Whether a line from ``at`` lasting ``length`` keeps ``gap`` from every line said."""
    return all(at >= b + gap - EPS or at + length + gap <= a + EPS for a, b in said)


def _count(
    dur: float,
    count: int,
    spoken: bool,
    said: list[tuple[float, float]],
    tone: SoundName | None,
    scale: Callable[[float], float],
    gap: float,
    measure: Callable[[str], float],
    number: Callable[[int], str],
) -> list[LayoutRow]:
    """The marks of a count of ``count`` ending at ``dur``: ticks first, then numbers."""
    second = scale(1)
    first = 0  # the highest number said: every one from it down to one fits its second
    if spoken:
        while first < count and measure(number(first + 1)) + gap <= second + EPS:
            first += 1
        last = max((b for _, b in said), default=-math.inf)  # the count follows every line
        while first and dur - scale(first) < last + gap - EPS:
            first -= 1
    rows: list[LayoutRow] = []
    for m in range(count, 0, -1):
        mark = dur - scale(m)
        if m <= first:
            word = number(m)
            rows.append((mark, 1, measure(word), "speech", word, None))
        elif not (tone == "tick" and abs(mark) <= EPS):  # the phase's own tick is this one
            rows.append((mark, 0, SOUND_LENGTHS["tick"], "tone", None, "tick"))
    return rows
