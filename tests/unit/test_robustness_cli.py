"""`voicebot robustness` end to end on scripted STT and an espeak-ng caller: matrix, outputs, gates, errors.

The scripted STT always hears "hello", so the figures are known in advance:
the greeting scenario passes, the loan scenario fails (wrong intent, no
principal) and its transcript loses 7 of 8 reference words in every cell.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.robustness.matrix import parse_gate
from orchestrator.robustness.spec import PerturbationError

GREETING = """name: greeting by voice
settings: {stt: fake, tts: fake, intent_classifier: keywords}
turns:
  - say: Hello.
    expect: {intent: greeting}
"""
LOAN = """name: loan by voice
settings: {stt: fake, tts: fake, intent_classifier: keywords}
turns:
  - say: I need a loan of 12,000 dollars.
    expect: {intent: loan_quote, slots: {principal: "12000"}}
"""
TYPED = """name: typed only
settings: {stt: fake, tts: fake, intent_classifier: keywords}
turns:
  - user: hello
"""


@pytest.fixture
def lab(tmp_path: Path, home: Path) -> dict[str, Path]:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "greeting.yaml").write_text(GREETING, encoding="utf-8")
    (folder / "loan.yaml").write_text(LOAN, encoding="utf-8")
    (tmp_path / "typed.yaml").write_text(TYPED, encoding="utf-8")
    personas = tmp_path / "personas"
    personas.mkdir()
    (personas / "gb.yaml").write_text("name: gb\nvoice: {engine: espeak, name: en-gb, rate: 220}\n", encoding="utf-8")
    (personas / "us.yaml").write_text("name: us-grand\nvoice: {engine: espeak, name: en-us}\n"
                                      "style: {numbers: grand}\n", encoding="utf-8")
    return {"scenarios": folder, "gb": personas / "gb.yaml", "us": personas / "us.yaml",
            "typed": tmp_path / "typed.yaml", "out": tmp_path}


def _run(lab: dict[str, Path], *extra: str) -> tuple[int, str]:
    env = {"VOICEBOT_STT": "fake", "VOICEBOT_TTS": "fake", "VOICEBOT_FAKE_TRANSCRIPTS": "hello",
           "VOICEBOT_INTENT_CLASSIFIER": "keywords"}
    args = ["robustness", str(lab["scenarios"]), "--perturb", "phone", "--personas", f"{lab['gb']},{lab['us']}",
            "--no-real-clips", *extra]
    result = CliRunner().invoke(app, args, env=env)
    return result.exit_code, result.stdout


def test_the_matrix_has_a_clean_reference_and_every_cell_holds_the_figures_the_script_implies(lab):
    code, out = _run(lab, "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["perturbations"] == ["clean", "phone"]
    assert set(report["matrix"]) == {"gb", "us-grand"}
    for persona in ("gb", "us-grand"):
        for name in ("clean", "phone"):
            cell = report["matrix"][persona][name]
            assert cell["intent_accuracy"] == 0.5  # greeting right, loan wrong
            assert cell["slot_accuracy"] == 0.0  # the principal never heard
            assert cell["task_success"] == 0.5  # one of the two scenarios passes
            assert cell["spoken_turns"] == 2 and cell["runs"] == 2
            assert set(cell["voice_to_voice_ms"]) == {"p50", "p95"}
    # "I need a loan of 12000 dollars" (7 words) heard as "hello": 7 errors; "hello" heard right: 0; 7/8.
    assert report["matrix"]["gb"]["clean"]["wer"] == pytest.approx(7 / 8)
    # "us-grand" says "12 grand", scored as "12000 dollars" (WER reads money one way): 7/8 again.
    assert report["matrix"]["us-grand"]["phone"]["wer"] == pytest.approx(7 / 8)
    worst = {(w["persona"], w["perturbation"]): w for w in report["worst_turns"]}
    assert set(worst) == {(p, n) for p in ("gb", "us-grand") for n in ("clean", "phone")}
    assert worst[("us-grand", "phone")]["said"] == "I need a loan of 12 grand."
    assert report["passed"] is True


def test_the_csv_and_the_html_page_carry_the_matrix_heat_maps_and_the_worst_turns_audio(lab):
    html_path, csv_path = lab["out"] / "lab.html", lab["out"] / "lab.csv"
    code, out = _run(lab, "--html", str(html_path), "--csv", str(csv_path))
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert {(r["persona"], r["perturbation"]) for r in rows} == {(p, n) for p in ("gb", "us-grand")
                                                                 for n in ("clean", "phone")}
    assert {r["task_success"] for r in rows} == {"0.5"}
    page = html_path.read_text(encoding="utf-8")
    pngs = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    assert len(pngs) == 5 and all(base64.b64decode(p).startswith(b"\x89PNG") for p in pngs)
    wavs = re.findall(r'<audio controls src="data:audio/wav;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(wavs) == 4 and all(base64.b64decode(w)[:4] == b"RIFF" for w in wavs)
    phone_rate = int.from_bytes(base64.b64decode(wavs[1])[24:28], "little")
    assert phone_rate == 8000  # the phone cell's caller audio is what the phone line delivered
    assert "http://" not in page and "https://" not in page  # self-contained


def test_a_gate_that_holds_passes_and_one_that_fails_exits_1(lab):
    code, out = _run(lab, "--json", "--gate", "wer@phone<=0.9", "--gate", "task_success@gb/clean>=0.5")
    assert code == 0 and json.loads(out)["gate_failures"] == []
    code, out = _run(lab, "--json", "--gate", "wer@phone<=0.2")
    assert code == 1
    failures = json.loads(out)["gate_failures"]
    assert len(failures) == 2 and all("wer is" in f for f in failures)


def test_a_cell_worse_than_the_baseline_is_a_regression(lab):
    code, out = _run(lab, "--json")
    baseline = json.loads(out)
    baseline["matrix"]["gb"]["phone"]["wer"] = 0.1
    path = lab["out"] / "base.json"
    path.write_text(json.dumps(baseline), encoding="utf-8")
    code, out = _run(lab, "--json", "--baseline", str(path))
    assert code == 1
    assert json.loads(out)["gate_failures"] == ["gb/phone: wer 0.875 vs 0.1 in the baseline"]


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--perturb", "hiss"], "unknown perturbation 'hiss'"),
        (["--perturb", "speed:9"], "rate must be between"),
        (["--personas", "nobody"], "unknown persona 'nobody'"),
        (["--gate", "wer@reverb<=0.2"], "not among the --perturb cells"),
        (["--gate", "wer@ghost/phone<=0.2"], "persona 'ghost' is not among --personas"),
        (["--gate", "loudness@phone<=1"], "metric must be one of"),
        (["--gate", "wer phone 0.2"], "write it as METRIC@PERTURBATION<=VALUE"),
    ],
)
def test_a_bad_option_is_a_usage_error_on_one_line(lab, extra: list[str], says: str):
    code, out = _run(lab, "--json", *extra)
    assert code == 2
    error = json.loads(out)["error"]
    assert says in error["message"]


def test_no_spoken_scenario_and_a_bad_baseline_are_usage_errors(lab):
    result = CliRunner().invoke(app, ["robustness", str(lab["typed"]), "--personas", str(lab["gb"]),
                                      "--no-real-clips", "--json"])
    assert result.exit_code == 2 and "no scenario with spoken" in json.loads(result.stdout)["error"]["message"]
    bad = lab["out"] / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    code, out = _run(lab, "--json", "--baseline", str(bad))
    assert code == 2 and "not a robustness report" in json.loads(out)["error"]["message"]


def test_gates_name_their_cell_canonically():
    gate = parse_gate("wer@phone+noise:10 <= 0.20")
    assert (gate.metric, gate.persona, gate.perturbation, gate.op, gate.limit) == (
        "wer", None, "phone+noise:snr=10", "<=", 0.2)
    assert parse_gate("v2v_p95@joe/clean<=1500").persona == "joe"
    with pytest.raises(PerturbationError):
        parse_gate("wer@phone=0.2")
