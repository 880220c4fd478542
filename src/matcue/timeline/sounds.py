"""Names and lengths of the tones in ``sounds/``.

The compiler needs a tone's length to place it; ``scripts/make_sounds.py`` synthesises each
sound to exactly this length, and a test checks the shipped files agree.
"""

from __future__ import annotations

from typing import Literal

SoundName = Literal["inhale", "exhale", "tick", "move", "switch", "rest", "start", "end"]

SOUND_LENGTHS: dict[SoundName, float] = {
    "inhale": 0.6,  # rising sweep
    "exhale": 0.7,  # falling sweep
    "tick": 0.06,  # hold tick, short wood-block click
    "move": 0.45,  # two-note chime
    "switch": 0.6,  # left-right ping-pong pair
    "rest": 0.9,  # soft low pad
    "start": 1.2,  # bright bell
    "end": 2.5,  # long low bell
}
