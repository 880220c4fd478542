"""The ``matcue`` command and ``python -m matcue``."""

import signal
import sys
from types import FrameType


def _as_ctrl_c(signum: int, frame: FrameType | None) -> None:
    """SIGTERM and SIGHUP (``kill``, ``timeout``, systemd, a closed terminal) do what Ctrl-C
    does at that moment: whatever SIGINT's handler is then (an export holds it until a block
    ends), else KeyboardInterrupt. So they end matcue like Ctrl-C: nothing left, "Stopped.",
    exit 130."""
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
        return
    raise KeyboardInterrupt


def run() -> None:
    """Run the CLI. A Ctrl-C (or SIGTERM, SIGHUP) while matcue is still loading also ends
    quietly with 130."""
    try:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) is not signal.SIG_IGN:  # nohup's choice stays
                signal.signal(sig, _as_ctrl_c)
        from matcue.cli import main
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
