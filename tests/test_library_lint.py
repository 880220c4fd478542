"""Every built-in routine passes the session lint (matcue.timeline.lint) at each of its paces,
in each medium: played with the keys, with the media keys, and exported.

The lines' lengths are espeak-ng's own (the voice the api speaks with, through the shared
speech cache), each distinct line spoken and measured once for the whole module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from matcue.routine.library import load_builtin_routines
from matcue.timeline import Pace, compile
from matcue.timeline.lint import MEDIA, PACES, Problem, lint

ROUTINES = {r.id: r for r in load_builtin_routines()}


@pytest.fixture(scope="module")
def speech_len(speech_cache: Path) -> Callable[[str], float]:
    from matcue.voice import Pyttsx3Voice, VoiceSettings

    voice = Pyttsx3Voice(VoiceSettings(), cache_dir=speech_cache)
    lengths: dict[str, float] = {}

    def length(text: str) -> float:
        if text not in lengths:
            lengths[text] = voice.clip(text).duration
        return lengths[text]

    return length


def first_of_each_rule(problems: list[Problem]) -> list[str]:
    """One problem per rule (the first), with how many there are in all."""
    firsts: dict[str, tuple[Problem, int]] = {}
    for p in problems:
        first, n = firsts.get(p.rule, (p, 0))
        firsts[p.rule] = (first, n + 1)
    return [f"{first} ({n} in all)" for first, n in firsts.values()]


@pytest.mark.parametrize("rid", sorted(ROUTINES))
def test_builtin_routine_passes_the_session_lint(
    rid: str, speech_len: Callable[[str], float]
) -> None:
    routine = ROUTINES[rid]
    found: dict[str, list[str]] = {}
    for percent in PACES:
        for medium in MEDIA:
            timeline = compile(
                routine,
                Pace(percent),
                speech_len,
                keys=medium.keys,
                media_keys=medium.media_keys,
            )
            problems = lint(timeline, routine, medium=medium)
            if problems:
                found[f"pace {percent:g}, {medium.name}"] = first_of_each_rule(problems)
    assert found == {}, f"{rid} breaks the session lint"
