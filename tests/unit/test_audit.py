"""The audit trail against an attacker who can edit every file but does not hold the key: each case via the CLI.

The chain comes from real turns (``tests/unit/audit_chain.py``); every tampering case is run through
``voicebot audit verify --json`` and must exit 1 with a reason that says what was found.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil

import pytest

from tests.unit.audit_chain import KEY, SID, SLOT, Chain, make_chain, run_turns, verdict


@pytest.fixture
def chain(fake_settings, monkeypatch) -> Chain:
    return make_chain(fake_settings, monkeypatch)


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


def _head_made_a_folder(c: Chain) -> None:
    c.head.unlink()
    c.head.mkdir()


def _chain_made_a_folder(c: Chain) -> None:
    c.log.unlink()
    c.log.mkdir()


def _binary_garbage_appended(c: Chain) -> None:
    c.log.write_bytes(c.log.read_bytes() + b"\xff\xfe\x00 not text\n")


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
    "the head replaced by a folder": (_head_made_a_folder, "cannot be read"),
    "the chain replaced by a folder": (_chain_made_a_folder, "cannot be read"),
    "binary garbage appended": (_binary_garbage_appended, "not a valid audit line"),
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
