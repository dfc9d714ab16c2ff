"""``judge: "rubric"``: the configured LLM reads the (redacted) transcript and says pass or fail, and why.

Verdicts are cached under ``VOICEBOT_HOME/judge/`` by a hash of the rubric,
the transcript and the model, one atomic JSON file each, so a rerun of an
unchanged conversation gets the same verdict without asking again. An answer
that is not a verdict fails the check and is not cached. With no LLM
configured the check is reported as not run: never passed, never failing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.compliance import redact
from orchestrator.fsutil import atomic_write_text
from orchestrator.llm.chat import ChatClient, LLMError, complete
from orchestrator.scenarios.checks import CheckResult

__all__ = ["JUDGE_PROMPT", "NO_LLM", "Judge", "not_run", "transcript_text"]

JUDGE_PROMPT = (
    "You judge phone calls between a bank's voice assistant (the bot) and a caller, for a QA team. "
    "Decide whether the rubric holds for the bot's side of the transcript. "
    'Reply with one JSON object and nothing else: {"verdict": "pass" or "fail", '
    '"reasoning": "one or two sentences that cite the transcript"}.'
)
NO_LLM = "no LLM is configured to judge (set VOICEBOT_LLM to mistral or openai)"
_OBJECT_RE = re.compile(r"\{.*\}", re.DOTALL)


def transcript_text(lines: list[tuple[str, str]]) -> str:
    """``caller: ...`` / ``bot: ...`` lines, redacted."""
    return "\n".join(f"{who}: {redact(text)}" for who, text in lines)


def not_run(name: str, why: str = NO_LLM) -> CheckResult:
    """A judge check that could not run."""
    return CheckResult(name, False, f"not run: {why}", not_run=True)


@dataclass(frozen=True, slots=True)
class _Verdict:
    passed: bool
    reasoning: str


def _parse(answer: str) -> _Verdict | None:
    match = _OBJECT_RE.search(answer)
    if match is None:
        return None
    try:
        data: Any = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    verdict = str(data.get("verdict", "")).strip().lower() if isinstance(data, dict) else ""
    if verdict not in ("pass", "fail"):
        return None
    return _Verdict(verdict == "pass", str(data.get("reasoning", "")).strip()[:1000])


class Judge:
    """Verdicts from one chat model, cached on disk."""

    def __init__(self, client: ChatClient, model: str, cache_dir: Path) -> None:
        self._client = client
        self.model = f"{client.name}:{model}"
        self._model = model
        self.cache_dir = cache_dir

    def _key(self, rubric: str, transcript: str) -> str:
        blob = json.dumps({"rubric": rubric, "transcript": transcript, "model": self.model}, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def _cached(self, path: Path) -> _Verdict | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return _Verdict(bool(data["passed"]), str(data["reasoning"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent or damaged: ask again

    def judge(self, name: str, rubric: str, transcript: str) -> CheckResult:
        """Blocking: the cached verdict, else the model's."""
        path = self.cache_dir / f"{self._key(rubric, transcript)}.json"
        verdict = self._cached(path)
        source = "cached"
        if verdict is None:
            messages = [
                {"role": "system", "content": JUDGE_PROMPT},
                {"role": "user", "content": f"Rubric: {rubric}\n\nTranscript:\n{transcript}"},
            ]
            try:
                answer = complete(self._client, self._model, messages)
            except LLMError as exc:
                return CheckResult(name, False, f"the judge LLM failed: {exc.message}")
            verdict = _parse(answer)
            if verdict is None:
                return CheckResult(name, False, f"the judge's answer is not a verdict: {answer[:200]!r}")
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            record = {"passed": verdict.passed, "reasoning": verdict.reasoning, "model": self.model, "rubric": rubric}
            atomic_write_text(path, json.dumps(record, indent=2) + "\n")
            source = "judged"
        word = "pass" if verdict.passed else "fail"
        return CheckResult(name, verdict.passed, f"{word} ({source} by {self.model}): {verdict.reasoning}")
