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
from matcue.timeline.lint import MEDIA, PACES, lint

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


def report(rid: str, found: dict[tuple[str, str], list[str]]) -> str:
    """Each distinct problem once, with where (pace, medium) it was found."""
    lines = [f"{rid} breaks the session lint ({len(found)} distinct problems):"]
    for (rule, text), where in sorted(found.items()):
        lines.append(
            f"  {rule}: {text}  [{'; '.join(where[:3])}{' ...' if len(where) > 3 else ''}]"
        )
    return "\n".join(lines[:40])


@pytest.mark.parametrize("rid", sorted(ROUTINES))
def test_builtin_routine_passes_the_session_lint(
    rid: str, speech_len: Callable[[str], float]
) -> None:
    routine = ROUTINES[rid]
    found: dict[tuple[str, str], list[str]] = {}
    for percent in PACES:
        for medium in MEDIA:
            timeline = compile(
                routine,
                Pace(percent),
                speech_len,
                keys=medium.keys,
                media_keys=medium.media_keys,
            )
            for problem in lint(timeline, routine, medium=medium):
                where = found.setdefault((problem.rule, problem.text), [])
                where.append(f"pace {percent:g}, {medium.name}, at {problem.t:.1f} s")
    if found:
        pytest.fail(report(rid, found), pytrace=False)


def test_the_lint_reads_a_real_session(speech_len: Callable[[str], float]) -> None:
    """A session heard in the wrong medium, or with its rests cut, breaks the rules."""
    routine = ROUTINES["lumbar-strengthen"]
    played, _, exported = MEDIA
    with_keys = compile(routine, Pace(), speech_len, keys=True)
    assert {p.rule for p in lint(with_keys, routine, medium=played)} <= {"long-breath-line"}
    assert "wrong-controls" in {p.rule for p in lint(with_keys, routine, medium=exported)}
    # the same session told it is another routine's: its previews name the wrong positions
    other = ROUTINES["lumbar-stretch"]
    assert "rest-preview" in {p.rule for p in lint(with_keys, routine, exercises=other.played)}
