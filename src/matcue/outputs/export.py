"""Write a rendered session to a WAV file, atomically.

The blocks are written through soundfile to a hidden temporary file next to the target, which
is renamed over the target only once everything is on disk. On any failure, Ctrl-C included,
the temporary file is removed: the target is either the complete new file or untouched.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt

from matcue.errors import ExportError

_REASONS: dict[int, str] = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file is too large for this file system",
    errno.EISDIR: "it is a directory",
    errno.ENOTDIR: "part of the path is not a directory",
    errno.ENAMETOOLONG: "the file name is too long",
}


def _soundfile() -> ModuleType:
    try:
        import soundfile
    except (ImportError, OSError) as err:  # OSError: the libsndfile library is missing
        raise ExportError(
            "Exporting needs the soundfile package and the libsndfile library; reinstall matcue."
        ) from err
    module: ModuleType = soundfile
    return module


def describe_os_error(path: Path, err: OSError) -> str:
    """One sentence saying why ``path`` could not be written."""
    if err.errno == errno.ENOENT:
        return f"cannot write {path}: the folder {path.parent} does not exist"
    reason = _REASONS.get(err.errno or 0)
    if reason is None:
        reason = (err.strerror or str(err)).rstrip(".").lower()
    return f"cannot write {path}: {reason}"


class _GuardedFile:
    """A file object for soundfile's virtual I/O that remembers the error instead of raising.

    soundfile calls ``write`` from inside libsndfile; an exception raised there would be
    printed and lost. We keep it (``OSError`` with its errno, or ``KeyboardInterrupt``), return
    a short count so libsndfile reports a failure, and raise the kept error afterwards.
    """

    def __init__(self, raw: io.FileIO) -> None:
        self._raw = raw
        self.error: BaseException | None = None

    def write(self, data: bytes) -> int:
        if self.error is not None:
            return 0
        try:
            view = memoryview(data)
            done = 0
            while done < len(view):
                n = self._raw.write(view[done:])
                if n is None:  # non-blocking only; cannot happen for a regular file
                    raise OSError(errno.EAGAIN, "write would block")
                done += n
            return done
        except BaseException as err:
            self.error = err
            return 0

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def read(self, size: int = -1) -> bytes:
        return self._raw.read(size) or b""


def _block(chunk: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    if chunk.dtype != np.int16 or chunk.ndim != 1:
        raise ValueError(f"export needs mono int16 blocks, got {chunk.dtype} {chunk.shape}")
    return np.ascontiguousarray(chunk)


def _write(sf: ModuleType, fd: int, chunks: Iterable[npt.NDArray[np.int16]], rate: int) -> None:
    """Write the WAV to the open file ``fd``, then flush it to disk."""
    with io.FileIO(fd, "r+", closefd=False) as raw:
        guard = _GuardedFile(raw)
        try:
            out = sf.SoundFile(
                guard, "w", samplerate=rate, channels=1, format="WAV", subtype="PCM_16"
            )
            finished = False
            try:
                for chunk in chunks:
                    out.write(_block(chunk))
                finished = True
            finally:
                if finished:
                    out.close()  # writes the final header; its errors count
                else:
                    with contextlib.suppress(Exception):
                        out.close()
        except Exception:
            if guard.error is None:
                raise
        if guard.error is not None:
            raise guard.error
    os.fsync(fd)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def export_wav(chunks: Iterable[npt.NDArray[np.int16]], rate: int, path: Path) -> Path:
    """Write mono int16 ``chunks`` at ``rate`` Hz to ``path`` as a 16-bit WAV; return ``path``.

    An existing file is replaced, atomically. Raises ``ExportError`` when the file cannot be
    written (missing or unwritable folder, disk full, ...); nothing partial is ever left.
    """
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, got {rate!r}")
    sf = _soundfile()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    except OSError as err:
        raise ExportError(describe_os_error(path, err)) from err
    try:
        try:
            _write(sf, fd, chunks, rate)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as err:
        _unlink_quietly(tmp)
        raise ExportError(describe_os_error(path, err)) from err
    except sf.SoundFileError as err:
        _unlink_quietly(tmp)
        raise ExportError(f"cannot write {path}: {err}") from err
    except BaseException:
        _unlink_quietly(tmp)
        raise
    _fsync_dir(path.parent)
    return path


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
