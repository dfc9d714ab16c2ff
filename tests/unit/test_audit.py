"""The audit trail against an attacker who can edit every file but does not hold the key: each case via the CLI.

The chain comes from real turns. A snapshot of the chain and head is kept after every append, so
the two states a crash can leave (a torn last line; a head one line behind) are rebuilt from real
bytes, never forged. Every tampering case is run through ``voicebot audit verify --json``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from orchestrator.cli import app
from orchestrator.config import Settings
from tests.conftest import make_pipeline

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


@pytest.fixture
def chain(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Chain:
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


def test_every_line_of_a_real_call_carries_an_hmac_sha256_under_the_key(chain):
    code, data = verdict()
    assert code == 0 and data["ok"] and data["lines"] == len(chain.lines()) > 10 and data["note"] == ""
    prev = "0" * 64
    for number, raw in enumerate(chain.lines(), start=1):
        entry = json.loads(raw)
        body = json.dumps({"session": SID, "seq": number, "prev": prev, "event": entry["event"]},
                          sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        expected = hmac.new(KEY.encode(), b"voicebot-audit-line\x00" + body, hashlib.sha256).hexdigest()
        assert entry["mac"] == expected and entry["prev"] == prev
        prev = entry["mac"]


# -- tampering: each must exit 1 ------------------------------------------------------------------


def _edit_field(c: Chain) -> None:
    lines = c.lines()
    entry = json.loads(lines[4])
    entry["event"]["ms"] = 1.0 if entry["event"].get("ms") != 1.0 else 2.0
    lines[4] = json.dumps(entry, sort_keys=True) + "\n"
    c.write(lines)


def _edit_quote(c: Chain) -> None:
    c.log.write_text(c.log.read_text().replace("489.15", "389.15", 1))


def _delete_middle(c: Chain) -> None:
    lines = c.lines()
    c.write(lines[:3] + lines[4:])


def _delete_first(c: Chain) -> None:
    c.write(c.lines()[1:])


def _reorder(c: Chain) -> None:
    lines = c.lines()
    lines[2], lines[3] = lines[3], lines[2]
    c.write(lines)


def _append_forged(c: Chain) -> None:
    last = json.loads(c.lines()[-1])
    event = {**last["event"], "type": "dialog_reply", "text": "Your APR is 0%."}
    body = json.dumps({"seq": last["seq"] + 1, "event": event}, sort_keys=True).encode()
    forged = {**last, "seq": last["seq"] + 1, "prev": last["mac"], "event": event,
              "mac": hashlib.sha256(last["mac"].encode() + body).hexdigest()}  # the best guess without the key
    c.write([*c.lines(), json.dumps(forged, sort_keys=True) + "\n"])


def _move_head_to_last_line(c: Chain) -> None:
    """What an attacker without the key can do to a head: point it at the chain's new last line."""
    last = json.loads(c.lines()[-1])
    _index, head = c.top()
    c.write_slot(last["seq"] % 2, {**head, "seq": last["seq"], "last": last["mac"]})
    c.write_slot((last["seq"] - 1) % 2, {**head, "seq": last["seq"] - 1, "last": last["prev"]})


def _append_forged_with_head(c: Chain) -> None:
    _append_forged(c)
    _move_head_to_last_line(c)


def _append_copy(c: Chain) -> None:
    c.write([*c.lines(), c.lines()[-1]])


def _splice_other_session(c: Chain) -> None:
    other = (c.log.parent / "other-1.audit.jsonl").read_text().splitlines(keepends=True)
    lines = c.lines()
    lines[1] = other[1]
    c.write(lines)


def _append_garbage(c: Chain) -> None:
    c.write([*c.lines(), "not json\n"])


def _cut_tail(c: Chain) -> None:
    c.write(c.lines()[:-2])


def _cut_tail_and_head(c: Chain) -> None:
    _cut_tail(c)
    c.head.unlink()


def _cut_tail_rewrite_head(c: Chain) -> None:
    _cut_tail(c)
    _move_head_to_last_line(c)


def _cut_line_and_spoil_its_slot(c: Chain) -> None:
    # The older slot records the line before: spoiling the newer one must not pass for a torn update.
    index, _head = c.top()
    c.write(c.lines()[:-1])
    c.write_slot(index, b"x" * (SLOT - 1) + b"\n")


def _cut_line_and_copy_the_older_slot(c: Chain) -> None:
    index, _head = c.top()
    c.write(c.lines()[:-1])
    c.write_slot(index, c.slots()[1 - index])


def _blank_a_slot(c: Chain) -> None:
    index, _head = c.top()
    c.write_slot(1 - index, b" " * (SLOT - 1) + b"\n")


