"""The export formats, chosen by the file's extension, and their bitrate or quality settings.

WAV, FLAC, Ogg Vorbis, MP3 and Opus are written by libsndfile (through soundfile); M4A (AAC)
by PyAV, an optional extra. How libsndfile maps its one "compression level" (0 = best, 1 =
smallest) onto each codec, from its sources (1.2):

- MP3 (LAME), constant bitrate: ``kbps = 160 - level * 152`` below 32 kHz (MPEG-2, 8-160
  kbps), ``320 - level * 288`` from 32 kHz (MPEG-1, 32-320 kbps). Under 56 kbps at 22.05 kHz
  a frame is too small for LAME's Info tag, so decoders lose the encoder delay and padding and
  the file plays ~1,300 samples long: matcue's floor is 56 kbps;
- Opus: ``bits/s per channel = (1 - level) * 250000 + 6000`` (6-256 kbps);
- Vorbis: quality ``1 - level`` (0-1, i.e. ``-q`` 0-10 of oggenc).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from matcue.errors import InputError

ChapterStyle = Literal["id3", "vorbis", "mp4", "none"]


@dataclass(frozen=True)
class AudioFormat:
    suffix: str  # ".mp3"
    name: str  # for messages: "MP3"
    container: str | None  # soundfile's major format; None: written by PyAV
    subtype: str | None
    rate: int | None  # a fixed output rate (Opus decodes at 48 kHz); None: the session's
    bitrate: tuple[int, int, int] | None  # kbps: least, default, most
    quality: tuple[float, float, float] | None  # least, default, most
    chapters: ChapterStyle
    cue_type: str  # the file type a CUE sheet names

    @property
    def lossy(self) -> bool:
        return self.suffix not in (".wav", ".flac")


_VORBIS_Q = (0.0, 4.0, 10.0)  # oggenc's -q scale
_MP3_KBPS = (56, 64, 160)  # MPEG-2 Layer III at 22.05 kHz, from the lowest that keeps gapless

FORMATS: dict[str, AudioFormat] = {
    f.suffix: f
    for f in (
        AudioFormat(".wav", "WAV", "WAV", "PCM_16", None, None, None, "none", "WAVE"),
        AudioFormat(".flac", "FLAC", "FLAC", "PCM_16", None, None, None, "vorbis", "WAVE"),
        AudioFormat(
            ".ogg", "Ogg Vorbis", "OGG", "VORBIS", None, None, (0, 4, 10), "vorbis", "WAVE"
        ),
        AudioFormat(".opus", "Opus", "OGG", "OPUS", 48000, (6, 64, 256), None, "vorbis", "WAVE"),
        AudioFormat(
            ".mp3", "MP3", "MP3", "MPEG_LAYER_III", None, (56, 64, 160), None, "id3", "MP3"
        ),
        AudioFormat(".m4a", "M4A (AAC)", None, None, None, (16, 64, 256), None, "mp4", "WAVE"),
    )
}


def audio_format(path: Path) -> AudioFormat:
    """The format for ``path``'s extension; ``InputError`` naming the choices otherwise."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        choices = ", ".join(FORMATS)
        raise InputError(
            f"cannot export to '{path.suffix or path.name}': use one of {choices} "
            "(the format follows the extension)"
        )
    return fmt


@dataclass(frozen=True)
class Encoding:
    """A format with its settings: ``bitrate`` in kbps or ``quality``, where it has one."""

    format: AudioFormat
    bitrate: int | None = None
    quality: float | None = None

    def compression_level(self) -> float | None:
        """libsndfile's compression level for these settings (None: libsndfile's default)."""
        fmt = self.format
        if fmt.subtype == "MPEG_LAYER_III" and self.bitrate is not None:
            return (160 - self.bitrate) / 152
        if fmt.subtype == "OPUS" and self.bitrate is not None:
            return 1.0 - (self.bitrate * 1000 - 6000) / 250000
        if fmt.subtype == "VORBIS" and self.quality is not None:
            return 1.0 - self.quality / 10
        return None

    def bitrate_mode(self) -> str | None:
        return "CONSTANT" if self.format.subtype == "MPEG_LAYER_III" else None

    def describe(self) -> str:
        """A few words for the file's comment: ``"MP3 64 kbps"``."""
        if self.bitrate is not None:
            return f"{self.format.name} {self.bitrate} kbps"
        if self.quality is not None:
            return f"{self.format.name} quality {self.quality:g}"
        return self.format.name


PEAK_SAFE_KBPS = {".opus": 64, ".m4a": 48}
"""The bitrate under which a format's coding can pass the -1 dBTP true-peak ceiling. Opus (its
default): +0.1 dBTP at 6-16 kbps, -0.9 at 32 on matcue's test sessions, 48 kbps overshot one
spoken line by over 3 dB, and at 6-8 kbps it lands 1.5-2.5 LU under the loudness target. M4A
(FFmpeg's AAC encoder, temporal noise shaping off): up to +1.3 dBTP at 16-32 kbps on six
sessions, -1.2 at worst from 48 kbps, the loudness within 0.6 LU at every bitrate."""


def ceiling_warning(enc: Encoding) -> str | None:
    """A sentence when ``enc`` may not keep the true-peak ceiling (and, for Opus, the loudness);
    else None."""
    safe = PEAK_SAFE_KBPS.get(enc.format.suffix)
    if safe is None or (enc.bitrate or safe) >= safe:
        return None
    kept = "both" if enc.format.suffix == ".opus" else "it"
    loudness = " and land under the loudness target" if kept == "both" else ""
    return (
        f"{enc.format.name} at {enc.bitrate} kbps can pass the -1 dBTP true-peak ceiling"
        f"{loudness} (its coding is that coarse); --bitrate {safe} or more keeps {kept}"
    )


def encoding(fmt: AudioFormat, bitrate: int | None, quality: float | None) -> Encoding:
    """``fmt`` with ``bitrate``/``quality`` checked (``InputError``) or set to the default."""
    with_bitrate = [f.suffix for f in FORMATS.values() if f.bitrate]
    with_quality = [f.suffix for f in FORMATS.values() if f.quality]
    if bitrate is not None:
        if fmt.bitrate is None:
            raise InputError(
                f"{fmt.name} has no bitrate to set: --bitrate applies to "
                f"{', '.join(with_bitrate)}" + (" (use --quality for .ogg)" if fmt.quality else "")
            )
        least, _, most = fmt.bitrate
        if not least <= bitrate <= most:
            raise InputError(
                f"--bitrate for {fmt.name} must be from {least} to {most} kbps, got {bitrate}"
            )
    if quality is not None:
        if fmt.quality is None:
            raise InputError(
                f"{fmt.name} has no quality to set: --quality applies to {', '.join(with_quality)}"
                + (" (use --bitrate)" if fmt.bitrate else "")
            )
        q_least, _, q_most = fmt.quality
        if not q_least <= quality <= q_most:
            raise InputError(
                f"--quality for {fmt.name} must be from {q_least:g} to {q_most:g}, got {quality:g}"
            )
    if bitrate is None and fmt.bitrate is not None:
        bitrate = fmt.bitrate[1]
    if quality is None and fmt.quality is not None:
        quality = fmt.quality[1]
    return Encoding(fmt, bitrate, quality)
