"""Write a rendered session to audio files, atomically.

The rendered blocks are encoded as they come (a two-hour session never sits in memory),
through soundfile for WAV, FLAC, Ogg Vorbis, Opus and MP3, or PyAV for M4A, into a hidden
temporary file next to each target (:mod:`matcue.outputs.staging`). Tags and chapters are added
to the temporary file, sidecars are staged beside it, and only when every file is complete are
they renamed over their targets. On any failure, Ctrl-C included, the temporary files are
removed: the targets are either the complete new files or untouched.

libsndfile facts this relies on (1.2.2): one huge Ogg Vorbis write crashes it (a few million
frames at once segfault), so every write is at most ``WRITE_FRAMES``; Opus takes only 8, 12,
16, 24 or 48 kHz, so Opus gets the session resampled to 48 kHz (soxr), the rate every Opus
decoder plays at; MP3 is LAME at the session's rate with an Info header (encoder delay and
padding), so decoders give back exactly the frames written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import re
import signal
import threading
import unicodedata
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, Protocol, cast

import numpy as np
import numpy.typing as npt

from matcue.audio.files import soundfile_module
from matcue.audio.units import seconds_to_frames
from matcue.errors import ExportError
from matcue.outputs import sidecars
from matcue.outputs.formats import FORMATS, Encoding
from matcue.outputs.metadata import Span, Tags, write_metadata
from matcue.outputs.staging import Staging, describe_os_error, refuse_existing
from matcue.timeline.model import Timeline

__all__ = [
    "ExportOptions",
    "Tags",
    "describe_os_error",
    "export_session",
    "export_targets",
    "export_wav",
]

Pcm = npt.NDArray[np.int16]
WRITE_FRAMES = 65536  # the most frames handed to libsndfile at once (Vorbis crashes on more)


def _pyav() -> ModuleType:
    try:
        import av
    except ImportError as err:
        raise ExportError(
            "Exporting to .m4a needs PyAV, which is not installed: "
            "install matcue[m4a] (pip install 'matcue[m4a]') or pick another format."
        ) from err
    module: ModuleType = av
    return module


def _block(chunk: npt.NDArray[Any], channels: int = 1) -> Pcm:
    shape_ok = chunk.ndim == 1 if channels == 1 else chunk.ndim == 2 and chunk.shape[1] == channels
    if chunk.dtype != np.int16 or not shape_ok:
        kind = "mono" if channels == 1 else f"{channels}-channel"
        raise ValueError(f"export needs {kind} int16 blocks, got {chunk.dtype} {chunk.shape}")
    return np.ascontiguousarray(chunk)


class _Encoder(Protocol):
    def write(self, block: Pcm) -> None: ...
    def finish(self) -> None: ...
    def discard(self) -> None: ...


class _Resampled:
    """Blocks at ``rate`` to ``out_rate`` through soxr's streaming resampler (high quality)."""

    def __init__(
        self, inner: Callable[[Pcm], None], rate: int, out_rate: int, channels: int = 1
    ) -> None:
        import soxr

        self._inner = inner
        self._channels = channels
        self._stream = soxr.ResampleStream(rate, out_rate, channels, dtype="int16", quality="HQ")

    def _shaped(self, out: npt.NDArray[Any]) -> Pcm:
        shape = (-1,) if self._channels == 1 else (-1, self._channels)
        return np.ascontiguousarray(out.reshape(shape), dtype=np.int16)

    def write(self, block: Pcm) -> None:
        out = self._stream.resample_chunk(block)
        if out.size:
            self._inner(self._shaped(out))

    def flush(self) -> None:
        empty = np.zeros((0,) if self._channels == 1 else (0, self._channels), dtype=np.int16)
        out = self._stream.resample_chunk(empty, last=True)
        if out.size:
            self._inner(self._shaped(out))


