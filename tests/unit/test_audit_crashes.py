"""The audit trail's crash states (accepted, with a note), its bad input (exit 2, no traceback) and --all."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from tests.unit.audit_chain import SID, SLOT, Chain, make_chain, run_turns, verdict


@pytest.fixture
def chain(fake_settings, monkeypatch) -> Chain:
    return make_chain(fake_settings, monkeypatch)


def _splice_other_session(c: Chain) -> None:
    other = (c.log.parent / "other-1.audit.jsonl").read_text().splitlines(keepends=True)
    lines = c.lines()
    lines[1] = other[1]
    c.write(lines)


# -- crashes: accepted, and said --------------------------------------------------------------------


def test_a_line_half_written_by_a_crash_is_accepted_with_a_note(chain):
    before, head_before = chain.snapshots[-2]
    final = chain.snapshots[-1][0]
    chain.log.write_bytes(before + final[len(before):][:50])  # the last append stopped after 50 bytes
    chain.head.write_bytes(head_before)
    code, data = verdict()
    assert code == 0 and data["ok"] and "half-written" in data["note"]
    assert data["lines"] == len(before.splitlines())


def test_a_head_one_line_behind_after_a_crash_is_accepted_with_a_note(chain):
    chain.restore(-2, log=False)
    code, data = verdict()
    assert code == 0 and "one line behind" in data["note"]


def test_a_head_update_torn_by_a_crash_is_accepted_with_a_note(chain):
    chain.restore(-1, head=False)
    index = chain.top()[0]
    new, old = chain.slots()[index], chain.snapshots[-2][1][index * SLOT:(index + 1) * SLOT]
    chain.write_slot(index, new[:100] + old[100:])  # the in-place write stopped after 100 bytes
    code, data = verdict()
    assert code == 0 and "torn" in data["note"]


def test_the_next_append_after_a_crash_leaves_an_intact_chain(chain):
    test_a_line_half_written_by_a_crash_is_accepted_with_a_note(chain)
    run_turns(chain.settings, SID, ["hello"])
    code, data = verdict()
    assert code == 0 and data["note"] == ""


# -- bad input and --all -----------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["nobody"], ["../../etc/passwd"], [SID, "--all"], []])
def test_unknown_hostile_or_ambiguous_targets_exit_2_without_a_traceback(chain, args):
    result = CliRunner().invoke(app, ["audit", "verify", *args])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_verify_without_any_key_refuses_with_exit_2(chain, monkeypatch):
    monkeypatch.delenv("VOICEBOT_AUDIT_KEY")
    result = CliRunner().invoke(app, ["audit", "verify", SID, "--json"])
    assert result.exit_code == 2 and "no audit key" in json.loads(result.stdout)["error"]["message"]
    assert not (chain.settings.home / "keys" / "audit.key").exists()  # verify never makes a key


def test_verify_all_checks_every_session_and_names_the_broken_one(chain):
    code, data = verdict("--all")
    assert code == 0 and data["checked"] == 2 and data["failed"] == 0
    _splice_other_session(chain)
    code, data = verdict("--all")
    assert code == 1 and data["failed"] == 1
    assert [s["session_id"] for s in data["sessions"] if not s["ok"]] == [SID]


def test_the_human_output_names_the_problem(chain):
    chain.write(chain.lines()[1:])  # the first line deleted
    result = CliRunner().invoke(app, ["audit", "verify", SID])
    assert result.exit_code == 1 and "NOT intact" in result.output and "line 1" in result.output
