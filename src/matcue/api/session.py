"""A session from a routine and options: load, plan, prepare, render, export, record.

Every step the command line takes, as plain functions over frozen values. A routine is loaded
(:func:`load`); with :class:`Options` (what the user chose) and the saved config it becomes a
:class:`Session` (:func:`plan`: the timeline with every line's real length; :func:`prepare`:
the same, with each new line measured and levelled for rendering); a session is rendered to
PCM (:func:`render`), written to files (:func:`export`) or played (:class:`matcue.api.Player`);
a played session is recorded in the history (:func:`record`).

The user's folders come in as a :class:`~matcue.store.paths.Folders` (``folders=None``: from
the environment, read once here); warnings (a history that cannot be read, say) go to ``warn``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from matcue.api.history import week
from matcue.api.model import SESSION_RATE, Config, Options, Session, Warn, warn_on_stderr
from matcue.api.speech import spoken, voice_for
from matcue.errors import InputError
from matcue.routine import Routine, load_routine, values
from matcue.routine.library import resolve
from matcue.routine.model import Breath
from matcue.store import paths
from matcue.store.paths import Folders
from matcue.timeline import Pace, Timeline, compile
from matcue.timeline.limits import check_routine, check_timeline
from matcue.timeline.model import LEVELS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from matcue.audio import Clip
    from matcue.audio.levels import Levels
    from matcue.voice import Voice


NO_OPTIONS = Options()  # every option as the config file and the routine have it


def load(routine: str | Path | Routine) -> Routine:
    """A routine: a built-in id (``"gentle-daily"``), a file, or one already loaded."""
    if isinstance(routine, Routine):
        return routine
    return load_routine(resolve(str(routine)))


def config(where: Folders, warn: Warn | None = None) -> Config:
    """The saved settings for a session (``matcue config``). A broken config file never stops
    a session: what can be read of it is used, and ``warn`` says what is wrong and how to
    repair it; keys of another version only warn."""
    from matcue.errors import RuntimeFailure
    from matcue.store.config import REPAIR, read_config, unknown_warning

    path = where.config_file
    try:
        found = read_config(path)
    except RuntimeFailure as err:
        if warn is not None:
            warn(f"{err}; playing with the defaults.")
        return {}
    if found.problem is not None and warn is not None:
        warn(f"the config file {path} {found.problem}; using what could be read ({REPAIR}).")
    if found.unknown and warn is not None:
        warn(unknown_warning(path, found))
    return found.values


def parse_breath(text: str) -> Breath:
    """``"4:6"`` or ``"4:2:6"`` (seconds in, [hold,] out) -> ``Breath``; InputError otherwise."""
    try:
        return values.parse_breath(text)
    except ValueError:
        raise InputError(
            f"--breath must be seconds in and out like 4:6, or in, hold and out like 4:7:8 "
            f"(each at most 60), not '{text}'"
        ) from None


def language(routine: Routine, lang: str | None) -> Routine:
    """The routine, to be spoken in ``lang`` if given (else in its own ``language:``)."""
    if lang is None:
        return routine
    try:
        code = values.parse_language(lang)
    except ValueError:
        raise InputError(
            f"--lang must be a language code like en, pl or cs, not '{lang}'"
        ) from None
    if values.base_language(code) not in spoken():
        raise InputError(f"--lang {code}: matcue speaks {_speaks_list()}")
    return replace(routine, language=code)


def _speaks_list() -> str:
    pairs = [f"{code} ({name})" for code, name in spoken().items()]
    return ", ".join(pairs[:-1]) + " and " + pairs[-1]


def fallback_note(routine: Routine) -> str | None:
    """The warning for a routine in a language matcue has no words of its own in."""
    if values.base_language(routine.language) in spoken():
        return None
    return (
        f"{routine.id} is in {routine.language}, and matcue speaks {_speaks_list()}: its own "
        "words (breathe in, hold, the numbers) fall back to English"
    )


def make_pace(options: Options, saved: Config, week_: int) -> Pace:
    """The session's ``Pace``: the level's settings, then the config file's, then options
    (a level given now also beats a pace saved in the config file)."""
    level = options.level or saved.get("level")
    given: dict[str, object] = {}
    pace: str | int | float | bool | None = options.pace
    if pace is None and options.level is None:  # a level given now beats a saved pace
        pace = saved.get("pace")
    if pace is not None:
        given["percent"] = float(pace)
    if options.holds is not None:
        given["holds"] = options.holds
    if options.rest is not None:
        given["rest"] = options.rest
    if options.breath is not None:
        given["breath"] = parse_breath(options.breath)
    if options.reps is not None:
        given["reps"] = options.reps
    if options.sets is not None:
        given["sets"] = options.sets
    count = options.count or saved.get("count")
    if count is not None:
        given["count"] = str(count)
    breath_words = options.breath_words or saved.get("breath_words")
    if breath_words is not None:
        given["breath_words"] = str(breath_words)
    given["week"] = week_
    if level is not None and str(level) in LEVELS:
        return Pace.for_level(str(level), **given)
    return Pace(**given)  # type: ignore[arg-type]


def volume_of(options: Options, saved: Config) -> float:
    """The speech volume, 0 to 1: ``--volume``'s, else the config's, else 1."""
    from matcue.store.config import parse_volume

    if options.volume is not None:
        return parse_volume(options.volume)
    return float(saved.get("volume", 1.0))


def plan(
    routine: str | Path | Routine,
    options: Options = NO_OPTIONS,
    *,
    keys: bool = False,
    media_keys: bool = False,
    folders: Folders | None = None,
    warn: Warn = warn_on_stderr,
) -> Session:
    """The session of ``routine`` with ``options``: every line spoken once (through the speech
    cache) for its real length. ``keys``, ``media_keys``: it will be played under the
    terminal's keys, the media keys (the intro says them)."""
    return _session(routine, options, keys=keys, media_keys=media_keys, where=folders, warn=warn)