class _SoundfileEncoder:
    """One file written by libsndfile into the open temporary file ``fd``.

    libsndfile writes to the descriptor itself. Through a Python file object instead, each of
    its writes (one per FLAC frame: ~11,000 for half an hour) would call back into Python and
    wait for the GIL while the render thread holds it; the export then took 40-70 % longer
    than the encoder alone instead of 0-40 %. libsndfile's own error text drops the errno, so
    when a write fails the system is asked why (:meth:`_os_error`).
    """

    def __init__(
        self, fd: int, rate: int, enc: Encoding, tags: Tags | None, channels: int = 1
    ) -> None:
        self._sf = soundfile_module()
        self._fd = fd
        fmt = enc.format
        out_rate = fmt.rate or rate
        try:
            self._out = self._sf.SoundFile(
                fd,
                "w",
                samplerate=out_rate,
                channels=channels,
                format=fmt.container,
                subtype=fmt.subtype,
                closefd=False,
                compression_level=enc.compression_level(),
                bitrate_mode=enc.bitrate_mode(),
            )
        except Exception as err:
            self._raise_os_error(err)
            raise
        if fmt.suffix == ".wav" and tags is not None:  # RIFF INFO tags, written at close
            for key, value in tags.as_dict().items():
                if key == "track":
                    key = "tracknumber"
                setattr(self._out, key, value)
        self._resampler = (
            _Resampled(self._put, rate, out_rate, channels) if out_rate != rate else None
        )

    def _os_error(self) -> OSError | None:
        """Why the file cannot be written, as the system says it: one more write, of a block at
        the end of the temporary file (which is thrown away), meets the error libsndfile met
        (a full disk, a file size limit, an I/O error); None if it goes through."""
        try:
            os.pwrite(self._fd, bytes(4096), os.fstat(self._fd).st_size)
        except OSError as err:
            return err
        return None

    def _raise_os_error(self, failure: Exception) -> None:
        """Raise the system's reason for ``failure`` of libsndfile's, if there is one."""
        err = self._os_error()
        if err is not None:
            raise err from failure

    def _put(self, block: Pcm) -> None:
        for i in range(0, block.shape[0], WRITE_FRAMES):
            try:
                self._out.write(block[i : i + WRITE_FRAMES])
            except AssertionError as err:  # soundfile's check that every frame was written
                self._raise_os_error(err)
                raise OSError(errno.EIO, "the encoder wrote less than it was given") from err

    def write(self, block: Pcm) -> None:
        try:
            if self._resampler is not None:
                self._resampler.write(block)
            else:
                self._put(block)
        except self._sf.SoundFileError as err:
            self._raise_os_error(err)
            raise

    def finish(self) -> None:
        try:
            if self._resampler is not None:
                self._resampler.flush()
            self._out.close()  # writes headers and trailers; its errors count
        except self._sf.SoundFileError as err:
            self._raise_os_error(err)
            raise

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self._out.close()


class _AvEncoder:
    """An M4A (AAC) file written by PyAV, tags and chapters included."""

    def __init__(
        self,
        path: Path,
        rate: int,
        enc: Encoding,
        tags: Tags,
        chapters: Sequence[Span],
        channels: int = 1,
    ) -> None:
        self._av = _pyav()
        self._rate = rate
        self._layout = "mono" if channels == 1 else "stereo"
        self._time_base = Fraction(1, rate)
        self._frames = 0
        self._container = self._av.open(str(path), "w", format="ipod")
        try:
            stream = self._container.add_stream("aac", rate=rate)
            stream.layout = self._layout
            stream.bit_rate = (enc.bitrate or 64) * 1000
            self._stream = stream
            meta = tags.as_dict()
            self._container.metadata.update(meta)
            if chapters:
                self._container.set_chapters(
                    [
                        {
                            "id": i,
                            "start": round(s.start * 1000),
                            "end": round(s.end * 1000),
                            "time_base": Fraction(1, 1000),
                            "metadata": {"title": s.title},
                        }
                        for i, s in enumerate(chapters, 1)
                    ]
                )
        except BaseException:
            self.discard()
            raise

    def _mux(self, frame: Any) -> None:
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def write(self, block: Pcm) -> None:
        frame = self._av.AudioFrame.from_ndarray(
            block.reshape(1, -1), format="s16", layout=self._layout
        )
        frame.sample_rate = self._rate
        # explicit times let the encoder mark its priming samples, and the muxer write the
        # edit list that tells decoders to drop them
        frame.pts = self._frames
        frame.time_base = self._time_base
        self._frames += block.shape[0]
        self._mux(frame)

    def finish(self) -> None:
        self._mux(None)
        self._container.close()

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self._container.close()


