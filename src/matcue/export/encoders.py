"""The encoders: rendered int16 blocks into one audio file, staged for an atomic rename.

Each encoder writes into a hidden temporary file next to its target
(:mod:`matcue.export.staging`): soundfile (libsndfile) for WAV, FLAC, Ogg Vorbis, Opus and MP3,
PyAV for M4A. :func:`encode_into` runs one encoder over a stream of blocks, then adds the tags
and chapters (:mod:`matcue.export.metadata`); on any failure the encoder is discarded.

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
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from matcue.audio.files import soundfile_module
from matcue.errors import ExportError
from matcue.export.formats import Encoding
from matcue.export.metadata import Span, Tags, write_metadata
from matcue.export.staging import Staging, describe_os_error

__all__ = ["WRITE_FRAMES", "Pcm", "encode_into", "require_pyav"]

Pcm = npt.NDArray[np.int16]
WRITE_FRAMES = 65536  # the most frames handed to libsndfile at once (Vorbis crashes on more)


def require_pyav() -> ModuleType:
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
        self._av = require_pyav()
        self._rate = rate
        self._layout = "mono" if channels == 1 else "stereo"
        self._time_base = Fraction(1, rate)
        self._frames = 0
        self._container = self._av.open(str(path), "w", format="ipod")
        try:
            # FFmpeg's AAC encoder with its temporal noise shaping on overshot the true-peak
            # ceiling by up to 3 dB, at any bitrate (+1.2 dBTP at 128 kbps); off, it holds from
            # 48 kbps (formats.PEAK_SAFE_KBPS)
            stream = self._container.add_stream("aac", rate=rate, options={"aac_tns": "0"})
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


def encode_into(
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