def prepare(
    routine: str | Path | Routine,
    options: Options = NO_OPTIONS,
    *,
    keys: bool = False,
    media_keys: bool = False,
    loudness: float | None = None,
    folders: Folders | None = None,
    warn: Warn = warn_on_stderr,
    at_once: bool = False,
    exercise: int | None = None,
) -> Session:
    """As :func:`plan`, for a session to be rendered (played or exported): each newly spoken
    line is also measured and levelled (for ``loudness`` LUFS, if not the default -16) in the
    levels cache while the next lines are spoken.

    ``at_once``: for a session to be played from exercise ``exercise`` (None: the intro),
    return as soon as its first minute or so is made (:mod:`matcue.api.ahead`): the
    :class:`Player` makes the other lines while it plays. Its timeline is then exact up to
    there, with the other lines' lengths estimated."""
    return _session(
        routine,
        options,
        keys=keys,
        media_keys=media_keys,
        where=folders,
        warn=warn,
        render=True,
        loudness=loudness,
        at_once=at_once,
        exercise=exercise,
    )


def _session(
    routine: str | Path | Routine,
    options: Options,
    *,
    keys: bool,
    media_keys: bool = False,
    where: Folders | None,
    warn: Warn,
    render: bool = False,
    loudness: float | None = None,
    at_once: bool = False,
    exercise: int | None = None,
) -> Session:
    if loudness is not None:  # first: an api caller gets the sentence the command line gives
        check_loudness(loudness)
    where = where or paths.folders()
    saved = config(where, warn)
    loaded = language(load(routine), options.lang)
    pace = make_pace(options, saved, week(loaded, options.week, where, warn))
    volume = volume_of(options, saved)  # before the speech is made: a bad one is quick
    speech = voice_for(loaded, options, saved, where, warn)
    levels_cache = None
    lines = None
    if render:
        from matcue.audio import SESSION_LEVELS, measuring_ahead
        from matcue.audio.levels_cache import LevelsCache

        levels_cache = LevelsCache(speech.cache.root)  # beside the speech (the same root)
        levels = SESSION_LEVELS if loudness is None else replace(SESSION_LEVELS, loudness=loudness)
        with measuring_ahead(levels_cache, SESSION_RATE, levels) as measure:
            if at_once:  # the first lines: the player makes the others
                from matcue.api.ahead import Lines

                check_routine(loaded, pace)
                lines = Lines(
                    loaded, pace, speech, keys=keys, media_keys=media_keys, exercise=exercise
                )
                lines.on_made = measure
                timeline = lines.ready().timeline
                lines.on_made = None
                check_timeline(timeline)
            else:
                timeline = timeline_of(
                    loaded, pace, speech, measure, keys=keys, media_keys=media_keys
                )
    else:
        timeline = timeline_of(loaded, pace, speech, keys=keys, media_keys=media_keys)
    note = fallback_note(loaded)
    if note is not None:  # once its lines could be spoken: a voice missing is the one error
        warn(note)
    stereo = options.stereo if options.stereo is not None else bool(saved.get("stereo", False))
    return Session(
        loaded,
        speech,
        timeline,
        stereo,
        options.music,
        levels_cache,
        loudness,
        where,
        keys,
        media_keys,
        volume,
        lines,
    )