# --- one WAV, the simplest export ----------------------------------------------------------------


def export_wav(chunks: Iterable[npt.NDArray[np.int16]], rate: int, path: Path) -> Path:
    """Write mono int16 ``chunks`` at ``rate`` Hz to ``path`` as a 16-bit WAV; return ``path``.

    An existing file is replaced, atomically. Raises ``ExportError`` when the file cannot be
    written (missing or unwritable folder, disk full, ...); nothing partial is ever left.
    """
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, got {rate!r}")
    path = Path(path)
    with Staging(force=True) as staging:
        _encode_into(staging, path, chunks, rate, Encoding(FORMATS[".wav"]))
        staging.commit()
    return path


def _encode_into(
    staging: Staging,
    path: Path,
    chunks: Iterable[Pcm],
    rate: int,
    enc: Encoding,
    tags: Tags | None = None,
    chapters: Sequence[Span] = (),
    channels: int = 1,
) -> None:
    """Stage ``path``: encode ``chunks`` into its temporary file, then tag it."""
    if enc.format.container is None:  # M4A through PyAV, which opens the file by name
        tmp = staging.temporary(path)
        encoder = _AvEncoder(tmp, rate, enc, tags or _NO_TAGS, chapters, channels)
        _run(encoder, chunks, path, channels)
        return
    sf = soundfile_module()
    with staging.opened(path) as (fd, tmp):
        try:
            _run(_SoundfileEncoder(fd, rate, enc, tags, channels), chunks, path, channels)
        except sf.SoundFileError as err:
            raise ExportError(f"cannot write {path}: {err}") from err
    if tags is not None:
        try:
            write_metadata(tmp, enc.format, tags, chapters)
        except OSError as err:
            raise ExportError(describe_os_error(path, err)) from err


_NO_TAGS = Tags(title="", album="", artist="", date="", comment="")


def _run(encoder: _Encoder, chunks: Iterable[Pcm], path: Path, channels: int = 1) -> None:
    try:
        for chunk in chunks:
            encoder.write(_block(chunk, channels))
        encoder.finish()
    except OSError as err:
        encoder.discard()
        raise ExportError(describe_os_error(path, err)) from err
    except BaseException:
        encoder.discard()
        raise


# --- a whole session: split tracks, tags, chapters, sidecars ---------------------------------


Subtitles = Literal["vtt", "srt"]


@dataclass(frozen=True)
class ExportOptions:
    """What ``matcue export`` writes, besides the audio at ``output``."""

    output: Path
    encoding: Encoding
    split: bool = False
    subtitles: Subtitles | None = None
    cue_sheet: bool = False
    labels: bool = False
    chapters_json: bool = False
    force: bool = False
    channels: int = 1  # 2: the session was rendered in stereo


SLUG_MAX = 48
"""The longest title part of a ``--split`` track's file name, in characters."""


def _slug(title: str) -> str:
    """A chapter title as a file name part: ASCII letters and digits joined by '-', at most
    ``SLUG_MAX`` long (cut at a word); so no separator, control character, dot or reserved
    name can come from a routine's text."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    if len(slug) > SLUG_MAX:
        cut = slug[: SLUG_MAX + 1].rfind("-")
        slug = slug[: cut if cut > SLUG_MAX // 2 else SLUG_MAX].strip("-")
    return slug or "part"


def _spans(timeline: Timeline) -> list[Span]:
    """The timeline's chapters as spans (each ends where the next starts), empty ones left out."""
    marks = [c.t for c in timeline.chapters] + [timeline.duration]
    return [
        Span(c.t, end, c.title)
        for c, end in zip(timeline.chapters, marks[1:], strict=True)
        if end > c.t
    ]


@dataclass(frozen=True)
class _Track:
    path: Path
    first: int  # frames [first, last) of the session
    last: int
    span: Span  # in session time


