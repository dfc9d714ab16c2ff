"""The ``voicebot`` command: a root Typer app with one module per command."""

from __future__ import annotations

import typer

from orchestrator.cli.bench import bench
from orchestrator.cli.intents import eval_intents
from orchestrator.cli.scenario import run_scenario_command
from orchestrator.cli.turn import turn

__all__ = ["app", "main"]

app = typer.Typer(
    name="voicebot",
    help="VoiceBot Workbench: run and measure the bank's voice pipeline headlessly.\n\n"
    "Exit codes: 0 ok, 1 a check, regression or backend failed, 2 usage or input error.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("turn")(turn)
app.command("bench")(bench)
app.command("eval-intents")(eval_intents)
app.command("run-scenario")(run_scenario_command)


def main() -> None:
    """Console-script entry point."""
    app()
