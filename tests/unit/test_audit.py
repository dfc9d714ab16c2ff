"""The hash-chained audit trail: intact after real turns, and every kind of tampering is caught."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.audit import verify_audit
from orchestrator.cli import app
from orchestrator.config import Settings
from tests.conftest import make_pipeline


@pytest.fixture
def audited(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VOICEBOT_HOME", str(fake_settings.home))

    async def call() -> None:
        pipeline = make_pipeline(fake_settings)
        try:
            for text in ("hello", "I'd like to borrow $25,000 over 5 years at 6.5%", "yes"):
                await pipeline.run_turn("aud-1", text=text)
        finally:
            pipeline.store.close()

    asyncio.run(call())
    return fake_settings.audit_dir / "aud-1.audit.jsonl"


def verify(*extra: str):
    return CliRunner().invoke(app, ["audit", "verify", "aud-1", "--json", *extra])


def rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("".join(lines), encoding="utf-8")


def test_the_chain_of_a_real_call_is_intact(audited):
    lines = audited.read_text().splitlines()
    assert len(lines) > 10
    assert [json.loads(line)["seq"] for line in lines] == list(range(1, len(lines) + 1))
    result = verify()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"session_id": "aud-1", "ok": True, "lines": len(lines), "bad_line": None,
                                         "reason": ""}


def test_an_edited_line_is_caught(audited):
    lines = audited.read_text().splitlines(keepends=True)
    entry = json.loads(lines[4])
    entry["event"]["ms"] = 0.0 if entry["event"].get("ms") != 0.0 else 1.0
    lines[4] = json.dumps(entry, sort_keys=True) + "\n"
    rewrite(audited, lines)
    result = verify()
    assert result.exit_code == 1
    assert json.loads(result.stdout)["bad_line"] == 5 and "edited" in json.loads(result.stdout)["reason"]


def test_a_reply_changed_to_hide_a_quote_is_caught(audited):
    text = audited.read_text().replace("489.15", "389.15", 1)
    audited.write_text(text)
    assert verify().exit_code == 1


def test_a_deleted_line_is_caught(audited):
    lines = audited.read_text().splitlines(keepends=True)
    rewrite(audited, lines[:3] + lines[4:])
    data = json.loads(verify().stdout)
    assert data["ok"] is False and data["bad_line"] == 4 and "deleted or moved" in data["reason"]


def test_reordered_lines_are_caught(audited):
    lines = audited.read_text().splitlines(keepends=True)
    lines[2], lines[3] = lines[3], lines[2]
    rewrite(audited, lines)
    assert json.loads(verify().stdout)["bad_line"] == 3


def test_lines_cut_off_the_end_are_caught(audited):
    lines = audited.read_text().splitlines(keepends=True)
    rewrite(audited, lines[:-2])
    result = verify()
    assert result.exit_code == 1 and "cut off the end" in json.loads(result.stdout)["reason"]


def test_a_forged_head_is_caught(audited):
    head = audited.with_name("aud-1.audit.head")
    data = json.loads(head.read_text())
    head.write_text(json.dumps({"seq": data["seq"], "hash": "f" * 64}))
    assert verify().exit_code == 1


def test_a_head_left_behind_by_a_crash_is_accepted(audited):
    lines = audited.read_text().splitlines()
    previous = json.loads(lines[-2])
    audited.with_name("aud-1.audit.head").write_text(json.dumps({"seq": previous["seq"], "hash": previous["hash"]}))
    result = verify_audit(audited.parent, "aud-1")
    assert result.ok and "behind" in result.reason


def test_a_garbage_line_is_caught(audited):
    with audited.open("a") as handle:
        handle.write("not json\n")
    assert verify().exit_code == 1


def test_unknown_and_hostile_sessions_exit_2(audited):
    runner = CliRunner()
    assert runner.invoke(app, ["audit", "verify", "nobody"]).exit_code == 2
    assert runner.invoke(app, ["audit", "verify", "../../etc/passwd"]).exit_code == 2


def test_the_human_output_names_the_problem(audited):
    lines = audited.read_text().splitlines(keepends=True)
    rewrite(audited, lines[1:])
    result = CliRunner().invoke(app, ["audit", "verify", "aud-1"])
    assert result.exit_code == 1 and "NOT intact" in result.output
