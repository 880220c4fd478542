"""The length of a line estimated from its text (``matcue list``), pinned by its arithmetic."""

from __future__ import annotations

import pytest

from matcue.timeline.estimate import estimated_length, speech_estimate


@pytest.mark.parametrize(
    ("text", "rate", "seconds"),
    [
        ("Breathe in.", 150, 11 * 0.057 + 0.24 + 0.085),  # 11 characters, 1 sentence
        ("In. Out.", 150, 8 * 0.057 + 2 * 0.24 + 0.085),  # two sentences: two pauses
        ("Breathe in.", 300, 11 * 0.057 / 2 + 0.24 + 0.085),  # twice the rate: half the words
        ("Lie down", 150, 8 * 0.057 + 0.24 + 0.085),  # no full stop: still one sentence
        ("  Rest.  ", 150, 5 * 0.057 + 0.24 + 0.085),  # the spaces around are not said
    ],
)
def test_estimated_length(text: str, rate: int, seconds: float) -> None:
    assert estimated_length(text, rate) == pytest.approx(seconds)


def test_the_estimate_is_in_the_compilers_shape() -> None:
    speech_len = speech_estimate(200)
    assert speech_len("Breathe in.") == estimated_length("Breathe in.", 200)
    assert speech_len("A longer line, with more words in it.") > speech_len("Short.")
