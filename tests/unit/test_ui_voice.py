"""The chat's voice without a browser: push-to-talk and hands-free turns, and what goes to the page's player."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from orchestrator.audio import pcm16_bytes
from orchestrator.pipeline import Pipeline
from orchestrator.realtime import LevelVAD
from orchestrator.ui.session import ChatSession, TurnOutcome
from orchestrator.ui.voice import ChatVoice
from tests.unit.realtime_fakes import quiet, voice

pytestmark = pytest.mark.asyncio


@dataclass
class PageEmitter:
    """Chainlit's emitter as the page's player sees it: audio chunks per track, and interrupts."""

    chunks: list[tuple[str, bytes]] = field(default_factory=list)
    interrupts: int = 0

    async def send_audio_chunk(self, chunk: Any) -> None:
        self.chunks.append((chunk["track"], chunk["data"]))

    async def send_audio_interrupt(self) -> None:
        self.interrupts += 1

    def tracks(self) -> list[str]:
        return list(dict.fromkeys(track for track, _data in self.chunks))

    def samples(self, track: str) -> int:
        return sum(len(data) for t, data in self.chunks if t == track) // 2


async def _nothing(*_args: object) -> None:
    return None


def _speak_into(chat_voice: ChatVoice, seconds: float) -> None:
    """The page's microphone: a loud tone (speech to the level detector), then a second of silence, 24 kHz."""
    pcm = pcm16_bytes(np.concatenate([voice(seconds), quiet(1.0)]))
    for i in range(0, len(pcm), 8192):  # Chainlit's chunk size
        chat_voice.mic_chunk(pcm[i: i + 8192])


def _voice(pipeline: Pipeline, *, hands_free: bool) -> tuple[ChatVoice, PageEmitter]:
    page = PageEmitter()
    chat = ChatSession(pipeline)
    return chat.attach_voice(page, LevelVAD(), hands_free=hands_free), page


async def test_push_to_talk_answers_when_the_microphone_closes_and_streams_the_answer_on_one_track(
    fake_pipeline: Pipeline,
) -> None:
    chat_voice, page = _voice(fake_pipeline, hands_free=False)
    chat_voice.mic_on(on_step=_nothing, on_heard=_nothing, render=_nothing)
    _speak_into(chat_voice, 1.0)
    assert page.chunks == []  # nothing is answered while the microphone is open

    outcome = await chat_voice.mic_off(_nothing)

    assert outcome is not None and outcome.error is None and outcome.reply
    assert outcome.spoken  # its WAV is for replay: the voice went out piece by piece
    (track,) = page.tracks()
    assert outcome.result is not None
    played = page.samples(track) / 24_000
    assert played >= len(outcome.result.audio) / outcome.result.sample_rate  # the whole reply, and the gaps


async def test_switching_the_microphone_off_while_a_hands_free_answer_plays_lets_it_play_on(
    fake_pipeline: Pipeline,
) -> None:
    chat_voice, page = _voice(fake_pipeline, hands_free=True)
    rendered: list[TurnOutcome] = []

    async def render(outcome: TurnOutcome) -> None:
        rendered.append(outcome)

    chat_voice.mic_on(on_step=_nothing, on_heard=_nothing, render=render)
    _speak_into(chat_voice, 1.0)
    for _ in range(500):  # the engine ends the turn by itself; its answer (the disclosure) lasts seconds
        if rendered:
            break
        await asyncio.sleep(0.01)
    assert rendered and rendered[0].reply, "the hands-free turn was not answered"
    (first,) = page.tracks()
    sent = page.samples(first)

    await chat_voice.mic_off(_nothing)  # the page stops its own player when its microphone goes off

    first_again, rest = page.tracks()
    assert first_again == first and rest != first  # the rest goes out on a track the page has not stopped
    assert 0 < page.samples(rest) <= sent
    assert chat_voice.player.audible()


async def test_switching_the_microphone_off_after_the_answer_has_played_sends_nothing_more(
    fake_pipeline: Pipeline,
) -> None:
    chat_voice, page = _voice(fake_pipeline, hands_free=True)
    chat_voice.mic_on(on_step=_nothing, on_heard=_nothing, render=_nothing)

    await chat_voice.mic_off(_nothing)  # nothing was said, nothing plays

    assert page.chunks == [] and page.interrupts == 0