def timeline_of(
    routine: Routine,
    pace: Pace,
    speech: Voice,
    on_new_clip: Callable[[Clip], None] | None = None,
    *,
    keys: bool = False,
    media_keys: bool = False,
) -> Timeline:
    """The timeline, with each line's real length; ``on_new_clip`` sees each line that had to
    be synthesised (one from the speech cache was seen by an earlier run)."""
    check_routine(routine, pace)  # a session of days is refused before any speech is made

    def length(text: str) -> float:
        made = speech.renders
        clip = speech.clip(text)
        if on_new_clip is not None and speech.renders != made:
            on_new_clip(clip)
        return clip.duration

    timeline = compile(routine, pace, length, keys=keys, media_keys=media_keys)
    check_timeline(timeline)
    return timeline


def clips(timeline: Timeline, speech: Voice) -> tuple[dict[str, Clip], dict[str, Clip]]:
    """Every spoken line's clip (cached by the voice) and every tone, for the renderer."""
    from matcue.audio.tones import load_sounds

    texts = {cue.text for cue in timeline.cues if cue.text is not None}
    return speech.clips(texts), load_sounds(SESSION_RATE)


def sound_options(session: Session) -> dict[str, object]:
    """The renderer's stereo and music arguments."""
    from matcue.audio.music import load_music

    music = session.music
    return {
        "stereo": session.stereo,
        "music": (
            load_music(music, SESSION_RATE, math.ceil(session.timeline.duration * SESSION_RATE))
            if music is not None
            else None
        ),
    }


def render(session: Session, start: int = 0) -> npt.NDArray[np.int16]:
    """The session as int16 PCM at :data:`SESSION_RATE` (``(frames, 2)`` in stereo), from frame
    ``start`` on: what ``play`` plays and ``export`` writes."""
    from matcue.audio import render as mix
    from matcue.audio.render import FIT_WORKERS

    return mix(
        session.timeline,
        *clips(session.timeline, session.speech),
        SESSION_RATE,
        levels=levels_of(session),
        levels_cache=session.levels_cache,
        start=start,
        workers=FIT_WORKERS,
        **sound_options(session),  # type: ignore[arg-type]
    )


def check_loudness(lufs: float) -> float:
    """``lufs`` if a session can be levelled to it; else ``InputError`` saying what can be
    reached and why."""
    from matcue.audio.levels import LOUDER_THAN_REACHABLE, MAX_LUFS, MIN_LUFS

    if lufs > MAX_LUFS:
        raise InputError(
            f"--loudness {lufs:g} is louder than matcue can reach: {LOUDER_THAN_REACHABLE}; "
            f"give {MIN_LUFS:g} to {MAX_LUFS:g}"
        )
    if not lufs >= MIN_LUFS:  # NaN too
        raise InputError(f"--loudness {lufs:g} is out of range; give {MIN_LUFS:g} to {MAX_LUFS:g}")
    return lufs


def levels_of(session: Session) -> Levels:
    """The levels ``session`` is rendered at: its loudness target (else the session default)
    and its speech volume."""
    from matcue.audio import SESSION_LEVELS

    loudness = SESSION_LEVELS.loudness if session.loudness is None else session.loudness
    return replace(SESSION_LEVELS, loudness=loudness, voice=session.volume)


def frames(seconds: float) -> int:
    """``seconds`` of a session as frames at :data:`SESSION_RATE`."""
    from matcue.audio.units import seconds_to_frames

    return seconds_to_frames(seconds, SESSION_RATE)
