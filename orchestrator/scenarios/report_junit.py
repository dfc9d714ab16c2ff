"""JUnit XML for CI: one testcase per scenario run, failures with every failed check."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from orchestrator.fsutil import atomic_write_bytes
from orchestrator.scenarios.runner import ScenarioRun
from orchestrator.scenarios.suite import pass_rates, verdicts

__all__ = ["junit_xml", "write_junit"]


# Characters XML 1.0 forbids even when escaped (ElementTree would write them and break the file).
_NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _case_name(run: ScenarioRun) -> str:
    return _xml_text(f"{run.name} [repeat {run.repeat + 1}]" if run.repeat else run.name)


def junit_xml(runs: list[ScenarioRun], gate_failures: list[str], suite: str = "voicebot-scenarios") -> bytes:
    """The XML document (UTF-8 bytes). Gate and baseline failures become a testcase of their own."""
    failures = sum(not r.passed for r in runs) + (1 if gate_failures else 0)
    tests = len(runs) + (1 if gate_failures else 0)
    total_s = sum(r.wall_ms for r in runs) / 1000
    root = ET.Element("testsuites", tests=str(tests), failures=str(failures), errors="0", time=f"{total_s:.3f}")
    suite_el = ET.SubElement(
        root, "testsuite", name=suite, tests=str(tests), failures=str(failures), errors="0", skipped="0",
        time=f"{total_s:.3f}",
    )
    rates = pass_rates(runs)
    for run in runs:
        case = ET.SubElement(
            suite_el, "testcase", classname=Path(run.path).stem, name=_case_name(run), time=f"{run.wall_ms / 1000:.3f}"
        )
        if 0 < rates[run.name] < 1:  # flaky across --repeat: say so on every run of it
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="flaky", value="true")
            ET.SubElement(props, "property", name="pass_rate", value=f"{rates[run.name]:.3f}")
        if not run.passed:
            failed = run.failures()
            message = _xml_text(failed[0][:500]) if failed else "failed"
            failure = ET.SubElement(case, "failure", message=message, type="ScenarioFailure")
            failure.text = _xml_text("\n".join(failed))
        out = ET.SubElement(case, "system-out")
        lines = [
            f"turn {t.index + 1} [{t.input_kind}] caller: {t.user}\n  bot: {t.result.reply if t.result else t.error}"
            for t in run.turns
        ]
        lines += [f"{where} {c.name}: {c.status.upper().replace('_', ' ')}: {c.detail}" for where, c in verdicts(run)]
        if run.goal is not None:
            lines.append(f"goal: persona {run.goal['persona']}, seed {run.goal['seed']}, {run.goal['outcome']} after "
                         f"{run.goal['caller_turns']} caller turns ({run.goal['detail']})")
        if 0 < rates[run.name] < 1:
            lines.append(f"FLAKY: passed {rates[run.name]:.0%} of its runs")
        out.text = _xml_text("\n".join(lines))
    if gate_failures:
        case = ET.SubElement(suite_el, "testcase", classname="gates", name="latency gates and baseline", time="0")
        failure = ET.SubElement(case, "failure", message=_xml_text(gate_failures[0][:500]), type="GateFailure")
        failure.text = _xml_text("\n".join(gate_failures))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def write_junit(path: Path, runs: list[ScenarioRun], gate_failures: list[str]) -> None:
    """Write the report atomically."""
    atomic_write_bytes(path, junit_xml(runs, gate_failures))
