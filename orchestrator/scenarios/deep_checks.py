"""Checks on what backs a reply: the tool calls it came from, and figures that agree with the domain.

``tool_calls`` / ``no_tool_calls`` read the ``dialog_reply`` event's record
of the domain functions the dialog ran (the rules dialog and the LLM bridge
both keep one). ``figures_consistent`` is an oracle independent of the
dialog's wording: it parses every figure out of the reply text and checks it
against :mod:`orchestrator.domain`, computed here for the slots the bot
confirmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from orchestrator.events import DialogReply
from orchestrator.pipeline import TurnResult
from orchestrator.scenarios.caller import held_values
from orchestrator.scenarios.checks import CheckResult, cache_outcome, is_quote
from orchestrator.scenarios.figures import stated_figures
from orchestrator.scenarios.goals import domain_figures
from orchestrator.scenarios.model import Expect, ToolCallExpect

__all__ = ["check_figures_consistent", "check_tool_calls", "tool_calls_of"]


def tool_calls_of(result: TurnResult) -> list[dict[str, Any]]:
    """The tool calls recorded on the turn's dialog reply."""
    return [call for e in result.events if isinstance(e, DialogReply) for call in e.tool_calls]


def _same(want: Any, got: Any) -> bool:
    if str(want) == str(got):
        return True
    try:
        return Decimal(str(want)) == Decimal(str(got))
    except ArithmeticError:
        return False


def _matches(want: ToolCallExpect, call: dict[str, Any]) -> bool:
    args = call.get("args") or {}
    return call.get("name") == want.name and all(k in args and _same(v, args[k]) for k, v in want.args.items())


def check_tool_calls(expect: Expect, result: TurnResult) -> list[CheckResult]:
    """Each expected call was made (its arguments a subset of the real ones), and no forbidden one."""
    calls = tool_calls_of(result)
    # A semantic-cache hit replays a stored answer: no dialog ran, so no tool either.
    cached = " (the semantic cache answered: no dialog ran)" if cache_outcome(result) else ""

    def _describe(made: list[dict[str, Any]]) -> str:
        return (", ".join(f"{c.get('name')}({c.get('args')})" for c in made) or "none") + cached

    checks = [
        CheckResult(f"tool_call {want.name}", any(_matches(want, c) for c in calls),
                    f"want {want.name}({want.args}) within: {_describe(calls)}")
        for want in expect.tool_calls
    ]
    if expect.no_tool_calls is True:
        checks.append(CheckResult("no_tool_calls", not calls, f"called: {_describe(calls)}"))
    elif isinstance(expect.no_tool_calls, list):
        bad = [c for c in calls if c.get("name") in expect.no_tool_calls]
        checks.append(CheckResult(f"no_tool_calls {', '.join(expect.no_tool_calls)}", not bad,
                                  f"called: {_describe(bad)}"))
    return checks


def _confirmed_slots(result: TurnResult, earlier: Sequence[TurnResult]) -> dict[str, Any]:
    """The slots as the bot last read them back for confirmation (this turn's, when it never did)."""
    if result.state == "confirming":
        return dict(result.slots)
    confirmations = [r for r in earlier if r.state == "confirming"]
    return dict(confirmations[-1].slots) if confirmations else dict(result.slots)


def check_figures_consistent(result: TurnResult, earlier: Sequence[TurnResult]) -> CheckResult:
    """Every money amount, rate and term the reply states is the confirmed loan's, as the domain computes it."""
    name = "figures_consistent"
    if not (is_quote(result) or result.state == "confirming"):
        return CheckResult(name, True, "the reply states no loan")
    held = held_values(_confirmed_slots(result, earlier))
    if not {"principal", "rate", "term_months"} <= held.keys():
        return CheckResult(name, False, f"the reply quotes, but the bot confirmed no complete loan: {held}")
    months = int(held["term_months"])
    computed = domain_figures(held["principal"], held["rate"], months)
    money = {held["principal"], *(computed[k] for k in ("payment", "final_payment", "total", "total_interest"))}
    apr = computed["apr"]
    wrong: list[str] = []
    stated = stated_figures(result.reply)
    for figure in stated:
        if figure.kind == "money":
            ok = figure.value in money
        elif figure.kind == "percent":
            places = len(format(figure.value, "f").partition(".")[2])
            ok = figure.value == held["rate"] or figure.value == apr.quantize(Decimal(1).scaleb(-places))
        else:
            ok = figure.value == months
        if not ok:
            wrong.append(figure.text)
    if wrong:
        return CheckResult(name, False, f"not the domain's figures for {_loan(held)}: {', '.join(wrong)}")
    return CheckResult(name, True, f"{len(stated)} figures match {_loan(held)}")


def _loan(held: dict[str, Decimal]) -> str:
    return f"${held['principal']:,} at {held['rate']}% over {int(held['term_months'])} months"
