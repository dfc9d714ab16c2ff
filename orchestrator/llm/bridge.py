"""The LLM dialog: the model phrases answers, the domain tools compute them, the rules dialog stands behind.

One turn, in order:

1. The ``rules`` dialog answers first (a few ms). Its intent, slots and
   state describe the turn whatever the LLM says, and its answer is the
   fallback. A lost card or a request for a person never goes to the LLM.
2. The chat request goes out with the banking tools, the redacted words of
   the last few turns and the caller's redacted words. Tool calls run
   against :mod:`orchestrator.llm.tools` and go back to the model.
3. Text streams back. Each finished sentence passes the figure guard
   (every figure, in its role, from a tool result of this turn or the
   caller's own value: :mod:`orchestrator.llm.guard`) and goes to
   ``on_text`` (the pipeline's TTS) before the completion ends.
4. A retryable failure (429, 5xx, timeout, dropped connection) before any
   sentence was spoken is retried with exponential backoff, within a
   deadline. Anything else, or a sentence with an unbacked figure, ends the
   LLM's part: that sentence and everything after it are never spoken, the
   sentences already spoken stay spoken (each passed the guard on its own),
   the rules answer is said after them, and the turn carries a
   :class:`DialogNote` the pipeline turns into an error event.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orchestrator.compliance import redact
from orchestrator.events import DialogSource
from orchestrator.llm.base import DialogBackend, DialogNote, DialogTurn, LLMCallRecord
from orchestrator.llm.chat import ChatClient, LLMError
from orchestrator.llm.guard import Figure, caller_figures, unbacked_figures
from orchestrator.llm.tools import TOOL_SCHEMAS, ToolResult, run_tool
from orchestrator.tts.chunking import split_sentences

__all__ = ["SYSTEM_PROMPT", "LLMDialog", "LLMOptions"]

SYSTEM_PROMPT = (
    "You are the voice assistant of a retail bank, speaking with a caller on the phone. "
    "Answer in one to three short spoken sentences of plain text: no markdown, lists or emoji. "
    "Never work out a money figure yourself: for a loan payment, APR, total repayable, interest, "
    "payment schedule or how much the caller can afford, call a tool and say only the figures it returns. "
    "When you give a loan quote, say the monthly payment, the APR and the total repayable, "
    "and that it is an estimate, not an offer. "
    "For the bank's opening hours, fees, limits, documents or contact details, call bank_faq and use its answer. "
    "If the amount, rate or term is missing, ask for it. "
    "Never ask for card numbers, account numbers or social security numbers; "
    "words in square brackets such as [CARD] mean the caller said one and it was removed."
)

# Intents whose answer is fixed by policy: the rules dialog says it, the LLM is not asked.
_RULES_ONLY = frozenset({"lost_card", "human_handoff"})


@dataclass(frozen=True, slots=True)
class LLMOptions:
    """How hard the bridge tries before it falls back to the rules answer."""

    model: str
    retries: int = 2
    backoff_s: float = 0.5
    max_backoff_s: float = 8.0
    deadline_s: float = 30.0
    history_turns: int = 6
    max_tool_rounds: int = 3


class UnbackedFigureError(Exception):
    """A sentence of the reply holds figures that no tool result and no value of the caller backs in their role."""

    def __init__(self, figures: list[Figure], sentence: str) -> None:
        said = ", ".join(f"{f.said} as {'a' if f.role[0] not in 'aeiou' else 'an'} {f.role}" for f in figures)
        super().__init__(f"{said}, which no tool result of this turn backs")
        self.figures = figures
        self.sentence = sentence


@dataclass
class _ToolCallParts:
    id: str | None = None
    name: str = ""
    arguments: str = ""


@dataclass
class _Meter:
    """What one request's stream has told so far."""

    first_token_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    def record(self, model: str, round_no: int, attempt: int, *, ok: bool, ms: float, status: int | None = None,
               category: str | None = None, tool_calls: tuple[str, ...] = ()) -> LLMCallRecord:
        return LLMCallRecord(
            model=model, round=round_no, attempt=attempt, ok=ok, ms=ms, status=status, category=category,
            first_token_ms=self.first_token_ms, prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens, tool_calls=tool_calls,
        )


