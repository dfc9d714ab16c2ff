"""Caller personas: the YAML format, the shipped set, and styles that change the words but not the meaning."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.dialog.slots import read_slots
from orchestrator.personas.model import PersonaError, Style, load_persona, resolve_personas, shipped_personas
from orchestrator.personas.styles import say_in_style, speak_amount
from orchestrator.scenarios import find_scenarios
from tests.conftest import REPO_ROOT

SCRIPTS = [
    "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent.",
    "I need a loan of 12,000 dollars.",
    "Over 3 years.",
    "At 7.5 percent.",
    "How much would a $40,000 loan cost over 10 years at 4.25 percent?",
    "Make it 48 months at 5.9 percent.",
]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_personas_cover_piper_espeak_variants_and_kokoro_voices_and_every_style():
    personas = shipped_personas()
    engines = {p.voice.engine for p in personas.values()}
    assert engines == {"piper", "espeak", "kokoro"}
    espeak = {(p.voice.name, p.voice.rate, p.voice.pitch) for p in personas.values() if p.voice.engine == "espeak"}
    assert len(espeak) >= 3 and len({rate for _, rate, _ in espeak}) >= 3
    assert len({p.voice.name for p in personas.values() if p.voice.engine == "kokoro"}) >= 2
    styles = [p.style for p in personas.values()]
    assert any(s.fillers for s in styles) and any(s.corrections for s in styles)
    assert {s.numbers for s in styles} >= {"grand", "k", "digits"}


def test_persona_files_next_to_the_scenarios_are_not_taken_for_scenarios():
    found = find_scenarios([REPO_ROOT / "scenarios"])
    assert found and not [p for p in found if "personas" in p.parts]


def test_a_persona_file_with_a_typo_or_a_setting_of_another_engine_is_an_error_naming_the_field(tmp_path: Path):
    with pytest.raises(PersonaError, match=r"voice\.rte"):
        load_persona(_write(tmp_path, "name: x\nvoice: {engine: espeak, rte: 200}\n"))
    with pytest.raises(PersonaError, match="rate and pitch are espeak settings"):
        load_persona(_write(tmp_path, "name: x\nvoice: {engine: kokoro, rate: 200}\n"))
    with pytest.raises(PersonaError, match="only Piper voice"):
        load_persona(_write(tmp_path, "name: x\nvoice: {engine: piper, name: amy}\n"))
    with pytest.raises(PersonaError, match=r"style\.numbers"):
        load_persona(_write(tmp_path, "name: x\nvoice: {engine: piper}\nstyle: {numbers: roman}\n"))
    with pytest.raises(PersonaError, match="invalid YAML"):
        load_persona(_write(tmp_path, "name: [x\n"))
    with pytest.raises(PersonaError, match="no such persona file"):
        load_persona(tmp_path / "missing.yaml")


def test_personas_are_chosen_by_shipped_name_or_by_file_and_an_unknown_name_lists_the_known(tmp_path: Path):
    own = _write(tmp_path, "name: mine\nvoice: {engine: espeak, name: en-gb, rate: 200}\n")
    chosen = resolve_personas([f"joe,{own}", "joe"])
    assert [p.name for p in chosen] == ["joe", "mine"]
    with pytest.raises(PersonaError, match=r"unknown persona .nobody.; known: .*joe"):
        resolve_personas(["nobody"])


@pytest.mark.parametrize(
    ("style", "said"),
    [
        ("words", "30,000 dollars"),
        ("grand", "30 grand"),
        ("k", "30 K"),
        ("digits", "three oh thousand"),
    ],
)
def test_an_amount_is_said_the_way_the_style_says_it(style: str, said: str):
    assert speak_amount(30_000, style) == said
    assert speak_amount(1_250, style) == "1,250 dollars"  # not whole thousands: no slang


def test_a_style_is_the_same_for_the_same_seed_and_varies_with_another():
    style = Style(fillers=0.6, corrections=True)
    text = SCRIPTS[0]
    assert say_in_style(text, style, seed=4) == say_in_style(text, style, seed=4)
    assert len({say_in_style(text, style, seed=s) for s in range(8)}) > 1


def test_a_correction_puts_a_wrong_figure_first_and_fillers_add_hesitations():
    said = say_in_style("I need a loan of 12,000 dollars.", Style(corrections=True), seed=0)
    assert said.index("7,000 dollars") < said.index("12,000 dollars")
    said = say_in_style("Over 3 years.", Style(corrections=True), seed=0)
    assert said.index("2 years") < said.index("3 years")
    filled = say_in_style("Yes, please. Go ahead.", Style(fillers=1.0), seed=0)
    assert filled.lower().startswith(("um,", "uh,")) and filled.count(",") >= 3


@pytest.mark.parametrize("persona", sorted(shipped_personas()))
@pytest.mark.parametrize("script", SCRIPTS)
def test_every_shipped_style_keeps_the_loan_figures_the_dialog_reads(persona: str, script: str):
    style = shipped_personas()[persona].style
    for seed in range(3):
        said = say_in_style(script, style, seed)
        assert read_slots(said).values == read_slots(script).values, said
