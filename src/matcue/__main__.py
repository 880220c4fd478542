"""``python -m matcue``: the same as the ``matcue`` command."""

from matcue.cli import main

main()