@dataclass
class _Turn:
    """What one turn has said, computed and tried so far."""

    user_text: str
    on_text: Callable[[str], None] | None
    caller: list[Figure] = field(default_factory=list)  # the caller's own values, see guard.caller_figures
    spoken: list[str] = field(default_factory=list)
    buffer: str = ""
    tool_results: list[ToolResult] = field(default_factory=list)
    calls: list[LLMCallRecord] = field(default_factory=list)

    def backing(self) -> list[Figure]:
        return [figure for result in self.tool_results for figure in result.backing]

    def say(self, sentence: str) -> None:
        figures = unbacked_figures(sentence, self.backing(), self.caller)
        if figures:
            raise UnbackedFigureError(figures, sentence)
        self.spoken.append(sentence)
        if self.on_text is not None:
            self.on_text(sentence)

    def feed(self, text: str) -> None:
        """Add streamed text; say every sentence that is complete."""
        self.buffer += text
        sentences = split_sentences(self.buffer)
        if len(sentences) > 1:
            for sentence in sentences[:-1]:
                self.say(sentence)
            self.buffer = self.buffer[self.buffer.rindex(sentences[-1]):]

    def flush(self) -> None:
        rest, self.buffer = self.buffer.strip(), ""
        for sentence in split_sentences(rest):
            self.say(sentence)