def _old_style_head(c: Chain) -> None:
    _index, head = c.top()
    c.head.write_text(json.dumps({"seq": head["seq"], "hash": head["last"]}))


def _cut_mid_line(c: Chain) -> None:
    data = c.log.read_bytes()
    c.log.write_bytes(data[: len(data) - 40])


def _delete_head(c: Chain) -> None:
    c.head.unlink()


def _foreign_head(c: Chain) -> None:
    shutil.copyfile(c.log.parent / "other-1.audit.head", c.head)


def _foreign_head_renamed(c: Chain) -> None:
    shutil.copyfile(c.log.parent / "other-1.audit.head", c.head)
    for index, raw in enumerate(c.slots()):
        if raw.strip():
            c.write_slot(index, {**json.loads(raw), "session": SID})


def _head_two_behind(c: Chain) -> None:
    c.restore(-3, log=False)


def _torn_line_under_old_head(c: Chain) -> None:
    # A torn line after a line the head does not cover: not a state a crash leaves.
    c.restore(-3)
    last = c.snapshots[-1][0].splitlines(keepends=True)
    c.log.write_bytes(c.log.read_bytes() + last[-2] + last[-1][:30])


def _empty_log(c: Chain) -> None:
    c.log.write_text("")


def _delete_chain_keep_log(c: Chain) -> None:
    c.log.unlink()
    c.head.unlink()


def _legacy_unkeyed(c: Chain) -> None:
    lines = [json.loads(x) for x in c.lines()]
    c.write([json.dumps({"seq": e["seq"], "prev": e["prev"], "hash": e["mac"], "event": e["event"]}) + "\n"
             for e in lines])


TAMPERING = {
    "an edited field": (_edit_field, "edited"),
    "an edited quote": (_edit_quote, "MAC"),
    "a deleted line": (_delete_middle, "deleted"),
    "the first line deleted": (_delete_first, "deleted"),
    "two lines swapped": (_reorder, "sequence"),
    "a forged line appended": (_append_forged, "MAC"),
    "a forged line appended and the head moved to it": (_append_forged_with_head, "MAC"),
    "the last line appended again": (_append_copy, "sequence"),
    "a line from another session": (_splice_other_session, "belongs to session"),
    "a garbage line appended": (_append_garbage, "not a valid audit line"),
    "the tail cut": (_cut_tail, "cut off the end"),
    "the tail cut with its head": (_cut_tail_and_head, "head file is missing"),
    "the tail cut and the head rewritten": (_cut_tail_rewrite_head, "head does not match its MAC"),
    "the last line cut in the middle": (_cut_mid_line, "cut off the end"),
    "the last line cut and its head slot spoilt": (_cut_line_and_spoil_its_slot, "not a keyed head"),
    "the last line cut and the older slot copied over": (_cut_line_and_copy_the_older_slot, "slot was moved"),
    "the older head slot blanked": (_blank_a_slot, "blanked"),
    "a head in the old unkeyed form": (_old_style_head, "not a keyed head"),
    "the head deleted": (_delete_head, "head file is missing"),
    "another session's head": (_foreign_head, "head belongs to session 'other-1'"),
    "another session's head relabelled": (_foreign_head_renamed, "head does not match its MAC"),
    "a head two lines behind": (_head_two_behind, "appended"),
    "a torn line after lines the head does not cover": (_torn_line_under_old_head, "torn line"),
    "every line deleted": (_empty_log, "cut off the end"),
    "the chain and head deleted, the session log kept": (_delete_chain_keep_log, "chain is missing"),
    "a chain without MACs": (_legacy_unkeyed, "without a key"),
}


@pytest.mark.parametrize("case", TAMPERING, ids=list(TAMPERING))
def test_tampering_exits_1_and_says_what_was_found(chain, case):
    tamper, reason = TAMPERING[case]
    tamper(chain)
    code, data = verdict()
    assert code == 1, data
    assert data["ok"] is False and reason in data["reason"]


@pytest.mark.parametrize("case", ["the tail cut with its head", "the head deleted", "the tail cut",
                                  "a garbage line appended"])
def test_tampering_stays_caught_after_the_next_turn_appends(chain, case):
    TAMPERING[case][0](chain)
    run_turns(chain.settings, SID, ["hello"])
    code, data = verdict()
    assert code == 1 and data["ok"] is False, data


def test_a_wrong_key_exits_1(chain, monkeypatch):
    monkeypatch.setenv("VOICEBOT_AUDIT_KEY", "another key that is long enough for an audit key")
    code, data = verdict()
    assert code == 1 and "another key" in data["reason"] and data["bad_line"] == 1


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
    _delete_first(chain)
    result = CliRunner().invoke(app, ["audit", "verify", SID])
    assert result.exit_code == 1 and "NOT intact" in result.output and "line 1" in result.output
