"""``voicebot audit verify ID|--all``: check the HMAC-chained audit trail of one session or of every session."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from orchestrator.audit import VerifyResult, chain_ids, verify_audit
from orchestrator.audit.key import AuditKey, load_audit_key
from orchestrator.cli.common import EXIT_FAILED, EXIT_USAGE, fail, load_settings, print_json, voicebot_errors
from orchestrator.config import Settings
from orchestrator.errors import SessionNotFoundError
from orchestrator.sessions.ids import SESSION_ID_PATTERN, session_file, validate_session_id

__all__ = ["audit_app"]

audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)

_MISSING = "the audit chain is missing, but the session's event log exists (the chain was deleted)"


def _logged(settings: Settings, sid: str) -> bool:
    """True when the session has an event log: every logged event was also appended to its chain."""
    return session_file(settings.logs_dir, sid, ".jsonl").exists()


def _check(settings: Settings, key: AuditKey, sid: str) -> VerifyResult:
    """One session's verdict; ``SessionNotFoundError`` when nothing at all knows the session."""
    try:
        return verify_audit(settings.audit_dir, sid, key)
    except FileNotFoundError:
        if _logged(settings, sid):
            return VerifyResult(False, 0, None, _MISSING)
        raise SessionNotFoundError(f"no audit chain and no event log for session {sid!r}") from None


def _logged_ids(settings: Settings) -> list[str]:
    folder = settings.logs_dir
    if not folder.is_dir():
        return []
    return [p.stem for p in folder.glob("*.jsonl") if SESSION_ID_PATTERN.fullmatch(p.stem)]


@audit_app.command("verify")
def verify_command(
    session_id: Annotated[str | None, typer.Argument(help="Session id (or --all).")] = None,
    every: Annotated[bool, typer.Option("--all", help="Check every session's chain.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Check every line's MAC, the chain order and the head; exit 1 on any edited, deleted, reordered, appended
    or cut line, a missing or foreign head, or a wrong key (VOICEBOT_AUDIT_KEY)."""
    settings = load_settings(as_json=as_json)
    if every == (session_id is not None):
        fail("name one session, or give --all", EXIT_USAGE, as_json=as_json, category="usage")
    with voicebot_errors(as_json):
        key = load_audit_key(settings.home, create=False)
        if session_id is not None:
            sid = validate_session_id(session_id)
            results = {sid: _check(settings, key, sid)}
        else:
            ids = sorted(set(chain_ids(settings.audit_dir)) | set(_logged_ids(settings)))
            results = {sid: _check(settings, key, sid) for sid in ids}
    failed = [sid for sid, r in results.items() if not r.ok]
    if as_json:
        entries = [{"session_id": sid, **r.as_dict()} for sid, r in results.items()]
        out: dict[str, Any] = {"key_id": key.key_id, "key_source": key.source}
        if every:
            out |= {"ok": not failed, "checked": len(entries), "failed": len(failed), "sessions": entries}
        else:
            out |= entries[0]
        print_json(out)
    else:
        _print(results, key, every)
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _print(results: dict[str, VerifyResult], key: AuditKey, every: bool) -> None:
    out, err = Console(highlight=False, soft_wrap=True), Console(stderr=True, highlight=False, soft_wrap=True)
    for sid, result in results.items():
        if result.ok:
            if not every or result.note:
                note = f" ({result.note})" if result.note else ""
                out.print(f"audit chain of {sid}: {result.lines} lines, intact{note}", markup=False)
        else:
            where = f"line {result.bad_line}: " if result.bad_line else ""
            err.print(f"audit chain of {sid} is NOT intact: {where}{result.reason}", markup=False)
    failed = sum(not r.ok for r in results.values())
    if every:
        out.print(f"{len(results)} chains checked with key {key.key_id} ({key.described}): "
                  f"{len(results) - failed} intact, {failed} NOT intact", markup=False)