class LLMDialog:
    """``DialogBackend`` over a chat-completions server, with tools, streaming and the rules fallback."""

    def __init__(
        self,
        client: ChatClient,
        fallback: DialogBackend,
        options: LLMOptions,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = client.name
        self._client = client
        self._fallback = fallback
        self.options = options
        self._sleep = sleep
        self._clock = clock

    def fixed_phrases(self) -> list[str]:
        """The rules dialog's fixed sentences: it speaks them whenever it stands in."""
        return self._fallback.fixed_phrases()

    def reply(self, user_text: str, memory: dict[str, Any]) -> DialogTurn:
        """Answer without streaming (the whole reply at once)."""
        return self.reply_stream(user_text, memory, None)

    def reply_stream(
        self,
        user_text: str,
        memory: dict[str, Any],
        on_text: Callable[[str], None] | None,
        *,
        model: str | None = None,
    ) -> DialogTurn:
        """Answer ``user_text``, handing each finished sentence to ``on_text`` as it streams in.

        ``model`` overrides the configured model for this turn (a served LoRA adapter, say).
        Never raises for an LLM failure: the rules answer stands in and the turn says why.
        """
        shadow = self._fallback.reply(user_text, memory)
        if shadow.intent in _RULES_ONLY or shadow.state == "handoff":
            if on_text is not None:
                on_text(shadow.text)
            return _with_history(shadow, memory, user_text, shadow.text, self.options.history_turns, source="rules")
        clean = redact(user_text)
        turn = _Turn(user_text=clean, on_text=on_text, caller=caller_figures(clean, shadow.slots))
        history = list(memory.get("llm_history", []))
        messages = [{"role": "system", "content": SYSTEM_PROMPT}, *history, {"role": "user", "content": turn.user_text}]
        notes: list[DialogNote] = []
        flagged: list[str] = []
        try:
            self._converse(messages, turn, model or self.options.model)
        except UnbackedFigureError as exc:
            flagged = [f"{f.role} {f.said}" for f in exc.figures]
            notes.append(DialogNote("llm_unbacked_figure", f"the LLM said {exc}; that sentence and the rest of "
                                    "its answer were not spoken, the rules answer was", False))
        except LLMError as exc:
            notes.append(DialogNote(exc.category, exc.message, exc.retryable))
        except Exception as exc:  # a bug here must cost one LLM answer, never the caller's turn
            notes.append(DialogNote("llm_internal", f"LLM dialog failed: {type(exc).__name__}", False))
        if not notes:
            text = " ".join(turn.spoken)
            slots = {**shadow.slots, **{k: v for r in turn.tool_results for k, v in r.slots.items()}}
            figures = {k: v for r in turn.tool_results for k, v in r.figures.items()}
            # The model answered, so the rules' re-prompt count and "repeat that" start from its answer.
            memory_after = {**shadow.memory, "failures": 0, "last_reply": text, "last_figures": figures}
            result = DialogTurn(
                text=text, intent=shadow.intent, slots=slots, state=shadow.state,
                memory=memory_after, figures=figures,
            )
            return _with_history(result, memory, turn.user_text, text, self.options.history_turns,
                                 source="llm", calls=turn.calls)
        # Sentences already spoken passed the guard; the rules answer says the rest.
        if on_text is not None:
            on_text(shadow.text)
        text = " ".join([*turn.spoken, shadow.text])
        result = DialogTurn(
            text=text, intent=shadow.intent, slots=shadow.slots, state=shadow.state,
            memory=shadow.memory, figures=shadow.figures,
        )
        return _with_history(result, memory, turn.user_text, text, self.options.history_turns, source="rules",
                             calls=turn.calls, notes=notes, flagged=flagged)

    # -- the conversation with the model ------------------------------------

    def _converse(self, messages: list[dict[str, Any]], turn: _Turn, model: str) -> None:
        deadline = self._clock() + self.options.deadline_s
        for round_no in range(self.options.max_tool_rounds + 1):
            said_before = len(turn.spoken)
            calls = self._round(messages, turn, model, round_no, deadline)
            if not calls:
                turn.flush()
                if not turn.spoken:
                    raise LLMError("the LLM sent an empty reply")
                return
            round_text = " ".join(turn.spoken[said_before:])
            messages.append({
                "role": "assistant",
                "content": round_text,
                "tool_calls": [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                    for c in calls
                ],
            })
            for call in calls:
                result = run_tool(call.name, call.arguments)
                turn.tool_results.append(result)
                messages.append({"role": "tool", "tool_call_id": call.id, "name": call.name, "content": result.content})
        raise LLMError(f"the LLM was still calling tools after {self.options.max_tool_rounds} rounds")

    def _round(
        self, messages: list[dict[str, Any]], turn: _Turn, model: str, round_no: int, deadline: float
    ) -> list[_ToolCallParts]:
        """One request, retried while nothing has been said and the error is the server's."""
        attempt = 0
        while True:
            attempt += 1
            start = self._clock()
            meter = _Meter()
            spoken_before = len(turn.spoken)
            turn.buffer = ""
            try:
                calls = self._consume(messages, turn, model, meter, start)
            except LLMError as exc:
                ms = round((self._clock() - start) * 1000, 1)
                turn.calls.append(meter.record(model, round_no, attempt, ok=False, ms=ms, status=exc.status,
                                               category=exc.category))
                delay = self._delay(attempt, exc)
                if (
                    not exc.retryable
                    or len(turn.spoken) > spoken_before
                    or attempt > self.options.retries
                    or self._clock() + delay >= deadline
                ):
                    raise
                self._sleep(delay)
                continue
            ms = round((self._clock() - start) * 1000, 1)
            turn.calls.append(meter.record(model, round_no, attempt, ok=True, ms=ms,
                                           tool_calls=tuple(c.name for c in calls)))
            return calls

    def _consume(
        self, messages: list[dict[str, Any]], turn: _Turn, model: str, meter: _Meter, start: float
    ) -> list[_ToolCallParts]:
        parts: dict[int, _ToolCallParts] = {}
        redacted = [_redact_message(m) for m in messages]
        for chunk in self._client.stream(model=model, messages=redacted, tools=TOOL_SCHEMAS):
            if meter.first_token_ms is None and (chunk.text or chunk.tool_calls):
                meter.first_token_ms = round((self._clock() - start) * 1000, 1)
            if chunk.prompt_tokens is not None:
                meter.prompt_tokens = chunk.prompt_tokens
            if chunk.completion_tokens is not None:
                meter.completion_tokens = chunk.completion_tokens
            for delta in chunk.tool_calls:
                part = parts.setdefault(delta.index, _ToolCallParts())
                part.id = part.id or delta.id
                part.name = part.name or (delta.name or "")
                part.arguments += delta.arguments
            if chunk.text:
                turn.feed(chunk.text)
        calls = [parts[i] for i in sorted(parts)]
        for number, call in enumerate(calls):
            if not call.name:
                raise LLMError("the LLM sent a tool call without a name")
            call.id = call.id or f"call{number:05d}"
        return calls

    def _delay(self, attempt: int, exc: LLMError) -> float:
        if exc.retry_after_s is not None and exc.retry_after_s >= 0:
            return min(exc.retry_after_s, self.options.max_backoff_s)
        base = min(self.options.backoff_s * 2 ** (attempt - 1), self.options.max_backoff_s)
        # Jitter keeps many workers from retrying in step after one outage.
        return base * random.uniform(0.75, 1.25)


def _redact_message(message: dict[str, Any]) -> dict[str, Any]:
    """The message as it may leave the process: its text redacted (defence in depth)."""
    content = message.get("content")
    return {**message, "content": redact(content)} if isinstance(content, str) else dict(message)


def _with_history(
    result: DialogTurn,
    memory: dict[str, Any],
    user_text: str,
    reply: str,
    keep_turns: int,
    *,
    source: DialogSource,
    calls: list[LLMCallRecord] | None = None,
    notes: list[DialogNote] | None = None,
    flagged: list[str] | None = None,
) -> DialogTurn:
    history = [*memory.get("llm_history", []), {"role": "user", "content": redact(user_text)},
               {"role": "assistant", "content": redact(reply)}]
    return dataclasses.replace(
        result,
        memory={**result.memory, "llm_history": history[-2 * keep_turns:] if keep_turns else []},
        source=source,
        llm_calls=tuple(calls or ()),
        notes=tuple(notes or ()),
        flagged_figures=tuple(flagged or ()),
    )
