"""The ``matcue`` command and ``python -m matcue``."""

import sys


def run() -> None:
    """Run the CLI. A Ctrl-C while matcue is still loading also ends quietly with 130."""
    try:
        from matcue.cli import main
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
