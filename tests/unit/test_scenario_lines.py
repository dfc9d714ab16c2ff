"""A malformed scenario's error names the line that is wrong: YAML marks, schema errors mapped through the node tree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestrator.scenarios import ScenarioError, load_scenario
from orchestrator.scenarios.loader import _node_line, load_scenarios

LONG = """\
name: long one
tags: [loan]
turns:
  - user: hello
    expect: {intent: greeting}
  - user: I want a loan
    expect:
      intent: loan_quote
      figures:
        payment: {value: 10, tolerance: 0.5}
        apr: 6.5
  - say: yes
    expect:
      latency_ms: {stt: 100, dialog: 5}
"""


@pytest.mark.parametrize(
    ("loc", "line"),
    [
        ((), 1),
        (("name",), 1),
        (("turns",), 4),  # the value of "turns" starts at its first item
        (("turns", 0), 4),
        (("turns", 0, "expect", "intent"), 5),  # inside a flow mapping
        (("turns", 1, "expect", "figures", "payment", "tolerance"), 10),
        (("turns", 1, "expect", "figures", "apr"), 11),
        (("turns", 2, "say"), 12),
        (("turns", 2, "expect", "latency_ms", "dialog"), 14),
        (("turns", 1, "expect", "state"), 8),  # missing: its parent mapping
        (("turns", 7, "user"), 4),  # an index past the end: the sequence
        (("turns", 1, "expect", "figures", "apr", "function-after[_shorthand]", "value"), 11),
    ],
)
def test_node_line_walks_mappings_sequences_and_skips_what_the_document_lacks(loc, line):
    assert _node_line(yaml.compose(LONG), loc) == line


def write(folder: Path, text: str, name: str = "bad.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.message


@pytest.mark.parametrize(
    ("edit", "line", "what"),
    [
        (("payment: {value: 10, tolerance: 0.5}", "payment: {value: 10, tolerance: -1}"), 10, "tolerance"),
        (("payment: {value: 10, tolerance: 0.5}", "pament: 10"), 10, "pament"),
        (("apr: 6.5", "apr: six"), 11, "apr"),
        (("latency_ms: {stt: 100, dialog: 5}", "latency_ms: {stt: 100, dilog: 5}"), 14, "dilog"),
        (("  - say: yes\n", "  - say: yes\n    user: yes\n"), 12, "exactly one of user, audio or say"),
        (("tags: [loan]", "tags: [loan, [nested]]"), 2, "tags.1"),
        (("    expect: {intent: greeting}", "    expect: {intent: greeting, intent: help}"), 5, "appears twice"),
        (("name: long one\n", "name: long one\nname: other\n"), 2, "'name' appears twice"),
        (("tags: [loan]", "tags: [loan]\ncompliance: [apr_disclosed, no_card_number]"), 3, "compliance.1"),
        (("  - say: yes\n", "  - say: yes\n    compliance: [everything]\n"), 13, "turns.2.compliance.0"),
    ],
)
def test_schema_errors_point_at_the_offending_line(tmp_path, edit, line, what):
    old, new = edit
    assert old in LONG
    path = write(tmp_path, LONG.replace(old, new, 1))
    message = error_of(path)
    assert message.startswith(f"{path}:{line}: "), message
    assert what in message


def test_the_earliest_repeated_key_is_reported(tmp_path):
    text = LONG.replace("      latency_ms", "      intent: x\n      intent: y\n      latency_ms").replace(
        "    expect: {intent: greeting}", "    expect: {intent: greeting, state: a, state: b}"
    )
    assert error_of(write(tmp_path, text)).startswith(f"{tmp_path / 'bad.yaml'}:5: key 'state' appears twice")


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("name: x\nturns:\n  - user: [unclosed\n", 4, "invalid YAML"),
        ("name: x\n\tturns: []\n", 2, "invalid YAML"),
        ("name: x\nturns:\n  - user: hi\n---\nname: y\n", 4, "invalid YAML"),
        ("name: x\nturns:\n  - user: *nowhere\n", 3, "invalid YAML"),
        ("", 1, "a scenario is a mapping"),
        ("just text\n", 1, "a scenario is a mapping"),
    ],
)
def test_yaml_syntax_errors_carry_their_line(tmp_path, text, line, what):
    path = write(tmp_path, text)
    message = error_of(path)
    assert message.startswith(f"{path}:{line}: "), message
    assert what in message


def test_an_alias_bomb_is_refused_before_it_is_expanded(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    text = "\n".join(lines) + "\nname: bomb\nturns:\n  - user: *a7\n"
    message = error_of(write(tmp_path, text))
    assert "nodes once aliases are expanded" in message


def test_anchors_and_aliases_of_normal_size_are_fine(tmp_path):
    text = "name: x\nturns:\n  - user: hi\n    expect: &e {intent: greeting}\n  - user: hello\n    expect: *e\n"
    loaded = load_scenario(write(tmp_path, text, "ok.yaml"))
    assert loaded.scenario.turns[1].expect.intent == "greeting"


def test_every_malformed_file_is_reported_not_only_the_first(tmp_path):
    write(tmp_path, "name: good\nturns:\n  - user: hi\n", "a-good.yaml")
    write(tmp_path, "name: x\nturns:\n  - user: hi\n    expect: {intnet: greeting}\n", "b-bad.yaml")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "name: y\nturns: []\n", "c-bad.yml")
    loaded, problems = load_scenarios([tmp_path])
    assert [s.name for s in loaded] == ["good"]
    where = [p.split(": ", 1)[0] for p in problems]
    assert where == [f"{tmp_path / 'b-bad.yaml'}:4", f"{tmp_path / 'sub' / 'c-bad.yml'}:2"]


def test_of_several_schema_errors_the_first_in_the_file_is_named(tmp_path):
    # pydantic lists ``slots`` before ``figures`` (field order); the file has them the other way round.
    text = "name: x\nturns:\n  - user: hi\n    expect:\n      figures: {pament: 1}\n      slots: [a]\n"
    message = error_of(write(tmp_path, text))
    assert message.startswith(f"{tmp_path / 'bad.yaml'}:5: turns.0.expect.figures.pament"), message
    assert message.endswith("(and 1 more)")


def test_the_example_in_the_format_guide_is_a_valid_scenario(tmp_path):
    guide = (Path(__file__).resolve().parents[2] / "scenarios" / "README.md").read_text(encoding="utf-8")
    example = guide.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "silence.wav").write_bytes(b"RIFF")  # the audio turn's file, next to the scenario
    loaded = load_scenario(write(tmp_path, example, "example.yaml"))
    assert [t.user is not None for t in loaded.scenario.turns] == [True, False, False]
    assert loaded.scenario.turns[2].compliance == []
