"""Load the shipped tones from ``sounds/`` (written by ``scripts/make_sounds.py``)."""

from __future__ import annotations

from matcue.voice.base import Clip


def load_sounds(rate: int) -> dict[str, Clip]:
    """Every sound in ``matcue.timeline.sounds.SOUND_LENGTHS`` as a Clip at ``rate`` Hz."""
    raise NotImplementedError  # written by the voice/sounds helper
