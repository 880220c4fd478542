"""What matcue says while the keys control a session (issue #4): the ``Controls`` group of a
``Phrases`` catalogue, and its English texts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Controls:
    """What matcue says while the keys control a session (issue #4), in one group so that a
    catalogue can translate it as a unit. Fields in braces are filled by the methods below."""

    # the intro's line on the keys when they are active (replaces ``Phrases.keys``)
    keys_line: str
    # the intro's line on the media keys and headphone buttons (MPRIS) when they are active
    media_keys_line: str
    # the full key list, spoken by the question mark key, one short line per key
    key_list: tuple[str, ...]
    # confirmations
    resuming: str  # then the countdown, then the interrupted phase from its start
    pace_now: str  # {number}
    repeat_set: str
    quit: str  # said before the session ends on the quit key
    nothing_to_repeat: str
    # the pain stop: calm, short, one idea per line
    pain_stop: tuple[str, ...]
    # where am I: exercise, rep, side, time left
    where_intro: str
    where_outro: str
    where_rest: str
    where_exercise: str  # {number}, {name}
    where_rep: str  # {rep}, {reps}
    where_side: str  # {side}
    minutes_left: tuple[str, ...]  # plural forms, field {minutes}
    under_a_minute: str


ENGLISH_CONTROLS = Controls(
    keys_line="Space pauses, N skips, and X stops. Question mark lists the keys.",
    media_keys_line="Your headphone button pauses.",
    key_list=(
        "Space pauses and resumes.",
        "N skips to the next exercise.",
        "B goes back to the start of this one.",
        "R repeats the set.",
        "Plus and minus change the pace.",
        "S says where you are.",
        "Q stops and saves your place.",
        "X stops at once if it hurts.",
    ),
    resuming="Resuming.",
    pace_now="Pace {number}.",
    repeat_set="Again, this set.",
    quit="Stopping. Your place is saved.",
    nothing_to_repeat="Nothing to repeat yet.",
    pain_stop=(
        "Stop now.",
        "Rest in a position that feels comfortable.",
        "Breathe slowly.",
        "If the pain stays, seek medical advice.",
    ),
    where_intro="The introduction.",
    where_outro="The closing.",
    where_rest="Resting.",
    where_exercise="Exercise {number}, {name}.",
    where_rep="Rep {rep} of {reps}.",
    where_side="{side} side.",
    minutes_left=("About {minutes} minute left.", "About {minutes} minutes left."),
    under_a_minute="Less than a minute left.",
)
