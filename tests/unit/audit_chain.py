"""A real call's audit chain with a snapshot of chain and head after every append, for the audit tests.

The two states a crash can leave (a torn last line; a head one line behind) are rebuilt from those real
bytes, never forged. Every verdict is asked of ``voicebot audit verify --json``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from orchestrator.cli import app
from orchestrator.config import Settings
from tests.conftest import make_pipeline

__all__ = ["KEY", "SID", "SLOT", "Chain", "make_chain", "run_turns", "verdict", "verify"]

KEY = "k" * 40  # VOICEBOT_AUDIT_KEY for these tests
SLOT = 512  # the head file is two slots of this size
SID = "aud-1"


@dataclass
class Chain:
    settings: Settings
    log: Path
    head: Path
    snapshots: list[tuple[bytes, bytes]]  # (log, head) after each append

    def lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines(keepends=True)

    def write(self, lines: list[str]) -> None:
        self.log.write_text("".join(lines), encoding="utf-8")

    def slots(self) -> list[bytes]:
        data = self.head.read_bytes()
        return [data[:SLOT], data[SLOT:]]

    def top(self) -> tuple[int, dict]:
        """The slot index and head of the newest authentic-looking slot."""
        heads = [(i, json.loads(raw)) for i, raw in enumerate(self.slots()) if raw.strip()]
        return max(heads, key=lambda item: item[1]["seq"])

    def write_slot(self, index: int, head: dict | bytes) -> None:
        raw = head if isinstance(head, bytes) else json.dumps(head, sort_keys=True).encode().ljust(SLOT - 1) + b"\n"
        slots = self.slots()
        slots[index] = raw
        self.head.write_bytes(b"".join(slots))

    def restore(self, index: int, *, log: bool = True, head: bool = True) -> None:
        if log:
            self.log.write_bytes(self.snapshots[index][0])
        if head:
            self.head.write_bytes(self.snapshots[index][1])


def run_turns(settings: Settings, session: str, texts: list[str],
              on_append: Callable[[], None] | None = None) -> None:
    async def call() -> None:
        pipeline = make_pipeline(settings)
        if on_append is not None:
            pipeline.tracer.add_sink(lambda _event: on_append())  # runs after the audit sink appended
        try:
            for text in texts:
                await pipeline.run_turn(session, text=text)
        finally:
            pipeline.store.close()

    asyncio.run(call())


def make_chain(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Chain:
    """A three-turn call in ``aud-1`` and a one-turn call in ``other-1``, under ``KEY``; a snapshot per append."""
    monkeypatch.setenv("VOICEBOT_HOME", str(fake_settings.home))
    monkeypatch.setenv("VOICEBOT_AUDIT_KEY", KEY)
    log = fake_settings.audit_dir / f"{SID}.audit.jsonl"
    head = fake_settings.audit_dir / f"{SID}.audit.head"
    made = Chain(fake_settings, log, head, [])
    run_turns(fake_settings, SID, ["hello", "I'd like to borrow $25,000 over 5 years at 6.5%", "yes"],
              lambda: made.snapshots.append((log.read_bytes(), head.read_bytes())))
    run_turns(fake_settings, "other-1", ["hello"])
    return made


def verify(*args: str) -> Result:
    return CliRunner().invoke(app, ["audit", "verify", *(args or (SID,)), "--json"])


def verdict(*args: str) -> tuple[int, dict]:
    result = verify(*args)
    return result.exit_code, json.loads(result.stdout)
