"""The command line: a thin typer adapter over :mod:`matcue.api`.

- :mod:`~matcue.cli.app`: the typer app and ``main``, the only place that maps errors to exit
  codes;
- :mod:`~matcue.cli.env`: the environment ``main`` is given (streams, folders, playback);
- :mod:`~matcue.cli.options`: the options, made from :mod:`matcue.settings`;
- :mod:`~matcue.cli.routines`, :mod:`~matcue.cli.sessions`, :mod:`~matcue.cli.export`,
  :mod:`~matcue.cli.state`: the commands, one module per group;
- :mod:`~matcue.cli.tables`: text for people; :mod:`~matcue.cli.terminal`: keys, status line,
  progress bar.
"""

from matcue.cli import commands  # registers every command on the app
from matcue.cli.app import ExitStatus, app, main
from matcue.cli.env import Environment, Playback

__all__ = ["Environment", "ExitStatus", "Playback", "app", "commands", "main"]
