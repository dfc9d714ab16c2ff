"""The banking domain as LLM tools: the model asks, the domain computes.

The bank's FAQ is a tool too, so the figures in its answers (a transfer fee,
opening hours) back the model's words like any computed figure.

Each tool has a JSON schema (the OpenAI/Mistral ``tools`` format, which both
SDKs accept) and a handler over the exact ``Decimal`` functions of
:mod:`orchestrator.domain.loans`. ``run_tool`` never raises: bad arguments
come back to the model as ``{"error": ...}`` so it can ask the caller again.
Every number a tool returns is also kept in ``ToolResult.backing`` with its
role (a payment, an APR, a term in months...): the figure guard accepts a
figure in the reply only when a tool result holds it in the same role. The
FAQ's answers are prose, so their figures get their roles the way the
reply's do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from orchestrator.dialog.faq import match_faq
from orchestrator.dialog.quotes import make_quote
from orchestrator.domain.apr import LoanInputError
from orchestrator.domain.loans import amortization_schedule, max_principal
from orchestrator.llm.guard import Figure, Role, figures_in

__all__ = ["TOOL_SCHEMAS", "ToolResult", "run_tool"]

_LOAN_PARAMS: dict[str, Any] = {
    "principal": {"type": "number", "description": "Amount borrowed, in dollars, e.g. 25000."},
    "annual_rate_percent": {"type": "number", "description": "Nominal annual interest rate in percent, e.g. 6.5."},
    "term_months": {"type": "integer", "description": "Number of monthly payments, e.g. 60 for five years."},
}


def _function(name: str, description: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": sorted(properties)},
        },
    }


TOOL_SCHEMAS: list[dict[str, Any]] = [
    _function(
        "loan_quote",
        "Price a fixed-rate loan: monthly payment, final payment, APR, total repayable and total interest.",
        _LOAN_PARAMS,
    ),
    _function(
        "loan_schedule",
        "The amortization schedule of a fixed-rate loan: the first and last rows and the totals.",
        _LOAN_PARAMS,
    ),
    _function(
        "bank_faq",
        "The bank's own answer to a frequently asked question: opening hours, documents, fees, limits, "
        "branches, statements, passwords, how to contact the bank.",
        {"question": {"type": "string", "description": "The caller's question, in their words."}},
    ),
    _function(
        "affordability",
        "The largest loan a monthly budget can repay at a rate over a term.",
        {
            "monthly_budget": {"type": "number", "description": "What the caller can pay each month, in dollars."},
            "annual_rate_percent": _LOAN_PARAMS["annual_rate_percent"],
            "term_months": _LOAN_PARAMS["term_months"],
        },
    ),
]


@dataclass(frozen=True, slots=True)
class ToolResult:
    """One tool call's outcome, as sent back to the model."""

    name: str
    content: str  # JSON text for the ``tool`` message
    backing: tuple[Figure, ...] = ()  # every figure in the result and its inputs, with its role
    slots: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    ok: bool = True


def _number(args: dict[str, Any], key: str) -> Decimal:
    if key not in args:
        raise LoanInputError(f"{key} is missing")
    value = args[key]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise LoanInputError(f"{key} must be a number")
    try:
        # The model sends JSON numbers; str() keeps 6.5 as 6.5, not its binary float.
        number = Decimal(str(value).replace(",", "").replace("$", "").strip())
    except InvalidOperation:
        raise LoanInputError(f"{key} must be a number") from None
    if not number.is_finite():
        raise LoanInputError(f"{key} must be a finite number")
    return number


def _months(args: dict[str, Any]) -> int:
    months = _number(args, "term_months")
    if months != months.to_integral_value():
        raise LoanInputError("term_months must be a whole number of months")
    return int(months)


def _loan_inputs(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "principal": _number(args, "principal"),
        "rate_percent": _number(args, "annual_rate_percent"),
        "term_months": _months(args),
    }


