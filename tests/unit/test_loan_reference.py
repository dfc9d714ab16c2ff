"""The loan maths against reference values written by others (realdata/loan).

Every numpy-financial case whose function we have (pmt, ipmt, ppmt, pv, fv,
nper, npv) is checked within its tolerance; the others (rate, irr, mirr)
are reported as skipped with the reason. Every Regulation Z Appendix J
example must give its stated APR within 0.01.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from orchestrator.domain import tvm
from orchestrator.domain.apr import PaymentStream, apr
from tests.conftest import REALDATA

REFERENCE = json.loads((REALDATA / "loan" / "loan_reference_values.json").read_text(encoding="utf-8"))
NPF_CASES = REFERENCE["numpy_financial_cases"]
REGZ_CASES = REFERENCE["regulation_z_appendix_j_cases"]
COVERED = {"pmt", "ipmt", "ppmt", "pv", "fv", "nper", "npv"}


def _num(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _when(value: Any) -> int:
    text = str(value)
    return 1 if text in ("1", "begin") or text.startswith("begin") else 0


def _broadcast(args: dict[str, Any]) -> list[dict[str, Any]]:
    """numpy-financial broadcasts list arguments (as numpy does); expand them into one call each."""
    keys = [k for k, v in args.items() if isinstance(v, list) and k != "values"]
    if not keys:
        return [args]
    arrays = np.broadcast_arrays(*(np.array(args[k], dtype=object) for k in keys))
    return [{**args, **{k: a.flat[i] for k, a in zip(keys, arrays, strict=True)}} for i in range(arrays[0].size)]


def _call(function: str, args: dict[str, Any]) -> Decimal:
    a = {k: v for k, v in args.items() if k != "rate_expr"}
    when = _when(a.get("when", 0))
    rate = _num(a["rate"])
    if function == "pmt":
        return tvm.pmt(rate, _num(a["nper"]), _num(a["pv"]), _num(a.get("fv", 0)), when)
    if function in ("ipmt", "ppmt"):
        fn = tvm.ipmt if function == "ipmt" else tvm.ppmt
        return fn(rate, int(a["per"]), _num(a["nper"]), _num(a["pv"]), _num(a.get("fv", 0)), when)
    if function == "pv":
        return tvm.pv(rate, _num(a["nper"]), _num(a["pmt"]), _num(a.get("fv", 0)), when)
    if function == "fv":
        return tvm.fv(rate, _num(a["nper"]), _num(a["pmt"]), _num(a["pv"]), when)
    if function == "nper":
        return tvm.nper(rate, _num(a["pmt"]), _num(a["pv"]), _num(a.get("fv", 0)), when)
    if function == "npv":
        return tvm.npv(rate, [_num(v) for v in a["values"]])
    raise AssertionError(function)


def _close(actual: Decimal, expected: float, tolerance: dict[str, Any] | None) -> bool:
    tolerance = tolerance or {}
    if tolerance.get("exact"):
        return actual == Decimal(_num(expected))
    if "atol" in tolerance:
        return abs(float(actual) - expected) <= float(tolerance["atol"])
    rtol = float(tolerance.get("rtol", 1e-7))
    if rtol >= 1:  # numpy's assert_almost_equal(..., decimal=N), recorded as an integer
        return abs(float(actual) - expected) < 1.5 * 10 ** -int(rtol)
    return math.isclose(float(actual), expected, rel_tol=rtol, abs_tol=1e-12)


def _case_id(case: dict[str, Any]) -> str:
    return f"{case['function']}:{case['source']['test']}"


def test_the_reference_file_has_the_cases_it_promises():
    assert len(NPF_CASES) == 44
    assert len(REGZ_CASES) >= 6


@pytest.mark.parametrize("case", NPF_CASES, ids=_case_id)
def test_numpy_financial_case(case: dict[str, Any]) -> None:
    if case["function"] not in COVERED:
        pytest.skip(f"not covered: the product has no {case['function']}() (it solves rates only as APRs)")
    calls = _broadcast(case["args"])
    expected = list(np.array(case["expected"], dtype=object).flat)
    assert len(calls) == len(expected)
    for args, want in zip(calls, expected, strict=True):
        if want in ("NaN", "Infinity") or (isinstance(want, float) and not math.isfinite(want)):
            # numpy returns NaN / inf for a period before the first, or a loan never repaid; we refuse.
            with pytest.raises(ValueError):
                _call(case["function"], args)
            continue
        got = _call(case["function"], args)
        assert _close(got, float(want), case.get("tolerance")), f"{case['function']}({args}) = {got}, want {want}"


@pytest.mark.parametrize("case", REGZ_CASES, ids=lambda c: c["source"]["example"])
def test_regulation_z_appendix_j_example(case: dict[str, Any]) -> None:
    streams = [
        PaymentStream(_num(p["amount"]), p["count"], p["first_t_full_unit_periods"], p["f_fraction"])
        for p in case["payments"]
    ]
    got = apr(_num(case["amount_financed"]), streams, str(case["unit_periods_per_year"]))
    assert abs(got - Decimal(_num(case["stated_apr_percent"]))) <= Decimal("0.01")
