"""After a caller reads out a card number, no file under VOICEBOT_HOME holds it in any form.

The real stack: Piper speaks the caller's words, Whisper hears them, the
rules dialog answers; then every byte under the home folder is searched.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from orchestrator.config import Settings
from orchestrator.scenarios import load_scenario, run_scenario
from orchestrator.scenarios.runner import Pipelines

pytestmark = pytest.mark.models

CARD = "4111111111111111"
SCENARIO = """\
name: caller reads out a card
settings: {stt: whisper-base, tts: piper}
turns:
  - say: My card number is four one one one, one one one one, one one one one, one one one one. It was stolen.
  - user: my card 4111 1111 1111 1111 is lost, the CVV is 123
  - user: "I agree"
  - say: The card number again is four one one one one one one one one one one one one one one one.
"""
FORMS = [
    CARD, "4111 1111 1111 1111", "4111-1111-1111-1111", "1111 1111 1111", "CVV is 123",
    "four one one one", "one one one one one", "4 1 1 1 1",
]


def test_no_file_under_the_home_folder_holds_the_card(tmp_path: Path):
    home = tmp_path / "home"
    settings = Settings(home=home, llm="rules", intent_classifier="keywords")
    settings.ensure_dirs()
    path = tmp_path / "card.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    pipelines = Pipelines(settings)
    try:
        loaded = load_scenario(path)
        run = asyncio.run(run_scenario(loaded, pipelines.for_scenario(loaded)))
    finally:
        pipelines.close()
    heard = " | ".join(t.result.transcript or "" for t in run.turns if t.result is not None)
    assert run.turns[0].result is not None, run.failures()
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".jsonl" for p in files) and any(p.suffix == ".db" for p in files)
    for file in files:
        data = file.read_bytes()
        text = data.decode("utf-8", errors="ignore")
        squashed = re.sub(r"[\s,.-]", "", text)
        assert CARD not in squashed, f"{file} holds the card number (heard: {heard})"
        for form in FORMS:
            assert form.lower() not in text.lower(), f"{file} holds {form!r}"
    # The fourth turn came after consent: its voice is kept, but the card number is not in any text.
    kept = sorted(p.name for p in (home / "audio").glob("*-caller.wav"))
    assert all("t0001" not in name for name in kept), kept
