"""Expectations and compliance rules, checked against one turn's result.

Each check returns a ``CheckResult`` (name, passed, detail) so a report can
say exactly which expectation failed and why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from orchestrator.compliance import DISCLOSURE_MARKERS
from orchestrator.leakscan import has_card
from orchestrator.pipeline import TurnResult
from orchestrator.scenarios.model import Expect
from orchestrator.textmetrics import wer

__all__ = [
    "CheckResult",
    "cache_outcome",
    "check_apr_disclosed",
    "check_expectations",
    "check_no_card_numbers",
    "has_disclosure",
    "is_quote",
    "same_value",
]

_PAYMENT_RE = re.compile(r"\b(?:monthly payment|payment of|payments of|a month)\b[^.]*\$\d", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One expectation, met or not."""

    name: str
    passed: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"name": self.name, "passed": self.passed, "detail": self.detail}


def _ok(name: str, passed: bool, detail: str) -> CheckResult:
    return CheckResult(name, bool(passed), detail)


def _figure(result: TurnResult, key: str) -> Decimal | None:
    try:
        return Decimal(result.figures[key])
    except (KeyError, InvalidOperation):
        return None


def same_value(want: Any, got: Any) -> bool:
    """Slot equality: numbers by value (``25000`` matches ``"25000.00"``), anything else as text."""
    if str(want) == str(got):
        return True
    if isinstance(want, bool) or isinstance(got, bool) or want is None or got is None:
        return False
    try:
        return Decimal(str(want)) == Decimal(str(got))
    except InvalidOperation:
        return False


def cache_outcome(result: TurnResult) -> bool | None:
    """Whether the semantic cache answered this turn; None while the pipeline does not say.

    Read from ``TurnResult.cache_hit`` when it has one, else from a ``cache_hit`` field on any event.
    """
    direct = getattr(result, "cache_hit", None)
    if isinstance(direct, bool):
        return direct
    for event in result.events:
        flag = getattr(event, "cache_hit", None)
        if isinstance(flag, bool):
            return flag
    return None


def check_expectations(
    expect: Expect, result: TurnResult, *, reference: str | None = None, cache_hit: bool | None = None
) -> list[CheckResult]:
    """Every expectation of a turn that ran to the end."""
    checks: list[CheckResult] = []
    if expect.error is not None:
        checks.append(_ok("error", False, f"expected error {expect.error!r}, but the turn succeeded"))
    if expect.intent is not None:
        checks.append(_ok("intent", result.intent == expect.intent, f"want {expect.intent}, got {result.intent}"))
    if expect.state is not None:
        checks.append(_ok("state", result.state == expect.state, f"want {expect.state}, got {result.state}"))
    if expect.slots is not None:
        wrong = {k: result.slots.get(k) for k, v in expect.slots.items() if not same_value(v, result.slots.get(k))}
        checks.append(_ok("slots", not wrong, f"want {expect.slots} within {result.slots}"))
    for text in expect.contains:
        checks.append(_ok(f"contains {text!r}", text.lower() in result.reply.lower(), result.reply))
    for text in expect.not_contains:
        checks.append(_ok(f"not_contains {text!r}", text.lower() not in result.reply.lower(), result.reply))
    for pattern in expect.regex:
        checks.append(_ok(f"regex {pattern!r}", re.search(pattern, result.reply) is not None, result.reply))
    for key, want in expect.figures.items():
        got = _figure(result, key)
        passed = got is not None and abs(got - want.value) <= want.tolerance
        checks.append(_ok(f"figure {key}", passed, f"want {want.value} ± {want.tolerance}, got {got}"))
    for stage, budget in expect.latency_ms.items():
        ms = result.voice_to_voice_ms if stage == "voice_to_voice" else result.timings_ms.get(stage)
        detail = f"{stage} {ms} ms, budget {budget} ms" if ms is not None else f"stage {stage} did not run"
        checks.append(_ok(f"latency {stage}", ms is not None and ms <= budget, detail))
    if expect.wer_max is not None:
        if result.transcript is None or reference is None:
            checks.append(_ok("wer", False, "no transcript or no reference to score"))
        else:
            score = wer(reference, result.transcript)
            checks.append(_ok("wer", score <= expect.wer_max, f"WER {score:.3f} (max {expect.wer_max}): "
                                                               f"heard {result.transcript!r}"))
    if expect.cache is not None:
        if cache_hit is None:
            checks.append(_ok("cache", False, "this pipeline reports no semantic-cache result"))
        else:
            got_cache = "hit" if cache_hit else "miss"
            checks.append(_ok("cache", got_cache == expect.cache, f"want {expect.cache}, got {got_cache}"))
    return checks


def is_quote(result: TurnResult) -> bool:
    """The reply quotes a payment, a rate or a total (figures, or a payment amount in words)."""
    return bool(result.figures) or bool(_PAYMENT_RE.search(result.reply))


def check_apr_disclosed(result: TurnResult) -> CheckResult | None:
    """Reg Z: a reply that quotes a payment or a rate must state the APR. None if nothing was quoted."""
    if not is_quote(result):
        return None
    return _ok("compliance apr_disclosed", "APR" in result.reply, result.reply)


def check_no_card_numbers(result: TurnResult) -> CheckResult:
    """No card number in the transcript, the reply, or the turn's events, by the independent oracle."""
    texts = {
        "transcript": result.transcript or "",
        "user_text": result.user_text,
        "reply": result.reply,
        "events": json.dumps([e.model_dump(mode="json") for e in result.events]),
    }
    leaks = [where for where, text in texts.items() if has_card(text)]
    return _ok("compliance no_card_numbers", not leaks, f"card number in {', '.join(leaks)}" if leaks else "")


def has_disclosure(reply: str) -> bool:
    """The reply carries the AI-and-recording disclosure."""
    low = reply.lower()
    return all(marker in low for marker in DISCLOSURE_MARKERS)
