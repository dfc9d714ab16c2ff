"""``voicebot doctor``: check the install (models, stores, audit key, LLM settings); exit 1 on a failed check."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from orchestrator.cli.common import EXIT_FAILED, load_settings, print_json
from orchestrator.doctor import run_checks

__all__ = ["doctor"]

_MARK = {"ok": "[green]ok[/]  ", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}


def doctor(as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False) -> None:
    """Check that the chosen models are installed, the session and cache stores answer, where the audit key
    comes from, and that an LLM backend has its key or server; exit 1 if any check fails (warnings pass)."""
    settings = load_settings(as_json=as_json)
    checks = run_checks(settings)
    failed = [c for c in checks if c.status == "fail"]
    if as_json:
        print_json({"ok": not failed, "checks": [c.as_dict() for c in checks]})
    else:
        console = Console(highlight=False, soft_wrap=True)
        for check in checks:
            console.print(f"{_MARK[check.status]}  {escape(check.name)}: {escape(check.detail)}")
        warned = sum(c.status == "warn" for c in checks)
        console.print(f"{len(checks)} checks: {len(failed)} failed, {warned} warning(s)")
    if failed:
        raise typer.Exit(EXIT_FAILED)
