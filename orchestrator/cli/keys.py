"""``voicebot keys add|list|revoke``: the service's API keys (``VOICEBOT_API_KEYS_FILE``)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orchestrator.cli.common import load_settings, print_json, voicebot_errors
from orchestrator.service.keys import ROLES, KeyStore

__all__ = ["keys_app"]

keys_app = typer.Typer(
    help="API keys of 'voicebot serve': salted hashes with a role each (caller, qa, admin).",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _store(as_json: bool) -> KeyStore:
    return KeyStore(load_settings(as_json=as_json).keys_file)


@keys_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="Who the key is for, e.g. ivr-gateway.")],
    role: Annotated[str, typer.Option("--role", "-r", help=f"One of {', '.join(ROLES)}.")] = "caller",
    as_json: JsonOption = False,
) -> None:
    """Make a key and print it once; only its salted hash is kept.

    caller: turns, reply audio and the media WebSocket; qa: also session state and
    live events; admin: also /metrics.
    """
    with voicebot_errors(as_json):
        record, key = _store(as_json).add(name, role)
    if as_json:
        print_json({"name": record.name, "role": record.role, "key": key})
        return
    Console(highlight=False).print(f"key for {record.name} ({record.role}), shown only now:\n{key}", markup=False)


@keys_app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """The keys: name, role, id and creation time (never the key)."""
    with voicebot_errors(as_json):
        found = _store(as_json).list()
    if as_json:
        print_json({"keys": [{"name": k.name, "role": k.role, "id": k.id, "created_at": k.created_at.isoformat()}
                             for k in found]})
        return
    table = Table(title=f"{len(found)} keys")
    for column in ("name", "role", "id", "created"):
        table.add_column(column)
    for k in found:
        table.add_row(k.name, k.role, k.id, k.created_at.strftime("%Y-%m-%d %H:%M:%S"))
    Console().print(table)


@keys_app.command("revoke")
def revoke_command(
    name: Annotated[str, typer.Argument(help="The key's name.")],
    as_json: JsonOption = False,
) -> None:
    """Delete a key; a running service refuses it from its next request."""
    with voicebot_errors(as_json):
        record = _store(as_json).revoke(name)
    if as_json:
        print_json({"revoked": record.name, "role": record.role})
    else:
        Console(highlight=False).print(f"revoked {record.name}", markup=False)