def _tracks(timeline: Timeline, options: ExportOptions, rate: int) -> list[_Track]:
    out = options.output
    spans = _spans(timeline) or [Span(0.0, timeline.duration, timeline.title)]
    total = seconds_to_frames(timeline.duration, rate)
    width = max(2, len(str(len(spans))))
    tracks = []
    for i, span in enumerate(spans, 1):
        first = seconds_to_frames(span.start, rate)
        last = total if i == len(spans) else seconds_to_frames(span.end, rate)
        name = f"{out.stem}-{i:0{width}d}-{_slug(span.title)}{out.suffix}"
        tracks.append(_Track(out.with_name(name), first, last, span))
    return tracks


def _sidecar_paths(options: ExportOptions) -> dict[str, Path]:
    out = options.output
    paths: dict[str, Path] = {}
    if options.split:
        paths["m3u"] = out.with_suffix(".m3u")
    if options.subtitles is not None:
        paths["subtitles"] = out.with_suffix(f".{options.subtitles}")
    if options.cue_sheet:
        paths["cue"] = out.with_suffix(".cue")
    if options.labels:
        paths["labels"] = out.with_name(f"{out.stem}.labels.txt")
    if options.chapters_json:
        paths["chapters"] = out.with_name(f"{out.stem}.chapters.json")
    return paths


def export_targets(timeline: Timeline, options: ExportOptions, rate: int) -> list[Path]:
    """Every file the export will write, audio first."""
    audio = (
        [t.path for t in _tracks(timeline, options, rate)] if options.split else [options.output]
    )
    return audio + list(_sidecar_paths(options).values())


def check_export(timeline: Timeline, options: ExportOptions, rate: int) -> list[Path]:
    """Before any work: the targets, after refusing existing files (unless ``force``) and a
    format this installation cannot write."""
    if options.encoding.format.container is None:
        _pyav()
    targets = export_targets(timeline, options, rate)
    if len(set(targets)) != len(targets):
        raise ExportError(f"cannot export to {options.output}: two files would share a name")
    if not options.force:
        refuse_existing(targets)
    return targets


def _sidecar_texts(
    timeline: Timeline,
    options: ExportOptions,
    rate: int,
    tags: Tags,
    names: Mapping[int, str],
) -> dict[Path, str]:
    paths = _sidecar_paths(options)
    spans = _spans(timeline)
    texts: dict[Path, str] = {}
    fmt = options.encoding.format
    if options.split:
        tracks = _tracks(timeline, options, rate)
        lines = ["#EXTM3U", f"#PLAYLIST:{tags.album}"]
        for t in tracks:
            seconds = round((t.last - t.first) / rate)
            lines += [f"#EXTINF:{seconds},{tags.album} - {t.span.title}", t.path.name]
        texts[paths["m3u"]] = "\n".join(lines) + "\n"
        files = [
            sidecars.CueFile(t.path.name, fmt.cue_type, [replace(t.span, start=0.0)])
            for t in tracks
        ]
    else:
        files = [sidecars.CueFile(options.output.name, fmt.cue_type, spans)]
    if "subtitles" in paths:
        maker = sidecars.webvtt if options.subtitles == "vtt" else sidecars.srt
        texts[paths["subtitles"]] = maker(timeline)
    if "cue" in paths:
        texts[paths["cue"]] = sidecars.cue_sheet(tags, files)
    if "labels" in paths:
        texts[paths["labels"]] = sidecars.audacity_labels(timeline, names)
    if "chapters" in paths:
        texts[paths["chapters"]] = sidecars.podcast_chapters(tags, spans)
    return texts


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END = object()
AHEAD = 2  # blocks rendered ahead of the encoder


