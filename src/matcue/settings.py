"""Every setting a user can give matcue, declared once.

One :class:`Setting` per option of plan, play and export: its kind, bounds or choices, default
and help. The command line's options (``matcue.cli.options``), the config file's checks and
``matcue config`` (``matcue.store.config``), and the bounds of ``Pace``
(``matcue.timeline.model``) and of the live pace keys (``matcue.playback.transport``) are all
made from these, so a bound or a choice is written in one place.

This is a shared leaf: it imports no stage, and any stage may import it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Kind = Literal["number", "whole", "choice", "text", "switch", "path"]

PACE_PANEL = "Pace"
VOICE_PANEL = "Voice and language"
SOUND_PANEL = "Sound"


@dataclass(frozen=True)
class Setting:
    """One setting: what it is, what it accepts, and how it is offered."""

    name: str  # the config key and the field of the session options (``breath_words``)
    kind: Kind
    help: str  # the option's help text
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    default: float | str | bool | None = None  # None: the routine's or the level's
    flags: tuple[str, ...] = ()  # "--pace", "-p"; empty: a config key only
    metavar: str | None = None
    panel: str | None = None
    saved: str | None = None  # what it sets, when the config file may hold it

    @property
    def flag(self) -> str:
        return self.flags[0] if self.flags else "--" + self.name.replace("_", "-")

    def within(self, value: float) -> bool:
        """Whether ``value`` is a finite number inside the bounds."""
        low = -math.inf if self.minimum is None else self.minimum
        high = math.inf if self.maximum is None else self.maximum
        return math.isfinite(value) and low <= value <= high

    def bounds(self) -> str:
        """``from 10 to 400``, for messages."""
        return f"from {self.minimum:g} to {self.maximum:g}"


PACE = Setting(
    "pace",
    "number",
    "Pace in percent: 50 is half speed (every timed phase twice as long), 200 double. "
    "Default 100, or the level's.",
    minimum=10,
    maximum=400,
    default=100.0,
    flags=("--pace", "-p"),
    panel=PACE_PANEL,
    saved="pace in percent",
)
LEVEL = Setting(
    "level",
    "choice",
    "Set pace, holds, rests and reps together: gentle (pace 80, holds 70 %, rests "
    "150 %, reps 70 %), standard, or strong (pace 110, holds 130 %, rests 75 %, reps 130 %). "
    "Options given as well win.",
    choices=("gentle", "standard", "strong"),
    panel=PACE_PANEL,
    saved="pace level",
)
BREATH = Setting(
    "breath",
    "text",
    "Ratio breathing: seconds in and out (4:6), or in, hold and out (4:7:8), for every "
    "breath, overriding the routine's.",
    metavar="IN:OUT",
    panel=PACE_PANEL,
)
HOLDS = Setting(
    "holds",
    "number",
    "Hold lengths in percent of the routine's: 150 holds half again as long.",
    minimum=10,
    maximum=400,
    default=100.0,
    metavar="PERCENT",
    panel=PACE_PANEL,
)
RESTS = Setting(  # the levels' scale of the routine's rests (no option of its own)
    "rests", "number", "Rest lengths in percent of the routine's.", minimum=10, maximum=400
)
REST = Setting(
    "rest",
    "number",
    "Seconds of rest between sets and between exercises (0: none), before pace.",
    minimum=0,
    maximum=3600,
    metavar="SECONDS",
    panel=PACE_PANEL,
)
REPS = Setting(
    "reps",
    "whole",
    "Reps of every exercise (per side).",
    minimum=1,
    maximum=100,
    panel=PACE_PANEL,
)
SETS = Setting("sets", "whole", "Sets of every exercise.", minimum=1, maximum=20, panel=PACE_PANEL)
WEEK = Setting(
    "week",
    "whole",
    "Apply each exercise's progression for this week (default: from your session "
    "history, else week 1).",
    minimum=1,
    maximum=104,
    panel=PACE_PANEL,
)
COUNT = Setting(
    "count",
    "choice",
    "Count reps and holds with spoken numbers (voice), ticks (tones) or not at all.",
    choices=("voice", "tones", "off"),
    default="voice",
    panel=SOUND_PANEL,
    saved="how reps and holds are counted",
)
BREATH_WORDS = Setting(
    "breath_words",
    "choice",
    "Say breathe in/out on every rep (always), on the first reps and then let the "
    "tones carry the rhythm (first), or never.",
    choices=("always", "first", "never"),
    default="always",
    panel=SOUND_PANEL,
    saved="when breathe in/out is said",
)
VOICE = Setting(
    "voice",
    "text",
    "Text-to-speech voice id (see `matcue voices`): an espeak-ng voice, piper:NAME or the "
    "path of a Piper .onnx voice (the piper extra), or piper for a Piper voice of the "
    "language; default: an espeak-ng voice for the language.",
    panel=VOICE_PANEL,
    saved="text-to-speech voice id (see `matcue voices`; piper:NAME for a Piper voice)",
)
RATE = Setting(
    "rate",
    "whole",
    "Speech rate in words per minute (default 150). A Piper voice speaks rates below 110 at "
    "110 and above 283 at 283 (its length scale is kept within 0.5 to 2.0).",
    minimum=80,
    maximum=450,
    default=150,
    panel=VOICE_PANEL,
    saved="speech rate in words per minute",
)
VOLUME = Setting(
    "volume",
    "text",
    "Speech volume in the mix, after the levelling: 0 to 1 or a percentage (0.8 or 80%); "
    "lower turns the voice down under the tones and music. Default 1.",
    minimum=0,
    maximum=1,
    default=1.0,
    metavar="VOLUME",
    panel=VOICE_PANEL,
    saved="speech volume, 0 to 1",
)
LANG = Setting(
    "lang",
    "text",
    "Speak in this language (en, pl, cs) instead of the routine's.",
    metavar="CODE",
    panel=VOICE_PANEL,
)
STEREO = Setting(
    "stereo",
    "switch",
    "Stereo: the words of a sided exercise come from that side's ear.",
    default=False,
    flags=("--stereo/--mono",),
    panel=SOUND_PANEL,
    saved="side cues in the left or right ear",
)
MUSIC = Setting(
    "music",
    "path",
    "Mix this audio file under the session (looped or cut), quieter while the voice speaks.",
    metavar="FILE",
    panel=SOUND_PANEL,
)
MEDIA_KEYS = Setting(
    "media_keys",
    "switch",
    "Let media keys and headphone buttons pause, skip and stop the session (MPRIS on the "
    "desktop's session D-Bus).",
    default=True,
    flags=("--media-keys/--no-media-keys",),
    saved="media keys and headphone buttons control play (MPRIS)",
)
LOUDNESS = Setting(
    "loudness",
    "number",
    "Integrated loudness to land on, in LUFS, from -30 to -16 (true peak stays under -1 dBTP; "
    "louder cannot be reached without crushing the voice).",
    minimum=-30,
    maximum=-16,
    default=-16.0,
    metavar="LUFS",
)

PACE_AND_VOICE: tuple[Setting, ...] = (
    PACE,
    LEVEL,
    BREATH,
    HOLDS,
    REST,
    REPS,
    SETS,
    WEEK,
    COUNT,
    BREATH_WORDS,
    VOICE,
    RATE,
    VOLUME,
    LANG,
)
"""The options of plan, play and export, in the order ``--help`` lists them."""

SOUND: tuple[Setting, ...] = (STEREO, MUSIC)
"""The options of play and export only (plan makes no sound)."""

SAVED: tuple[Setting, ...] = (
    VOICE,
    RATE,
    VOLUME,
    LEVEL,
    PACE,
    COUNT,
    BREATH_WORDS,
    STEREO,
    MEDIA_KEYS,
)
"""What the config file may hold, in the order ``matcue config`` lists it."""

PACE_STEP = 10.0  # points a live pace key moves the pace
