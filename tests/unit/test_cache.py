"""The semantic cache on the deterministic hashing encoder: keys, policy, state, stores, TTL."""

from __future__ import annotations

import json

import pytest

from orchestrator.cache.encoders import HashingEncoder
from orchestrator.cache.keys import personal_data, slot_signature
from orchestrator.cache.policy import is_neutral, memory_delta, policy_for
from orchestrator.cache.semantic import SemanticCache
from orchestrator.cache.stores import FileCacheStore, MemoryCacheStore, RedisCacheStore
from orchestrator.cache.tune import load_pairs, thresholds_between, tune
from orchestrator.errors import BackendError

FAQ = "What documents do I need to open an account?"
FAQ_ANSWER = "Bring a photo ID and a proof of address."


def make_cache(store=None, *, threshold: float = 0.8, ttl_s: float = 3600.0) -> SemanticCache:
    return SemanticCache(HashingEncoder(), store or MemoryCacheStore(), threshold=threshold, ttl_s=ttl_s, scope="t")


def remember(cache: SemanticCache, question: str, reply: str = FAQ_ANSWER, intent: str = "faq"):
    probe = cache.probe(question, {})
    return cache.remember(probe, intent=intent, reply=reply, state="start", memory_delta={"state": "start"})


# -- slot signatures and personal data -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("a loan of 10,000 over 5 years", "a loan of 100,000 over 5 years"),
        ("borrow 25,000 at 6.5 percent", "borrow 25,000 at 7.5 percent"),
        ("a loan of 10,000 over 5 years", "a loan of 10,000 over 5 months"),
        ("a loan of 10,000 dollars", "a loan of 10,000 pounds"),
        ("I want a mortgage", "I want a car loan"),
        ("I want a loan", "I don't want a loan"),
    ],
)
def test_questions_that_differ_in_figures_or_product_have_different_signatures(a, b):
    assert slot_signature(a) != slot_signature(b)


def test_the_same_figures_said_differently_have_one_signature():
    assert slot_signature("borrow 25,000 dollars over 5 years") == slot_signature(
        "borrow twenty five thousand dollars over five years"
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("My name is John Smith, what are your opening hours?", "name"),
        ("Hi, I'm Peter. What are your fees?", "name"),
        ("please send 200 dollars to Sarah", "name"),
        ("my card ending in 4242 is blocked", "account"),
        ("check account 12345678 for me", "redacted"),
        ("my card is [CARD]", "redacted"),
        ("my email is anna@example.com", "redacted"),
    ],
)
def test_names_and_account_details_are_personal_data(text, kind):
    assert personal_data(text) == kind


@pytest.mark.parametrize("text", ["What are your opening hours?", "Is the branch open on Saturdays?", FAQ])
def test_plain_questions_hold_no_personal_data(text):
    assert personal_data(text) is None


# -- policy and dialog state ---------------------------------------------------------------------------


def test_faqs_are_shared_loans_keyed_by_slots_and_own_money_never_cached():
    assert policy_for("faq").mode == "shared"
    assert policy_for("loan_quote").mode == "slots"
    assert policy_for("loan_quote").ttl_s(86_400) == 3600
    for intent in ("balance", "transfer", "lost_card", "human_handoff", "out_of_scope", "something_new"):
        assert not policy_for(intent).cacheable


@pytest.mark.parametrize(
    ("memory", "neutral"),
    [
        ({}, True),
        ({"state": "start", "failures": 0, "loan": {}, "disclosed": True}, True),
        ({"state": "confirming", "loan": {"principal": "10000"}}, False),
        ({"state": "collecting_loan", "asked": "rate_percent"}, False),
        ({"state": "start", "failures": 1}, False),
        ({"state": "quoted"}, False),
        ({"state": "start", "messages": ["an LLM's history"]}, False),
    ],
)
def test_only_a_neutral_dialog_state_may_use_the_cache(memory, neutral):
    assert is_neutral(memory) is neutral


def test_memory_delta_keeps_what_the_answer_set_but_never_the_session_disclosure():
    before = {"state": "start", "last_reply": "x", "failures": 0}
    after = {"state": "start", "last_reply": "y", "failures": 0, "disclosed": True, "loan": {}}
    assert memory_delta(before, after) == {"state": "start", "last_reply": "y", "failures": 0, "loan": {}}
    assert memory_delta({"quote": {}}, {}) is None


# -- lookups ------------------------------------------------------------------------------------------------


def test_a_stored_faq_answers_the_same_question_again():
    cache = make_cache()
    entry, why = remember(cache, FAQ)
    assert why == "stored" and entry is not None
    probe = cache.probe("what documents do I need to open an account", {"disclosed": True})
    assert probe.hit and probe.entry.reply == FAQ_ANSWER and probe.similarity >= 0.8


def test_a_loan_for_another_amount_never_hits_even_at_the_lowest_threshold():
    cache = make_cache(threshold=1e-6)
    remember(cache, "a loan of 10,000 over 5 years", reply="How about the rate?", intent="loan_quote")
    probe = cache.probe("a loan of 100,000 over 5 years", {})
    assert not probe.hit and probe.reason == "slots_differ"
    assert cache.probe("a loan of 10,000 over 5 years", {}).hit


