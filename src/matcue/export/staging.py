"""Write a set of files all or nothing: temporary files next to their targets, renamed at the end.

Each target gets a hidden temporary file in its own folder (``.NAME.PID-XXXXXXXX.part``, PID
the process that owns it), so the final rename never crosses file systems. The first file
staged in a folder removes the temporary files there that a killed export left behind and no
live process owns (:mod:`matcue.audio.leftovers`). :meth:`Staging.commit` renames them all
over their targets once every one is complete; any error or Ctrl-C before that removes the
temporary files and leaves the targets as they were. Without ``force``, an existing target is
refused before anything is written, and again at the rename (a hard link, which fails if the
name was taken meanwhile).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType

from matcue.audio.leftovers import PART, sweep_folder
from matcue.errors import ExportError, InputError

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


def describe_os_error(path: Path, err: OSError) -> str:
    """One sentence saying why ``path`` could not be written."""
    if err.errno == errno.ENOENT:
        return f"cannot write {path}: the folder {path.parent} does not exist"
    reason = _REASONS.get(err.errno or 0)
    if reason is None:
        reason = (err.strerror or str(err)).rstrip(".").lower()
    return f"cannot write {path}: {reason}"


def refuse_existing(targets: Iterable[Path]) -> None:
    """Raise ``InputError`` for the first target that exists (a directory is left to the
    writing, which says "it is a directory")."""
    for path in targets:
        if path.exists() and not path.is_dir():
            raise InputError(f"{path} already exists; add --force to replace it")


def unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


class Staging:
    """Temporary files for a set of targets, committed together (a context manager)."""

    def __init__(self, *, force: bool) -> None:
        self.force = force
        self._staged: list[tuple[Path, Path]] = []  # (temporary, target)
        self._done = False
        self._swept: set[Path] = set()  # folders cleared of stale temporary files

    def __enter__(self) -> Staging:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if not self._done:
            self.abort()

    def temporary(self, target: Path) -> Path:
        """Create the (empty) temporary file for ``target`` and return its path."""
        if target.parent not in self._swept:
            self._swept.add(target.parent)
            sweep_folder(target.parent, PART, ".*.part")
        tmp = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.part")
        self._staged.append((tmp, target))  # first: a Ctrl-C from here on still cleans it up
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except OSError as err:
            self._staged.pop()
            raise ExportError(describe_os_error(target, err)) from err
        os.close(fd)
        return tmp

    @contextlib.contextmanager
    def opened(self, target: Path) -> Iterator[tuple[int, Path]]:
        """The temporary file for ``target`` (descriptor and path), open for reading and
        writing while the block runs."""
        tmp = self.temporary(target)
        try:
            fd = os.open(tmp, os.O_RDWR | os.O_CLOEXEC)
        except OSError as err:
            raise ExportError(describe_os_error(target, err)) from err
        try:
            yield fd, tmp
        except OSError as err:
            raise ExportError(describe_os_error(target, err)) from err
        finally:
            os.close(fd)

    def write_text(self, target: Path, text: str) -> None:
        """Stage ``target`` with ``text`` (UTF-8, newlines as given)."""
        data = memoryview(text.encode("utf-8"))
        with self.opened(target) as (fd, _):
            while data:
                data = data[os.write(fd, data) :]

    def commit(self, check: Callable[[], None] | None = None) -> list[Path]:
        """Rename every temporary file over its target; the targets, in staging order.

        ``check`` is called after each rename; if it raises (say a Ctrl-C noted meanwhile),
        the files this commit added are taken back (files replaced under ``force`` stay
        replaced: their old contents are gone) and the error goes on.
        """
        if not self.force:
            refuse_existing(target for _, target in self._staged)
        for tmp, target in self._staged:  # every byte on disk before any name changes
            try:
                _fsync_file(tmp)
            except OSError as err:
                raise ExportError(describe_os_error(target, err)) from err
        created: list[Path] = []
        try:
            for tmp, target in self._staged:
                existed = target.exists()
                self._place(tmp, target)
                if not existed:
                    created.append(target)
                if check is not None:
                    check()
        except BaseException:
            for target in created:  # all or nothing: take back the files this export added
                unlink_quietly(target)
            raise
        finally:
            self._done = True
            for tmp, _ in self._staged:
                unlink_quietly(tmp)
        folders = {target.parent for _, target in self._staged}
        for folder in folders:
            _fsync_dir(folder)
        return [target for _, target in self._staged]

    def _place(self, tmp: Path, target: Path) -> None:
        if target.is_dir():
            raise ExportError(describe_os_error(target, IsADirectoryError(errno.EISDIR, "")))
        try:
            if self.force:
                os.replace(tmp, target)
                return
            try:
                os.link(tmp, target)  # fails if the name was taken since the check
            except FileExistsError:
                raise InputError(f"{target} already exists; add --force to replace it") from None
            except OSError as err:
                if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                    raise
                refuse_existing([target])  # no hard links here (FAT, some network shares)
                os.replace(tmp, target)
        except OSError as err:
            raise ExportError(describe_os_error(target, err)) from err

    def abort(self) -> None:
        """Remove every temporary file; the targets are untouched."""
        self._done = True
        for tmp, _ in self._staged:
            unlink_quietly(tmp)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Make the renames themselves durable (best effort: not every system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
