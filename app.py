"""Chainlit handlers only: turn UI events into pipeline calls and render steps.

All logic lives in ``orchestrator.ui``; see ``chainlit.md`` for what a tester sees.
Run with ``chainlit run app.py`` (the README's first command does it for you).
"""

from __future__ import annotations

import sys
from pathlib import Path

import chainlit as cl

from orchestrator.config import get_settings
from orchestrator.errors import ConfigError
from orchestrator.runtime import BUS, build_pipeline
from orchestrator.ui import ChatSession, StepView, TurnOutcome
from orchestrator.ui.offline import install as keep_page_offline

keep_page_offline()
try:
    # Models load once, at start-up, and serve every chat.
    PIPELINE = build_pipeline(get_settings())
except ConfigError as exc:
    print(f"voicebot: cannot start: {exc.message}", file=sys.stderr)
    raise SystemExit(2) from None


def _chat() -> ChatSession:
    chat = cl.user_session.get("chat")
    if chat is None:
        chat = ChatSession(PIPELINE, bus=BUS)
        cl.user_session.set("chat", chat)
    return chat


async def _show_step(view: StepView) -> None:
    async with cl.Step(name=view.name, type=view.type, show_input=True) as step:
        step.input = view.input
        step.output = view.output


async def _render(outcome: TurnOutcome) -> None:
    if not outcome.streamed:
        for view in outcome.steps:
            await _show_step(view)
    if outcome.error:
        await cl.Message(content=f"⚠️ {outcome.error}", author="VoiceBot").send()
        return
    elements: list[cl.Element] = []
    if outcome.wav:
        elements.append(cl.Audio(name="reply.wav", content=outcome.wav, mime="audio/wav", auto_play=True))
    await cl.Message(content=outcome.reply or "", elements=elements, author="VoiceBot").send()
    if outcome.schedule is not None:
        chart = cl.Image(name="balance_chart", content=outcome.schedule.png, mime="image/png", display="inline")
        content = f"**Payment schedule** ({outcome.schedule.periods} months)\n\n{outcome.schedule.table_markdown}"
        await cl.Message(content=content, elements=[chart], author="VoiceBot").send()


@cl.on_chat_start
async def on_chat_start() -> None:
    chat = _chat()
    await cl.Message(content=chat.welcome, author="VoiceBot").send()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    chat = _chat()
    uploads = [e for e in message.elements or [] if e.path and (e.mime or "").startswith("audio/")]
    if uploads:
        await _render(await chat.file_turn(Path(uploads[0].path), on_step=_show_step))
    else:
        await _render(await chat.text_turn(message.content or "", on_step=_show_step))


@cl.on_audio_start
async def on_audio_start() -> bool:
    _chat().start_recording()
    return True  # anything else and Chainlit records nothing


@cl.on_audio_chunk
async def on_audio_chunk(chunk: cl.InputAudioChunk) -> None:
    if chunk.isStart:
        _chat().start_recording()
    _chat().add_chunk(chunk.data)


@cl.on_audio_end
async def on_audio_end() -> None:
    await _render(await _chat().audio_turn(on_step=_show_step))
