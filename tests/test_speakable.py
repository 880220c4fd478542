"""Whatever ``validate`` accepts can be spoken (issue #19): emoji, symbols and very long words
pass validation, and espeak-ng's rendering of them passes the plausibility check, so ``plan``
and ``export`` speak them (emoji by name, an unpronounceable word letter by letter). No option
carries spoken text: the routine file is the only way in."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcue.voice import Pyttsx3Voice, VoiceSettings, plausible_duration
from test_cli import matcue

ODD_LINES = [
    "🧘 Yoga 🙏.",
    "🧘🙏",
    "🧘\u200d♀️🙏🏽 ★ ✓ ← ∑",
    "Pneumonoultramicroscopicsilicovolcanoconiosis.",
    "Xqzkwrtplmnb" * 8,
]

ROUTINE = """\
matcue: 1
title: 🧘 Yoga 🙏.
defaults:
  get_ready: 2
  rest: 0
exercises:
  - name: 🧘🙏
    position: Pneumonoultramicroscopicsilicovolcanoconiosis.
    reps: 1
    steps:
      - inhale: {long}
      - exhale: 🧘‍♀️🙏🏽 ★ ✓ ← ∑
"""


def test_ordinary_words_keep_their_bound() -> None:
    # 3 words at 150 wpm: 0.4 s a word; max = 4 x 3 x 0.4 + 1 = 5.8 s, min = 0.2 x 3 x 0.4
    low, high = plausible_duration("Breathe in slowly.", 150)
    assert low == pytest.approx(0.24)
    assert high == pytest.approx(5.8)


def test_symbols_and_long_words_widen_the_bound() -> None:
    # "Yoga" and two emoji of 5 words each: 4 x 11 x 0.4 + 1 = 18.6 s
    assert plausible_duration("🧘 Yoga 🙏.", 150)[1] == pytest.approx(18.6)
    # 60 letters count as 20 words: 4 x 20 x 0.4 + 1 = 33 s; 10 letters are still one word
    assert plausible_duration("a" * 60, 150)[1] == pytest.approx(33.0)
    assert plausible_duration("a" * 10, 150)[1] == pytest.approx(2.6)


@pytest.mark.parametrize("rate", [80, 150, 450])
def test_the_engine_speaks_what_validate_accepts(tmp_path: Path, rate: int) -> None:
    voice = Pyttsx3Voice(VoiceSettings(rate=rate), cache_dir=tmp_path)
    for line in ODD_LINES:
        clip = voice.clip(line)
        assert clip.duration > 0.3, line  # emoji are spoken by name, not dropped


def test_validate_and_plan_agree_on_a_routine_file(tmp_path: Path) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(ROUTINE.format(long="Xqzkwrtplmnb" * 8), encoding="utf-8")
    cache = tmp_path / "cache"
    checked = matcue("validate", path, cache=cache, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    planned = matcue("plan", path, cache=cache, cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    out = tmp_path / "odd.wav"
    exported = matcue("export", path, "-o", out, "-q", cache=cache, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert out.stat().st_size > 44
