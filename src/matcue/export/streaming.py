"""The stream of rendered blocks on its way to the encoders: rendered ahead in a worker thread,
counted for the progress bar, cut into tracks, and Ctrl-C held until it is safe between blocks.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import cast

from matcue.export.encoders import Pcm

__all__ = ["AHEAD", "Splitter", "ahead", "counted", "ctrl_c_between_blocks"]


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END = object()
AHEAD = 2  # blocks rendered ahead of the encoder


def ahead(chunks: Iterable[Pcm], depth: int = AHEAD) -> Generator[Pcm, None, None]:
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


def counted(
    chunks: Iterable[Pcm], on_progress: Callable[[int], None] | None, check: Callable[[], None]
) -> Iterator[Pcm]:
    for chunk in chunks:
        check()
        yield chunk
        if on_progress is not None:
            on_progress(int(chunk.shape[0]))
    check()


@contextlib.contextmanager
def ctrl_c_between_blocks() -> Iterator[Callable[[], None]]:
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


class Splitter:
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
