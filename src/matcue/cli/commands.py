"""Every command, registered on :data:`matcue.cli.app.app` in the order ``--help`` lists them."""

from matcue.cli import export, routines, sessions, state
from matcue.cli.app import app

app.command("validate")(routines.validate_cmd)
app.command("plan")(sessions.plan_cmd)
app.command("play")(sessions.play_cmd)
app.command("history")(state.history_cmd)
app.command("export")(export.export_cmd)
app.command("list")(routines.list_cmd)
app.command("show")(routines.show_cmd)
app.command("voices")(routines.voices_cmd)
app.add_typer(state.config_app, name="config")
