"""``voicebot audit verify ID``: check a session's hash-chained audit log."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from orchestrator.audit import verify_audit
from orchestrator.cli.common import EXIT_FAILED, EXIT_USAGE, fail, load_settings, print_json, voicebot_errors
from orchestrator.sessions.ids import validate_session_id

__all__ = ["audit_app"]

audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)


@audit_app.command("verify")
def verify_command(
    session_id: Annotated[str, typer.Argument(help="Session id.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Recompute the session's hash chain; exit 1 if any line was edited, deleted or reordered."""
    settings = load_settings(as_json=as_json)
    with voicebot_errors(as_json):
        sid = validate_session_id(session_id)
    try:
        result = verify_audit(settings.audit_dir, sid)
    except FileNotFoundError as exc:
        fail(str(exc), EXIT_USAGE, as_json=as_json, category="session_not_found")
    if as_json:
        print_json({"session_id": sid, **result.as_dict()})
    elif result.ok:
        Console().print(f"audit log of {sid}: {result.lines} lines, chain intact", markup=False)
    else:
        where = f"line {result.bad_line}: " if result.bad_line else ""
        Console(stderr=True).print(f"audit log of {sid} is NOT intact: {where}{result.reason}", markup=False)
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)
