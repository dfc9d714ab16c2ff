"""A tamper-evident audit trail: one append-only, HMAC-chained log per session.

Every line carries an HMAC-SHA256 under ``VOICEBOT_AUDIT_KEY`` (or a key
generated once under ``VOICEBOT_HOME``, see ``key``) over its session id, its
sequence number, the previous line's MAC and the (already redacted) event.
A two-slot head file records the chain's end under a MAC of its own. Someone
who can edit the files but does not hold the key cannot write a line or a
head that verifies, so editing, deleting, reordering or appending lines,
splicing in another session's lines, cutting the tail (and rewriting or
deleting the head) and copying another session's head are all caught by
``verify_audit``, and damage the writer finds before it appends is recorded
in the chain itself (``sink``).

What the files alone cannot show: a chain and head both rolled back to a
copy taken earlier, or a session whose chain and event log were both
deleted. Ship heads off the machine if that matters.

    chain.py   the format: lines, MACs, head slots, reading a log's tail
    key.py     the key: environment, or generated with mode 0600
    sink.py    the writer (a tracer sink)
    verify.py  the verdict
"""

from orchestrator.audit.chain import FORMAT, GAP_TYPE, GENESIS, audit_paths, chain_ids
from orchestrator.audit.key import KEY_ENV, AuditKey, key_path, load_audit_key
from orchestrator.audit.sink import AuditSink
from orchestrator.audit.verify import VerifyResult, verify_audit

__all__ = [
    "FORMAT",
    "GAP_TYPE",
    "GENESIS",
    "KEY_ENV",
    "AuditKey",
    "AuditSink",
    "VerifyResult",
    "audit_paths",
    "chain_ids",
    "key_path",
    "load_audit_key",
    "verify_audit",
]
