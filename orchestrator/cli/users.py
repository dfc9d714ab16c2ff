"""``voicebot users add|list|remove``: the browser app's login users (VOICEBOT_HOME/users.json).

The browser app asks for a login as soon as the file lists a user (restart it
after the first ``add``); with no users it serves loopback only.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orchestrator.cli.common import load_settings, print_json, voicebot_errors
from orchestrator.errors import InputError
from orchestrator.ui.users import MAX_PASSWORD_CHARS, ROLES, UserStore, check_password, users_file, validate_name

__all__ = ["users_app"]

users_app = typer.Typer(help="Login users of the browser app, with their roles.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
NameArgument = Annotated[str, typer.Argument(help="User name: letters, digits, '.', '_', '@', '-'.")]


def _store(as_json: bool) -> UserStore:
    return UserStore(users_file(load_settings(as_json=as_json).home))


def _read_password(from_stdin: bool) -> str:
    """One line from stdin (piped, or with --password-stdin), else a hidden prompt asked twice."""
    if from_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline(MAX_PASSWORD_CHARS + 2)
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            raise InputError("no password on stdin: pipe it as one line, or leave stdin a terminal to be asked")
        return check_password(password)
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    return check_password(str(password))


@users_app.command("add")
def add_command(
    name: NameArgument,
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)} (qa may replay anyone's session).")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password as one line from stdin, no prompt.")
    ] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Change an existing user's role and password.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Add a user; the password is prompted for (twice), or read from stdin when piped."""
    store = _store(as_json)
    with voicebot_errors(as_json):
        validate_name(name)  # before asking for a password
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        record = store.add(name, role, _read_password(password_stdin), replace=replace)
    if as_json:
        print_json({"user": record.public(), "login": True, "file": str(store.path)})
        return
    Console(highlight=False).print(
        f"{'updated' if replace else 'added'} user {record.name} ({record.role}) in {store.path}; "
        "the browser app asks for a login from its next start", markup=False)


@users_app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """Every user and role (never a password hash); says whether the app's login is on."""
    store = _store(as_json)
    with voicebot_errors(as_json):
        users = store.users()
    if as_json:
        print_json({"users": [u.public() for u in users], "login": bool(users), "file": str(store.path)})
        return
    if not users:
        Console(highlight=False).print("no users: the browser app has no login and serves loopback only",
                                       markup=False)
        return
    table = Table(title=f"{len(users)} users (login on)")
    for column in ("name", "role", "added"):
        table.add_column(column)
    for user in users:
        table.add_row(user.name, user.role, user.created_at.strftime("%Y-%m-%d %H:%M:%S"))
    Console().print(table)


@users_app.command("remove")
def remove_command(name: NameArgument, as_json: JsonOption = False) -> None:
    """Remove a user: no new logins, and at once no qa rights; open chats keep their own sessions."""
    store = _store(as_json)
    with voicebot_errors(as_json):
        removed = store.remove(name)
        left = len(store.users())
    if as_json:
        print_json({"removed": removed.public(), "login": left > 0, "file": str(store.path)})
        return
    tail = f"{left} user(s) left" if left else "no users left: from its next start the app has no login"
    Console(highlight=False).print(f"removed user {removed.name}; {tail}", markup=False)

