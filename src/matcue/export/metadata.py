"""Tags and chapters in the exported files, through mutagen.

- MP3: ID3v2.3 with ``TIT2``/``TALB``/``TPE1``/``TDRC``/``COMM``/``TRCK`` and chapters as a
  ``CTOC`` table of contents over ``CHAP`` frames (each titled by a ``TIT2`` sub-frame) — the
  ID3 chapter addendum that podcast apps read.
- FLAC, Ogg Vorbis, Opus: Vorbis comments (``TITLE``, ``ALBUM``, ``ARTIST``, ``DATE``,
  ``COMMENT``, ``TRACKNUMBER``/``TRACKTOTAL``) and ``CHAPTER001=HH:MM:SS.mmm`` with
  ``CHAPTER001NAME`` (the Vorbis chapter extension, read by ffmpeg, VLC and others).
- M4A and WAV carry their tags from the encoder (see :mod:`matcue.export.encoders`); WAV has no
  chapters a player reads, which is what ``--cue-sheet`` is for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from matcue.export.formats import AudioFormat


@dataclass(frozen=True)
class Tags:
    title: str
    album: str
    artist: str
    date: str  # ISO 8601: "2025-06-01"
    comment: str
    track: tuple[int, int] | None = None  # number, total

    def as_dict(self) -> dict[str, str]:
        """The common names (title, album, artist, date, comment, track)."""
        out = {
            "title": self.title,
            "album": self.album,
            "artist": self.artist,
            "date": self.date,
            "comment": self.comment,
        }
        if self.track is not None:
            out["track"] = f"{self.track[0]}/{self.track[1]}"
        return out


@dataclass(frozen=True)
class Span:
    """A chapter: ``[start, end)`` in seconds from the start of the file, with its title."""

    start: float
    end: float
    title: str


def clock(seconds: float, sep: str = ".") -> str:
    """``HH:MM:SS.mmm`` (``sep`` between seconds and milliseconds)."""
    ms = max(0, round(seconds * 1000))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{millis:03d}"


def write_metadata(path: Path, fmt: AudioFormat, tags: Tags, chapters: Sequence[Span]) -> None:
    """Add ``tags`` and ``chapters`` to the finished file at ``path`` (of format ``fmt``)."""
    if fmt.chapters == "id3":
        _write_id3(path, tags, chapters)
    elif fmt.chapters == "vorbis":
        _write_vorbis_comments(path, fmt, tags, chapters)


def _write_id3(path: Path, tags: Tags, chapters: Sequence[Span]) -> None:
    from mutagen import id3

    frames = id3.ID3()
    frames.add(id3.TIT2(encoding=id3.Encoding.UTF16, text=[tags.title]))
    frames.add(id3.TALB(encoding=id3.Encoding.UTF16, text=[tags.album]))
    frames.add(id3.TPE1(encoding=id3.Encoding.UTF16, text=[tags.artist]))
    frames.add(id3.TDRC(encoding=id3.Encoding.UTF16, text=[tags.date]))
    frames.add(id3.COMM(encoding=id3.Encoding.UTF16, lang="eng", desc="", text=[tags.comment]))
    if tags.track is not None:
        frames.add(id3.TRCK(encoding=id3.Encoding.UTF16, text=[f"{tags.track[0]}/{tags.track[1]}"]))
    if chapters:
        ids = [f"chp{i}" for i in range(len(chapters))]
        frames.add(
            id3.CTOC(
                element_id="toc",
                flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[id3.TIT2(encoding=id3.Encoding.UTF16, text=["Chapters"])],
            )
        )
        for element_id, span in zip(ids, chapters, strict=True):
            frames.add(
                id3.CHAP(
                    element_id=element_id,
                    start_time=round(span.start * 1000),
                    end_time=round(span.end * 1000),
                    start_offset=0xFFFFFFFF,  # no byte offsets: players seek by time
                    end_offset=0xFFFFFFFF,
                    sub_frames=[id3.TIT2(encoding=id3.Encoding.UTF16, text=[span.title])],
                )
            )
    frames.save(str(path), v2_version=3)


def _write_vorbis_comments(
    path: Path, fmt: AudioFormat, tags: Tags, chapters: Sequence[Span]
) -> None:
    from mutagen.flac import FLAC
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis

    opener = {".flac": FLAC, ".opus": OggOpus}.get(fmt.suffix, OggVorbis)
    audio = opener(str(path))
    if audio.tags is None:
        audio.add_tags()
    comments = audio.tags
    comments["TITLE"] = tags.title
    comments["ALBUM"] = tags.album
    comments["ARTIST"] = tags.artist
    comments["DATE"] = tags.date
    comments["COMMENT"] = tags.comment
    if tags.track is not None:
        comments["TRACKNUMBER"] = str(tags.track[0])
        comments["TRACKTOTAL"] = str(tags.track[1])
    for i, span in enumerate(chapters, 1):
        comments[f"CHAPTER{i:03d}"] = clock(span.start)
        comments[f"CHAPTER{i:03d}NAME"] = span.title
    audio.save()
