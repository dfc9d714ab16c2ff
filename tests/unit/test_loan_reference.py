"""The loan maths against reference values written by others (realdata/loan/loan_reference_values.json).

The file is read at run time, from ``REALDATA`` (tests/conftest.py); no value is copied here.

* Every numpy-financial case is one test. Cases of a function we have
  (pmt, ipmt, ppmt, pv, fv, nper, npv; exact ``Decimal`` in
  ``orchestrator.domain.tvm``) are checked within the case's tolerance, with
  numpy's sign convention (``pv > 0`` gives ``pmt < 0``). Where numpy-financial
  answers NaN or infinity (a period before the first, payments that never
  end a debt) our functions refuse with a ``ValueError``, and the test checks
  that. Cases of the functions we do not have (rate, irr, mirr) are skipped
  with the reason, so the count stays honest.
* Where the file also gives numpy-financial's own ``Decimal`` result, ours
  must agree with it to 20 significant digits.
* Every Regulation Z Appendix J example must give its stated APR within 0.01.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal, localcontext
from typing import Any

import numpy as np
import pytest

from orchestrator.domain import tvm
from orchestrator.domain.loans import PaymentStream, apr, apr_for_level_payments
from tests.conftest import REALDATA

REFERENCE_FILE = REALDATA / "loan" / "loan_reference_values.json"
REFERENCE = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
NPF_CASES: list[dict[str, Any]] = REFERENCE["numpy_financial_cases"]
REGZ_CASES: list[dict[str, Any]] = REFERENCE["regulation_z_appendix_j_cases"]

COVERED = {"pmt", "ipmt", "ppmt", "pv", "fv", "nper", "npv"}
NOT_COVERED = {
    "rate": "the product solves for a rate only as a Reg Z APR (orchestrator.domain.apr), not numpy's rate()",
    "irr": "the product has no internal rate of return of arbitrary cash flows",
    "mirr": "the product has no modified internal rate of return",
}


def _num(value: Any) -> str:
    """A JSON number as the exact decimal it was written as (floats by their shortest repr)."""
    return repr(value) if isinstance(value, float) else str(value)


def _rate(args: dict[str, Any]) -> Decimal | str:
    """The rate, from its exact expression (``"0.08/12"``) when the file gives one."""
    expression = args.get("rate_expr")
    if expression is None:
        return _num(args["rate"])
    top, bottom = expression.split("/")
    with localcontext() as ctx:
        ctx.prec = 50
        return Decimal(top) / Decimal(bottom)


def _when(value: Any) -> int:
    text = str(value)
    return 1 if text in ("1", "begin") or text.startswith("begin") else 0


def _broadcast(args: dict[str, Any]) -> list[dict[str, Any]]:
    """numpy-financial broadcasts list arguments as numpy does; expand them into one call each."""
    keys = [k for k, v in args.items() if isinstance(v, list) and k != "values"]
    if not keys:
        return [args]
    arrays = np.broadcast_arrays(*(np.array(args[k], dtype=object) for k in keys))
    return [{**args, **{k: a.flat[i] for k, a in zip(keys, arrays, strict=True)}} for i in range(arrays[0].size)]


def _call(function: str, args: dict[str, Any], rate: Decimal | str) -> Decimal:
    when = _when(args.get("when", 0))
    fv = _num(args.get("fv", 0))
    if function == "pmt":
        return tvm.pmt(rate, _num(args["nper"]), _num(args["pv"]), fv, when)
    if function == "ipmt":
        return tvm.ipmt(rate, int(args["per"]), _num(args["nper"]), _num(args["pv"]), fv, when)
    if function == "ppmt":
        return tvm.ppmt(rate, int(args["per"]), _num(args["nper"]), _num(args["pv"]), fv, when)
    if function == "pv":
        return tvm.pv(rate, _num(args["nper"]), _num(args["pmt"]), fv, when)
    if function == "fv":
        return tvm.fv(rate, _num(args["nper"]), _num(args["pmt"]), _num(args["pv"]), when)
    if function == "nper":
        return tvm.nper(rate, _num(args["pmt"]), _num(args["pv"]), fv, when)
    if function == "npv":
        return tvm.npv(rate, [_num(v) for v in args["values"]])
    raise AssertionError(f"no call for {function}")


def _close(actual: Decimal, expected: float, tolerance: dict[str, Any] | None) -> bool:
    tolerance = tolerance or {}
    if tolerance.get("exact"):
        return actual == Decimal(_num(expected))
    if "atol" in tolerance:
        return abs(float(actual) - expected) <= float(tolerance["atol"])
    rtol = float(tolerance.get("rtol", 1e-7))
    if rtol >= 1:
        # Upstream passes 4 positionally as assert_allclose's rtol (400 %, no check at all);
        # we hold the value to that many decimals instead, which is stricter.
        return abs(float(actual) - expected) < 1.5 * 10 ** -int(rtol)
    return math.isclose(float(actual), expected, rel_tol=rtol, abs_tol=1e-12)


def _not_finite(value: Any) -> bool:
    return value in ("NaN", "Infinity", "-Infinity") or (isinstance(value, float) and not math.isfinite(value))


def _case_id(case: dict[str, Any]) -> str:
    return f"{case['function']}:{case['source']['test']}"


def test_every_reference_function_is_either_checked_or_skipped_with_a_reason():
    functions = {case["function"] for case in NPF_CASES}
    assert functions <= COVERED | set(NOT_COVERED), functions - COVERED - set(NOT_COVERED)
    assert len(NPF_CASES) >= 44
    assert len(REGZ_CASES) >= 6


@pytest.mark.parametrize("case", NPF_CASES, ids=_case_id)
def test_numpy_financial_case(case: dict[str, Any]) -> None:
    function = case["function"]
    if function in NOT_COVERED:
        pytest.skip(f"not covered: {function}() - {NOT_COVERED[function]}")
    calls = _broadcast(case["args"])
    expected = list(np.array(case["expected"], dtype=object).flat)
    assert len(calls) == len(expected)
    for args, want in zip(calls, expected, strict=True):
        if _not_finite(want):
            # numpy-financial answers NaN / inf (no such period, a debt never repaid); we refuse.
            with pytest.raises(ValueError):
                _call(function, args, _rate(args))
            continue
        got = _call(function, args, _rate(args))
        assert _close(got, float(want), case.get("tolerance")), f"{function}({args}) = {got}, want {want}"


DECIMAL_CASES = [c for c in NPF_CASES if c.get("expected_decimal_exact") and c["function"] in COVERED]


@pytest.mark.parametrize("case", DECIMAL_CASES, ids=_case_id)
def test_numpy_financial_decimal_value_to_20_digits(case: dict[str, Any]) -> None:
    exact = Decimal(case["expected_decimal_exact"].split()[0])
    got = _call(case["function"], case["args"], _rate(case["args"]))
    assert abs(got - exact) <= abs(exact) * Decimal("1e-20"), f"{got} != {exact}"


def test_some_reference_values_are_checked_against_decimal_results_and_level_plans():
    assert len(DECIMAL_CASES) >= 5
    assert len(LEVEL_MONTHLY) >= 2


def _streams(case: dict[str, Any]) -> list[PaymentStream]:
    return [
        PaymentStream(_num(p["amount"]), p["count"], p["first_t_full_unit_periods"], p["f_fraction"])
        for p in case["payments"]
    ]


@pytest.mark.parametrize("case", REGZ_CASES, ids=lambda c: c["source"]["example"])
def test_regulation_z_appendix_j_example(case: dict[str, Any]) -> None:
    got = apr(_num(case["amount_financed"]), _streams(case), _num(case["unit_periods_per_year"]))
    assert abs(got - Decimal(_num(case["stated_apr_percent"]))) <= Decimal("0.01"), got


# The shapes apr_for_level_payments can say: monthly, regular first period, level payments
# (the last may differ).
LEVEL_MONTHLY = [
    c
    for c in REGZ_CASES
    if c["unit_periods_per_year"] == 12
    and all(p["f_fraction"] in ("0", 0) for p in c["payments"])
    and c["payments"][0]["first_t_full_unit_periods"] == 1
    and (len(c["payments"]) == 1 or c["payments"][0]["count"] > 1)
]


@pytest.mark.parametrize("case", LEVEL_MONTHLY, ids=lambda c: c["source"]["example"])
def test_regulation_z_monthly_examples_through_apr_for_level_payments(case: dict[str, Any]) -> None:
    payments = case["payments"]
    months = sum(p["count"] for p in payments)
    first, last = payments[0], payments[-1]
    final = _num(last["amount"]) if len(payments) > 1 else None
    got = apr_for_level_payments(_num(case["amount_financed"]), _num(first["amount"]), months, final)
    assert abs(got - Decimal(_num(case["stated_apr_percent"]))) <= Decimal("0.01"), got
