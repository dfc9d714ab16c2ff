"""``verify_audit``: every line's MAC and place, then the head, under the key.

A head may lag only as a crash leaves it, and the verdict says so in its
``note``: a torn last line under an up-to-date head, a head one line behind
a complete last line, or the slot of that line's head update torn. Anything
else the head disagrees with is tampering.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.audit.chain import GAP_TYPE, GENESIS, Slot, audit_paths, line_mac, read_slots
from orchestrator.audit.key import AuditKey

__all__ = ["VerifyResult", "verify_audit"]


@dataclass(frozen=True)
class VerifyResult:
    """The chain's verdict: ``ok``, how many lines, the first problem, and a note on a crash it accepted."""

    ok: bool
    lines: int
    bad_line: int | None = None
    reason: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"ok": self.ok, "lines": self.lines, "bad_line": self.bad_line, "reason": self.reason,
                "note": self.note}


@contextmanager
def _shared(log: Path) -> Iterator[bytes | None]:
    """The log's bytes under a shared lock (so no append runs in between), or None when there is no log."""
    try:
        fd = os.open(log, os.O_RDONLY)
    except FileNotFoundError:
        yield None
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        with os.fdopen(os.dup(fd), "rb") as handle:
            yield handle.read()
    finally:
        os.close(fd)


def verify_audit(audit_dir: Path, session_id: str, key: AuditKey) -> VerifyResult:
    """Check one session's chain and head under ``key``.

    Raises ``FileNotFoundError`` when the session has neither a chain nor a head.
    """
    log, head = audit_paths(audit_dir, session_id)
    try:
        with _shared(log) as data:
            slots = read_slots(head, key, session_id)
    except OSError as exc:  # a folder, or unreadable: not a chain that verifies
        return VerifyResult(False, 0, None, f"the chain cannot be read ({exc.strerror or exc})")
    if data is None and slots is None:
        raise FileNotFoundError(f"no audit chain for session {session_id!r}")
    *complete, fragment = (data or b"").split(b"\n")
    macs = [GENESIS]
    for number, line in enumerate(complete, start=1):
        problem, mac = _check_line(line, number, session_id, macs[-1], key)
        if problem:
            return VerifyResult(False, len(complete), number, problem)
        macs.append(mac)
    if slots is None:
        return VerifyResult(False, len(complete), None, "the head file is missing (deleted, or the chain was cut "
                                                        "with it)")
    return _check_head(slots, macs, bool(fragment))


def _check_line(raw: bytes, number: int, sid: str, prev: str, key: AuditKey) -> tuple[str, str]:
    """(why line ``number`` is not the next authentic line of ``sid``'s chain or '', its MAC)."""
    try:
        entry = json.loads(raw)
    except ValueError:
        return "not a valid audit line", ""
    if not isinstance(entry, dict):
        return "not a valid audit line", ""
    if "hash" in entry and "mac" not in entry:
        return "written by an older version without a key: it cannot be authenticated", ""
    seq, event, stated_prev, mac = entry.get("seq"), entry.get("event"), entry.get("prev"), entry.get("mac")
    session, kid = entry.get("session"), entry.get("kid")
    if not (type(seq) is int and isinstance(mac, str) and isinstance(stated_prev, str) and "event" in entry):
        return "not a valid audit line", ""
    if session != sid:
        return f"the line belongs to session {str(session)[:64]!r} (copied from its chain)", ""
    if kid != key.key_id:
        return f"signed with another key (key id {str(kid)[:16]}; this key is {key.key_id})", ""
    if seq != number:
        return f"sequence {seq} where {number} was due (a line was deleted, moved or inserted)", ""
    if stated_prev != prev:
        return "does not chain to the line before it", ""
    if line_mac(key, sid, seq, stated_prev, event) != mac:
        return "its content does not match its MAC (edited, or forged without the key)", ""
    if isinstance(event, dict) and event.get("type") == GAP_TYPE:
        return f"the writer found the chain damaged here: {str(event.get('found'))[:200]}", ""
    return "", mac


def _check_head(slots: tuple[Slot, Slot], macs: list[str], fragment: bool) -> VerifyResult:
    lines = len(macs) - 1
    valid = [s for s in slots if s.seq is not None]
    if not valid:
        return VerifyResult(False, lines, None, slots[0].problem or slots[1].problem or "the head is blank")
    top = max(valid, key=lambda s: s.seq or 0)
    seq = top.seq or 0
    other = slots[1 - top.index]
    if seq > lines:
        return VerifyResult(False, lines, lines + 1, f"the chain ends at line {lines} but the head records line "
                                                     f"{seq} (lines were cut off the end)")
    if macs[seq] != top.last:
        return VerifyResult(False, lines, seq or None, f"line {seq} is not the line the head records")
    torn_update = not other.valid and seq == lines - 1 and other.index == lines % 2 and not fragment
    fresh = other.blank and seq == lines == 0
    if not other.valid and not torn_update and not fresh:
        return VerifyResult(False, lines, None, other.problem or "a head slot was blanked")
    if seq == lines and fragment:
        return VerifyResult(True, lines, note=f"line {lines + 1} is half-written (a crash during an append); "
                                              "it is not part of the chain and the next append removes it")
    if fragment:
        return VerifyResult(False, lines, lines + 1, "a torn line follows a line the head does not cover")
    if seq == lines:
        return VerifyResult(True, lines)
    if seq == lines - 1:
        how = "its update was torn by a crash" if torn_update and not other.blank else \
            "a crash between an append and the head update"
        return VerifyResult(True, lines, note=f"the head is one line behind ({how})")
    return VerifyResult(False, lines, seq + 1, f"{lines - seq} lines follow line {seq}, the last the head "
                                               "records (appended)")