def test_a_confirming_yes_never_reaches_the_cache():
    cache = make_cache(threshold=1e-6)
    remember(cache, "yes please", reply="Hello.", intent="greeting")
    probe = cache.probe("yes please", {"state": "confirming", "loan": {"principal": "10000"}})
    assert not probe.hit and probe.reason == "state" and not probe.looked_up


def test_answers_the_policy_refuses_are_not_stored():
    cache = make_cache()
    assert remember(cache, "what is my balance", intent="balance") == (None, "policy:balance")
    assert remember(cache, "my name is Anna Lee", intent="faq")[1] == "personal:name"
    assert remember(cache, FAQ, reply="Your card [CARD] is blocked")[1] == "personal:reply"
    assert cache.entries() == []


def test_an_expired_entry_never_hits():
    cache = make_cache(ttl_s=1e-6)
    remember(cache, FAQ)
    assert not cache.probe(FAQ, {}).hit


def test_an_entry_from_another_dialog_scope_never_hits():
    cache = make_cache()
    remember(cache, FAQ)
    assert not cache.probe(FAQ, {}, scope="other/dialog").hit


@pytest.mark.parametrize("kind", ["amount", "rate", "term", "name", "account"])
def test_shipped_near_duplicates_never_hit_whatever_the_threshold(kind):
    pairs = [p for p in load_pairs() if p.kind == kind]
    assert pairs and not any(p.hit for p in pairs)
    report = tune(HashingEncoder(), pairs, [0.01])
    assert report["thresholds"][0]["false_hits"] == 0


def test_tune_reports_rates_per_threshold_and_recommends_a_safe_one():
    report = tune(HashingEncoder(), load_pairs(), thresholds_between(0.5, 0.98, 0.04))
    assert len(report["thresholds"]) == 13
    recommended = report["recommended"]
    row = next(r for r in report["thresholds"] if r["threshold"] == recommended)
    assert row["false_hits"] == 0 and row["hit_rate"] > 0


# -- stores ------------------------------------------------------------------------------------------------


def test_the_file_store_persists_json_and_another_process_sees_new_entries(tmp_path):
    first = make_cache(FileCacheStore(tmp_path / "cache"))
    second = make_cache(FileCacheStore(tmp_path / "cache"))
    second.refresh()
    remember(first, FAQ)
    data = json.loads((tmp_path / "cache" / "entries.json").read_text())
    assert [e["question"] for e in data["entries"]] == [FAQ]
    assert second.probe(FAQ, {}).hit  # the version moved, so the second cache re-read the file


def test_a_damaged_cache_file_is_an_error_that_names_it(tmp_path):
    (tmp_path / "entries.json").write_text("{not json")
    with pytest.raises(BackendError, match=r"entries\.json"):
        FileCacheStore(tmp_path).load()


def test_clearing_the_cache_empties_it_for_everyone(tmp_path):
    cache = make_cache(FileCacheStore(tmp_path))
    remember(cache, FAQ)
    assert cache.clear() == 1
    assert not make_cache(FileCacheStore(tmp_path)).probe(FAQ, {}).hit


def test_redis_lets_two_workers_share_entries(redis_url):
    first = RedisCacheStore(redis_url)
    first.client.flushdb()
    second = RedisCacheStore(redis_url)
    try:
        worker_a, worker_b = make_cache(first), make_cache(second)
        worker_b.refresh()
        remember(worker_a, FAQ)
        assert worker_b.probe(FAQ, {}).hit
        assert 0 < first.client.ttl(f"voicebot:cache:entry:{worker_a.entries()[0].id}") <= 3600
        assert worker_b.clear() == 1
        assert not worker_a.probe(FAQ, {}).hit
    finally:
        first.close()
        second.close()


def test_the_lower_topic_bar_needs_the_faqs_own_answer_in_the_entry():
    from orchestrator.cache.keys import judge, verbatim_topic
    from orchestrator.dialog.faq import match_faq

    hours = match_faq("when are you open")
    assert hours is not None
    assert verbatim_topic(hours.id, f"Sure. {hours.answer}") == hours.id
    assert verbatim_topic(hours.id, "We open at nine, I think.") is None  # an LLM's own words
    same = {"threshold": 0.8, "topic_threshold": 0.5, "signatures": ((), ())}
    assert judge(0.6, **same, topics=(hours.id, hours.id)) == "hit"
    assert judge(0.6, **same, topics=(None, hours.id)) == "miss"
    assert judge(0.99, **same, topics=("branch_locations", hours.id)) == "topic_differs"
    assert judge(0.99, threshold=0.8, topic_threshold=0.5, signatures=(("number=1",), ()),
                 topics=(hours.id, hours.id)) == "slots_differ"


def test_a_pairs_file_that_is_not_utf8_is_an_input_error(tmp_path):
    from orchestrator.cache.tune import load_pairs
    from orchestrator.errors import InputError

    bad = tmp_path / "pairs.jsonl"
    bad.write_bytes(b'{"a": "caf\xe9"}\n')

    with pytest.raises(InputError, match="not UTF-8"):
        load_pairs(bad)