def _ahead(chunks: Iterable[Pcm], depth: int = AHEAD) -> Generator[Pcm, None, None]:
    """``chunks``, rendered in a worker thread up to ``depth`` blocks ahead of the consumer.

    The encoders spend their time in C (libsndfile, LAME, soxr, PyAV) with the GIL released,
    so rendering the next block in another thread hides matcue's own work behind the
    encoder's on a machine with two cores. An error in the worker is raised here, in the
    consumer; when the consumer stops early (an error, Ctrl-C), the worker stops too.
    """
    pipe: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                pipe.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for chunk in chunks:
                if not put(chunk):
                    return
        except BaseException as err:  # handed to the consumer, which raises it
            put(_Failed(err))
            return
        put(_END)

    worker = threading.Thread(target=work, name="matcue-render", daemon=True)
    worker.start()
    try:
        while True:
            item = pipe.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield cast(Pcm, item)
    finally:
        stop.set()
        worker.join()


def _counted(
    chunks: Iterable[Pcm], on_progress: Callable[[int], None] | None, check: Callable[[], None]
) -> Iterator[Pcm]:
    for chunk in chunks:
        check()
        yield chunk
        if on_progress is not None:
            on_progress(int(chunk.shape[0]))
    check()


@contextlib.contextmanager
def _ctrl_c_between_blocks() -> Iterator[Callable[[], None]]:
    """Hold Ctrl-C while the encoders run; the ``check`` it yields raises it between blocks.

    A KeyboardInterrupt raised where C code (libsndfile, soxr, PyAV) is partway through a
    file can leave its encoder broken, or be printed and lost; so SIGINT only notes the
    request here, and ``check`` turns it into KeyboardInterrupt where it is safe: between two
    blocks (a few seconds of audio, a fraction of a second of work). Only the main thread
    can take signals; elsewhere nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    requested: list[int] = []

    def note(signum: int, frame: object) -> None:
        requested.append(signum)

    def check() -> None:
        if requested:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield check
    finally:
        signal.signal(signal.SIGINT, previous)


class _Splitter:
    """Consecutive frame ranges of one stream of blocks."""

    def __init__(self, chunks: Iterable[Pcm]) -> None:
        self._chunks = iter(chunks)
        self._rest: Pcm | None = None

    def take(self, frames: int) -> Iterator[Pcm]:
        while frames > 0:
            block = self._rest if self._rest is not None else next(self._chunks, None)
            self._rest = None
            if block is None:
                return
            if block.shape[0] > frames:
                self._rest = block[frames:]
                block = block[:frames]
            frames -= block.shape[0]
            yield block

    def drain(self) -> None:
        for _ in self._chunks:
            pass


def export_session(
    timeline: Timeline,
    chunks: Iterable[Pcm],
    rate: int,
    options: ExportOptions,
    tags: Tags,
    names: Mapping[int, str],
    on_progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """Write the session (``chunks``: its rendered blocks at ``rate`` Hz) as ``options`` say.

    ``tags`` are the whole session's (split tracks take their chapter's title and a track
    number); ``names`` maps exercise numbers to names for the labels. Returns the files
    written, audio first. Raises ``InputError`` for an existing file without ``force`` and
    ``ExportError`` for a file that cannot be written; nothing is left behind either way.
    """
    check_export(timeline, options, rate)
    enc = options.encoding
    rendered = _ahead(chunks)
    with (
        _ctrl_c_between_blocks() as check,
        Staging(force=options.force) as staging,
        contextlib.closing(rendered),  # first out: an error or Ctrl-C stops the render thread
    ):
        blocks = _counted(rendered, on_progress, check)
        texts = _sidecar_texts(timeline, options, rate, tags, names)
        for path, text in texts.items():
            staging.write_text(path, text)
        if options.split:
            tracks = _tracks(timeline, options, rate)
            stream = _Splitter(blocks)
            for i, track in enumerate(tracks, 1):
                track_tags = replace(tags, title=track.span.title, track=(i, len(tracks)))
                part = stream.take(track.last - track.first)
                _encode_into(
                    staging, track.path, part, rate, enc, track_tags, channels=options.channels
                )
            stream.drain()
        else:
            _encode_into(
                staging,
                options.output,
                blocks,
                rate,
                enc,
                tags,
                _spans(timeline),
                channels=options.channels,
            )
        check()
        written = staging.commit(check)  # a Ctrl-C during the renames takes them back
    audio = [p for p in written if p not in texts]
    return audio + [p for p in written if p in texts]
