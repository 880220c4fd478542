"""Audio: ``Clip``, sound files, unit conversions, tones, music, and the renderer
(Timeline + clips -> PCM)."""

from matcue.audio.clip import Clip
from matcue.audio.levelling import measuring_ahead
from matcue.audio.levels import DEFAULT_LEVELS, SESSION_LEVELS, Levels
from matcue.audio.render import render, render_chunks
from matcue.audio.units import db_to_gain, frames_to_seconds, gain_to_db, seconds_to_frames

__all__ = [
    "DEFAULT_LEVELS",
    "SESSION_LEVELS",
    "Clip",
    "Levels",
    "db_to_gain",
    "frames_to_seconds",
    "gain_to_db",
    "measuring_ahead",
    "render",
    "render_chunks",
    "seconds_to_frames",
]
