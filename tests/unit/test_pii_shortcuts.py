"""The redactor's shortcuts give what the long way gives.

``find_runs`` reads a region whose only letters are glued ones and "w" doubles
without parsing it word by word, and ``CueIndex.before`` finds the cues behind a
run from where the next digit is. Each is checked here against the slow path it
stands in for, on generated text.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.pii import runs
from orchestrator.pii.cues import CueIndex

_PIECES = ["4850", "a", " ", "0283", "w", "-", "5", "w5", ", ", ".", "1", "12", "b", "x", "\u0664\u0661", "and",
           "one", "ww", "w-", "4", "  ", "/"]
_CUE_WORDS = ["card", "number", "is", "cvv", "1234", "5", "ssn", "my", "account", "call me", "pin", "x" * 30, "iban",
              " ", "\u0664", "social", "security code"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=12))
def test_a_region_read_without_parsing_is_the_run_the_parser_makes(pieces: list[str]) -> None:
    text = "".join(pieces)
    for match in runs._REGION_RE.finditer(text):
        start, end = match.span()
        fast = runs._written(text, start, end)
        if fast is None:
            continue
        (segment,) = runs._parse(text, start, end)
        slow = runs._run(segment)
        assert (fast.start, fast.end, fast.groups, fast.spoken) == (slow.start, slow.end, slow.groups, slow.spoken)


def test_the_shortcut_reads_glued_letters_and_doubles() -> None:
    text = "card 4850a 0283 w-5 w55"
    (run,) = [r for r in runs.find_runs(text) if r.start > 4]
    assert run.groups == ["4850", "0283", "55", "555"]
    assert text[run.start:run.end] == "4850a 0283 w-5 w55"


def _cues_behind(text: str, position: int) -> frozenset[str]:
    """The slow way: every cue ending at most 60 characters before ``position``, with no digit between."""
    index = CueIndex(text)
    return frozenset(kind for end, kind in index.all()
                     if position - 60 <= end <= position and not re.search(r"\d", text[end:position]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_CUE_WORDS), min_size=1, max_size=20).map(" ".join))
def test_the_cues_behind_a_run_are_those_with_no_digit_between(text: str) -> None:
    index = CueIndex(text)
    for position in range(len(text) + 1):
        assert index.before(position) == _cues_behind(text, position)
