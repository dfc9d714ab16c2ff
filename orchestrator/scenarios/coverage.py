"""What a scenario suite exercised of the dialog, and what it never did (``run-scenario --coverage``).

Five areas, each against the full list the product defines:

* intents: the classifier's labels (``nlu/intent_examples``), the rules
  dialog's own (faq, repeat) and the pipeline's consent answers;
* slots: ``dialog/slots.SLOTS``, exercised once a turn holds a value for it;
* states: ``dialog/rules.STATES``;
* prompts: every sentence of ``dialog/phrases.py`` (``ASK`` per slot) and the
  pipeline's own consent answers (``compliance.CONSENT_*``), exercised when a
  reply contains it;
* FAQ entries: ``dialog/faq.FAQS``, by their answer in a reply or a
  ``bank_faq`` tool call naming the topic.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orchestrator import compliance
from orchestrator.dialog import phrases
from orchestrator.dialog.faq import FAQS
from orchestrator.dialog.rules import DIALOG_INTENTS, STATES
from orchestrator.dialog.slots import SLOTS
from orchestrator.events import DialogReply
from orchestrator.nlu.intent_examples import EXAMPLES
from orchestrator.pipeline import TurnResult

__all__ = ["AREAS", "coverage_report", "prompt_texts", "universe"]

AREAS = ("intents", "slots", "states", "prompts", "faqs")
PIPELINE_INTENTS = ("consent",)  # the pipeline answers the recording-consent question itself


def prompt_texts() -> dict[str, str]:
    """Every fixed sentence a caller hears, by name: ``phrases.py`` (``ASK.principal``, ...), consent answers."""
    texts = {name: value for name in phrases.__all__ if isinstance(value := getattr(phrases, name), str)}
    texts.update({f"ASK.{slot}": text for slot, text in phrases.ASK.items()})
    texts.update({name: getattr(compliance, name) for name in compliance.__all__ if name.startswith("CONSENT_")})
    return texts


def universe() -> dict[str, list[str]]:
    """Everything there is to exercise, per area."""
    return {
        "intents": sorted({*EXAMPLES, *DIALOG_INTENTS, *PIPELINE_INTENTS}),
        "slots": list(SLOTS),
        "states": list(STATES),
        "prompts": sorted(prompt_texts()),
        "faqs": [faq.id for faq in FAQS],
    }


def _seen(results: Iterable[TurnResult]) -> dict[str, set[str]]:
    prompts = prompt_texts()
    answers = {faq.answer: faq.id for faq in FAQS}
    seen: dict[str, set[str]] = {area: set() for area in AREAS}
    for result in results:
        seen["intents"].add(result.intent)
        seen["states"].add(result.state)
        seen["slots"].update(k for k, v in result.slots.items() if v is not None)
        seen["prompts"].update(name for name, text in prompts.items() if text in result.reply)
        seen["faqs"].update(faq_id for answer, faq_id in answers.items() if answer in result.reply)
        for event in result.events:
            if isinstance(event, DialogReply):
                seen["faqs"].update(
                    str(c["args"]["topic"]) for c in event.tool_calls
                    if c.get("name") == "bank_faq" and isinstance(c.get("args"), dict) and "topic" in c["args"]
                )
    return seen


def coverage_report(results: Iterable[TurnResult]) -> dict[str, dict[str, Any]]:
    """Per area: what was exercised, what was missed, and the share exercised."""
    seen = _seen(results)
    report: dict[str, dict[str, Any]] = {}
    for area, names in universe().items():
        hit = [n for n in names if n in seen[area]]
        report[area] = {
            "exercised": hit,
            "missed": [n for n in names if n not in seen[area]],
            "total": len(names),
            "ratio": round(len(hit) / len(names), 4) if names else 1.0,
        }
    return report
