"""Which answers may be cached, for how long, and in which dialog states they may be served.

* **Per intent.** FAQ-like answers (``faq``, ``help``, ``greeting``) are
  shared by every caller who asks the same thing. Loan answers
  (``loan_quote``, ``mortgage``) depend on the caller's figures, so they are
  keyed by them (the question's slot signature, see ``keys.py``) and live an
  hour at most: rates change. Anything about the caller's own money or card
  (``balance``, ``transfer``, ``lost_card``, hand-offs) and anything
  unknown is never cached.
* **Per dialog state.** An answer depends on what was said before: a "yes"
  while the bot waits for a confirmation must reach the dialog. So the cache
  is used only when the session's dialog memory is *neutral*: state ``start``,
  nothing asked, no loan slots, no failed re-prompt, and no memory key this
  module does not know. Entries are made only from neutral turns too, so the
  memory change a cached answer made once can be replayed on another neutral
  session (``memory_delta``).
* **LLM sessions.** An LLM backend's conversation history (``llm_history``)
  belongs to its session: a neutral session with a history may be answered
  from the cache, but only a turn with no history before it (nothing the
  model's answer could have leaned on) makes an entry (``is_context_free``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "INTENT_POLICIES",
    "NEUTRAL_KEYS",
    "IntentPolicy",
    "is_context_free",
    "is_neutral",
    "memory_delta",
    "policy_for",
]

Mode = Literal["shared", "slots", "never"]


@dataclass(frozen=True, slots=True)
class IntentPolicy:
    """How the answers of one intent are cached; ``max_ttl_s`` caps the configured TTL."""

    mode: Mode
    max_ttl_s: float | None = None

    @property
    def cacheable(self) -> bool:
        """True unless the intent is never cached."""
        return self.mode != "never"

    def ttl_s(self, configured: float) -> float:
        """The lifetime of a new entry given ``VOICEBOT_CACHE_TTL_S``."""
        return configured if self.max_ttl_s is None else min(configured, self.max_ttl_s)


_NEVER = IntentPolicy("never")
INTENT_POLICIES: dict[str, IntentPolicy] = {
    "faq": IntentPolicy("shared"),
    "help": IntentPolicy("shared"),
    "greeting": IntentPolicy("shared"),
    "loan_quote": IntentPolicy("slots", max_ttl_s=3600.0),
    "mortgage": IntentPolicy("slots", max_ttl_s=3600.0),
    "balance": _NEVER,
    "transfer": _NEVER,
    "lost_card": _NEVER,
    "human_handoff": _NEVER,
    "goodbye": _NEVER,
    "repeat": _NEVER,
    "consent": _NEVER,
    "out_of_scope": _NEVER,
}

# Memory keys of the rules dialog (and the pipeline's "disclosed") whose neutral values are known.
NEUTRAL_KEYS = frozenset(
    {"state", "failures", "asked", "loan", "product", "last_reply", "last_figures", "quote", "disclosed",
     "llm_history"}
)
# Keys that belong to the session, never to an answer: not replayed from one session to another.
_SESSION_KEYS = frozenset({"disclosed", "llm_history"})
# Keys every answer sets (even to the value they had), so a replay sets them too.
_ALWAYS_SET = frozenset({"state", "failures", "asked", "last_reply", "last_figures"})


def policy_for(intent: str) -> IntentPolicy:
    """The intent's policy; unknown intents are never cached."""
    return INTENT_POLICIES.get(intent, _NEVER)


def is_neutral(memory: Mapping[str, Any]) -> bool:
    """True when nothing said earlier in the session can change the answer to the next question."""
    if set(memory) - NEUTRAL_KEYS:
        return False
    return (
        str(memory.get("state") or "start") == "start"
        and not memory.get("asked")
        and not memory.get("loan")
        and not int(memory.get("failures") or 0)
    )


def is_context_free(memory: Mapping[str, Any]) -> bool:
    """Neutral, and no LLM history the answer could depend on: a turn that may make an entry."""
    return is_neutral(memory) and not memory.get("llm_history")


def memory_delta(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any] | None:
    """What an answer changed in the dialog memory; None if it removed a key (not replayable)."""
    if set(before) - set(after):
        return None
    return {
        k: v
        for k, v in after.items()
        if k not in _SESSION_KEYS and (k in _ALWAYS_SET or k not in before or before[k] != v)
    }
