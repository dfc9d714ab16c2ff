"""Shared CLI plumbing: settings with overrides, error-to-exit-code mapping, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from orchestrator.config import Settings
from orchestrator.errors import (
    ConfigError,
    InputError,
    SessionNotFoundError,
    VoicebotError,
)

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "err_console",
    "fail",
    "load_settings",
    "print_json",
    "voicebot_errors",
]

EXIT_OK = 0
EXIT_FAILED = 1  # a check, regression or backend failed
EXIT_USAGE = 2  # bad usage or bad input

err_console = Console(stderr=True)


def print_json(data: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int, *, as_json: bool = False, category: str = "error") -> NoReturn:
    """Report an error (JSON on stdout with --json, else a red line on stderr) and exit."""
    if as_json:
        print_json({"error": {"category": category, "message": message, "exit_code": code}})
    else:
        err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def load_settings(*, as_json: bool = False, **overrides: Any) -> Settings:
    """Settings from the environment, with CLI options (where given) on top; bad values exit 2."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        fail(
            f"invalid setting VOICEBOT_{field.upper()}: {first['msg']}",
            EXIT_USAGE,
            as_json=as_json,
            category="config",
        )


@contextmanager
def voicebot_errors(as_json: bool = False) -> Iterator[None]:
    """Turn the error tree into exit codes with a clear message and no traceback."""
    try:
        yield
    except (ConfigError, InputError, SessionNotFoundError) as exc:
        fail(exc.message, EXIT_USAGE, as_json=as_json, category=exc.category)
    except VoicebotError as exc:
        fail(exc.message, EXIT_FAILED, as_json=as_json, category=exc.category)
