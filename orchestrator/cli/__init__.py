"""The ``voicebot`` command: a root Typer app with one module per command."""

from __future__ import annotations

import typer

from orchestrator.cli.adapters import adapters_app
from orchestrator.cli.adapters_compare import compare_command
from orchestrator.cli.audit import audit_app
from orchestrator.cli.bench import bench
from orchestrator.cli.cache import cache_app
from orchestrator.cli.doctor import doctor
from orchestrator.cli.intents import eval_intents
from orchestrator.cli.keys import keys_app
from orchestrator.cli.load import load
from orchestrator.cli.loadtest import load_test
from orchestrator.cli.logs import orchestrator_log
from orchestrator.cli.metrics import metrics_app
from orchestrator.cli.monitor import monitor_session
from orchestrator.cli.replay import replay_session
from orchestrator.cli.report import report
from orchestrator.cli.robustness import robustness
from orchestrator.cli.scenario import run_scenario_command
from orchestrator.cli.serve import serve
from orchestrator.cli.sessions import sessions_app
from orchestrator.cli.turn import turn
from orchestrator.cli.users import users_app

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
app.command("robustness")(robustness)
app.command("load")(load)
app.command("monitor-session")(monitor_session)
app.command("orchestrator-log")(orchestrator_log)
app.command("replay-session")(replay_session)
app.add_typer(sessions_app, name="sessions")
app.add_typer(audit_app, name="audit")
app.add_typer(metrics_app, name="metrics")
app.add_typer(cache_app, name="cache-manager")
adapters_app.command("compare")(compare_command)
app.add_typer(adapters_app, name="adapter-control")
app.add_typer(users_app, name="users")
app.command("report")(report)
app.command("doctor")(doctor)
app.command("serve")(serve)
app.command("load-test")(load_test)
app.add_typer(keys_app, name="keys")


def main() -> None:
    """Console-script entry point."""
    app()
