"""Load the shipped tones from ``sounds/`` (written by ``scripts/make_sounds.py``)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from matcue.audio.clip import Clip
from matcue.audio.files import mono, resample, soundfile_module
from matcue.errors import InputError, RuntimeFailure
from matcue.timeline.sounds import SOUND_LENGTHS


def sounds_dir() -> Path:
    """The folder holding the tone WAVs.

    An installed wheel carries them as ``matcue/sounds`` (pyproject force-includes the
    top-level ``sounds/``); an editable install reads the repository's ``sounds/`` directly.
    """
    packaged = Path(str(files("matcue") / "sounds"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "sounds"


def load_sound(name: str, rate: int) -> Clip:
    """One tone as a mono float32 Clip at ``rate`` Hz."""
    path = sounds_dir() / f"{name}.wav"
    if not path.is_file():
        raise RuntimeFailure(
            f"The tone file {path} is missing: regenerate it with `python scripts/make_sounds.py`."
        )
    sf = soundfile_module()
    try:
        data, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise RuntimeFailure(
            f"The tone file {path} is unreadable: regenerate it with "
            "`python scripts/make_sounds.py`."
        ) from exc
    return Clip(samples=resample(mono(data), int(file_rate), rate), rate=rate)


def load_sounds(rate: int) -> dict[str, Clip]:
    """Every sound in ``matcue.timeline.sounds.SOUND_LENGTHS`` as a Clip at ``rate`` Hz."""
    if rate <= 0:
        raise InputError(f"sample rate must be positive, not {rate}")
    return {name: load_sound(name, rate) for name in SOUND_LENGTHS}