def _quote(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    slots = _loan_inputs(args)
    quote = make_quote(slots)
    figures = quote.figures()
    result = {**figures, "apr": f"{quote.apr:.2f}", "estimate_only": True}
    return result, slots, figures


def _schedule(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    slots = _loan_inputs(args)
    frame = amortization_schedule(slots["principal"], slots["rate_percent"], slots["term_months"])
    rows = frame.to_dict("records")
    shown = rows if len(rows) <= 6 else rows[:3] + rows[-3:]
    quote = make_quote(slots)
    result = {
        "payments": len(rows),
        "rows": [{k: str(v) for k, v in row.items()} for row in shown],
        "rows_omitted": max(0, len(rows) - len(shown)),
        "total_repayable": str(quote.total),
        "total_interest": str(quote.total_interest),
        "apr": f"{quote.apr:.2f}",
    }
    return result, slots, quote.figures()


def _affordability(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    budget = _number(args, "monthly_budget")
    rate = _number(args, "annual_rate_percent")
    months = _months(args)
    most = max_principal(budget, rate, months)
    result = {"max_principal": str(most), "monthly_budget": str(budget)}
    return result, {"rate_percent": rate, "term_months": months}, {"max_principal": str(most)}


def _faq(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    question = args.get("question")
    if not isinstance(question, str) or not question.strip():
        raise LoanInputError("question must be the caller's question as text")
    faq = match_faq(question)
    if faq is None:
        return {"found": False, "answer": "No FAQ answers this; do not guess figures."}, {}, {}
    return {"found": True, "topic": faq.id, "answer": faq.answer}, {}, {}


_HANDLERS: dict[str, Callable[[dict[str, Any]], tuple[dict[str, Any], dict[str, Any], dict[str, str]]]] = {
    "loan_quote": _quote,
    "loan_schedule": _schedule,
    "affordability": _affordability,
    "bank_faq": _faq,
}


# The role of each number a tool returns (or was given), by its key; see orchestrator.llm.guard.
_FIELD_ROLES: dict[str, Role] = {
    "principal": "amount",
    "max_principal": "amount",
    "total": "amount",
    "total_repayable": "amount",
    "total_interest": "amount",
    "interest": "amount",
    "balance": "amount",
    "payment": "payment",
    "final_payment": "payment",
    "monthly_budget": "payment",
    "apr": "apr",
    "rate_percent": "rate",
    "annual_rate_percent": "rate",
    "term_months": "term",
    "payments": "term",  # the number of monthly payments
    "period": "count",
    "rows_omitted": "count",
}


def _backing(value: Any, key: str = "") -> list[Figure]:
    """Every figure in a tool's result, each in the role its key gives it; prose gets the reply's rules."""
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _backing(v, str(k))]
    if isinstance(value, list):
        return [f for v in value for f in _backing(v, key)]
    if isinstance(value, bool) or value is None:
        return []
    role = _FIELD_ROLES.get(key)
    if role is not None:
        figure = Figure.of(role, value)
        return [figure] if figure is not None else []
    if isinstance(value, str):
        return figures_in(value)  # an FAQ answer: "cost 25 dollars", "9 am to 5 pm"
    return []


def run_tool(name: str, arguments: str | dict[str, Any]) -> ToolResult:
    """Run tool ``name`` with the model's JSON ``arguments``; errors come back as content, never raised."""
    handler = _HANDLERS.get(name)
    if handler is None:
        return ToolResult(name, json.dumps({"error": f"unknown tool {name!r}"}), ok=False)
    try:
        args = json.loads(arguments) if isinstance(arguments, str) else dict(arguments)
        if not isinstance(args, dict):
            raise ValueError("arguments must be a JSON object")
        result, slots, figures = handler(args)
    except json.JSONDecodeError:
        return ToolResult(name, json.dumps({"error": "arguments are not valid JSON"}), ok=False)
    except (LoanInputError, ValueError, TypeError) as exc:
        return ToolResult(name, json.dumps({"error": str(exc)}), ok=False)
    clean_slots = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in slots.items()}
    backing = tuple(_backing(result)) + tuple(_backing(clean_slots))
    return ToolResult(name, json.dumps(result), backing=backing, slots=clean_slots, figures=figures)
