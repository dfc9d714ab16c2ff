"""The redactor and the independent oracle on a generated corpus of spoken and written personal numbers.

Each of the two properties runs on 600 generated sentences (cards of seven
brands and four lengths, CVVs, SSNs, IBANs of ten countries, account and
phone numbers, e-mail addresses; every grouping, separator, digit-word,
group-word and mixed style). Run with ``--hypothesis-show-statistics`` to
see how the forms were spread.
"""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings

from orchestrator.compliance import redact
from orchestrator.leakscan import luhn_valid, scan, to_digit_runs
from tests.pii_forms import Sample, iban_check_digits, luhn_digit, samples

CORPUS = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _digit_stream(text: str) -> list[str]:
    return ["".join(run.digits) for run in to_digit_runs(text)]


def _alnum(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def test_the_corpus_own_check_digits_agree_with_published_examples():
    assert luhn_digit("411111111111111") == "1" and luhn_valid("4111111111111111")
    assert iban_check_digits("GB", "WEST12345698765432") == "82"
    assert iban_check_digits("DE", "370400440532013000") == "89"


@CORPUS
@given(samples())
def test_the_oracle_finds_every_generated_number_in_the_unredacted_sentence(sample: Sample):
    event(f"{sample.kind}: {sample.form.split(' sep ')[0]}")
    found = {(f.kind, f.value) for f in scan(sample.text)}

    assert (sample.kind, sample.value) in found, (sample.text, found)


@CORPUS
@given(samples())
def test_the_redactor_leaves_no_number_the_oracle_can_find(sample: Sample):
    event(f"{sample.kind}: {sample.form.split(' sep ')[0]}")
    redacted = redact(sample.text)

    assert scan(redacted) == [], (sample.text, redacted)
    if sample.kind == "iban":
        assert sample.value not in _alnum(redacted)
    elif sample.kind == "email":
        assert sample.value not in redacted
    elif len(sample.value) < 6:  # a CVV: it may well be part of an amount ("000" in "25,000")
        assert sample.value not in _digit_stream(redacted), (sample.text, redacted)
    else:
        assert not any(sample.value in run for run in _digit_stream(redacted)), (sample.text, redacted)
    for figure in sample.keep:  # the amounts, rates and terms of the sentence stay for the dialog
        assert figure in redacted, (sample.text, redacted)
