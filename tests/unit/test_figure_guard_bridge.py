"""The figure guard inside the LLM bridge: what the caller hears when a sentence fails it, and what backs a figure."""

from __future__ import annotations

from orchestrator.dialog.rules import RulesDialog
from tests.unit.test_llm_bridge import QUOTE, ScriptedClient, bridge, call, text


def test_an_integer_apr_no_tool_computed_is_never_spoken():
    heard: list[str] = []
    result = bridge(ScriptedClient(text("Your APR is 7%."))).reply_stream("what APR would I get?", {}, heard.append)

    rules = RulesDialog().reply("what APR would I get?", {}).text
    assert heard == [rules] and result.text == rules
    assert result.source == "rules" and result.flagged_figures == ("apr 7%",)
    assert "as an apr" in result.notes[0].message


def test_a_rate_the_caller_heard_about_never_becomes_their_apr():
    said = "my friend got 1.9 percent, what would I get?"
    result = bridge(ScriptedClient(text("Your APR is 1.9%."))).reply(said, {})
    assert result.source == "rules" and result.flagged_figures == ("apr 1.9%",)


def test_sentences_spoken_before_the_failing_one_stay_spoken_and_the_rules_answer_follows():
    heard: list[str] = []
    client = ScriptedClient(text("Let me work that out. Your payment is $410.00 a month. Anything else?"))

    result = bridge(client).reply_stream("what would I pay on 25000 over 5 years at 6.5%?", {}, heard.append)

    rules = RulesDialog().reply("what would I pay on 25000 over 5 years at 6.5%?", {}).text
    assert heard == ["Let me work that out.", rules]  # the failing sentence and the one after it: never
    assert result.text == f"Let me work that out. {rules}"
    assert result.flagged_figures == ("payment $410",)


def test_the_callers_loan_from_an_earlier_turn_backs_a_restatement_in_the_same_role():
    rules = RulesDialog()
    memory = rules.reply("I'd like to borrow $25,000 over 5 years at 6.5%", {}).memory
    restated = "You asked for $25,000 over 60 months at 6.5%. Shall I work out the payment?"
    result = bridge(ScriptedClient(text(restated))).reply("can you remind me what I asked for", memory)
    assert result.source == "llm" and result.text == restated

    as_payment = "Your payment would be $25,000 a month."
    result = bridge(ScriptedClient(text(as_payment))).reply("can you remind me what I asked for", memory)
    assert result.source == "rules" and result.flagged_figures == ("payment $25000",)


def test_a_tool_result_backs_figures_in_its_own_turn_only():
    first = bridge(ScriptedClient(call("loan_quote", QUOTE), text("Your payment is $489.15 a month.")))
    quoted = first.reply("quote 25000 at 6.5% for 60 months", {})
    assert quoted.source == "llm"

    again = bridge(ScriptedClient(text("As I said, $489.15 a month."))).reply("say that again", quoted.memory)
    assert again.source == "rules" and again.flagged_figures == ("payment $489.15",)


def test_the_quote_tools_figures_back_the_whole_spoken_quote():
    reply = ("For $25,000 over 5 years at 6.5%, the monthly payment is $489.15 and the final one $489.35. "
             "The APR is 6.50%, and in total you would repay $29,349.20. This is an estimate, not an offer.")
    client = ScriptedClient(call("loan_quote", QUOTE), text(reply))
    result = bridge(client).reply("what would 25000 over five years at 6.5 percent cost me", {})
    assert result.source == "llm" and result.flagged_figures == ()
