"""Chainlit handlers only: turn UI events into pipeline calls and render steps.

All logic lives in ``orchestrator.ui``; see ``chainlit.md`` for what a tester sees.
Run with ``chainlit run app.py`` (the README's first command does it for you).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import chainlit as cl
import chainlit.server as chainlit_server
from chainlit.config import config as chainlit_config

from orchestrator.compliance import CONSENT_DECLINED, CONSENT_THANKS
from orchestrator.config import get_settings
from orchestrator.errors import ConfigError, VoicebotError
from orchestrator.metrics import MetricsSink
from orchestrator.realtime import Heard, Utterance
from orchestrator.report import session_waterfall
from orchestrator.runtime import BUS, build_pipeline, load_vad, warm_in_background
from orchestrator.scenarios import ScenarioError, TurnRun
from orchestrator.scenarios.record import save_session_as_scenario
from orchestrator.ui import ChatSession, StepView, TurnOutcome, browser
from orchestrator.ui.access import (
    Principal,
    authorize_replay,
    claim_session,
    current_principal,
    replay_choices,
    replay_prompt,
)
from orchestrator.ui.adapters import PICKER_ID, adapter_picker, apply_adapter_choice
from orchestrator.ui.auth import Login, check_bind, ensure_auth_secret
from orchestrator.ui.metrics_route import install_metrics_route
from orchestrator.ui.offline import install as keep_page_offline
from orchestrator.ui.replay_view import replay_views
from orchestrator.ui.scenarios import (
    SCENARIOS_DIR,
    ScenarioCommand,
    ScenarioLibrary,
    parse_command,
    summary_text,
    turn_steps,
)
from orchestrator.ui.voice import HANDS_FREE_ID, ChatVoice, cut_text, hands_free_choice, heard_text

keep_page_offline()
try:
    SETTINGS = get_settings()
    LOGIN = Login.from_settings(SETTINGS)  # on when VOICEBOT_HOME/users.json lists a user
    check_bind(chainlit_config.run.host, LOGIN.enabled)
    if LOGIN.enabled:
        ensure_auth_secret(SETTINGS.home)
        cl.password_auth_callback(LOGIN.authenticate)
    # Models load once, at start-up, and serve every chat; the fixed phrases are synthesised in the background.
    PIPELINE = build_pipeline(SETTINGS, warm=False)
    warm_in_background(PIPELINE)
    VAD = load_vad(SETTINGS)  # hands-free endpointing: one model, a state per microphone
except ConfigError as exc:
    print(f"voicebot: cannot start: {exc.message}", file=sys.stderr)
    raise SystemExit(2) from None
LIBRARY = ScenarioLibrary()
METRICS = MetricsSink()
PIPELINE.tracer.add_sink(METRICS)
install_metrics_route(chainlit_server.app, METRICS)
browser.install(chainlit_server.app)


def _chat() -> ChatSession:
    chat = cl.user_session.get("chat")
    if chat is None:
        chat = ChatSession(PIPELINE, bus=BUS)
        cl.user_session.set("chat", chat)
    return chat


def _voice() -> ChatVoice:
    chat = _chat()
    return chat.voice or chat.attach_voice(cl.context.emitter, VAD, hands_free=SETTINGS.hands_free)


def _principal() -> Principal:
    return current_principal(LOGIN)


async def _say(text: str, actions: list[cl.Action] | None = None) -> None:
    await cl.Message(content=text, actions=actions or [], author="VoiceBot").send()


async def _show_step(view: StepView) -> None:
    async with cl.Step(name=view.name, type=view.type, show_input=True) as step:
        step.input = view.input
        step.output = view.output


async def _render(outcome: TurnOutcome) -> None:
    await claim_session(PIPELINE, _chat().session_id, _principal())
    if not outcome.streamed:
        for view in outcome.steps:
            await _show_step(view)
    if outcome.error:
        await cl.Message(content=f"⚠️ {outcome.error}", author="VoiceBot").send()
        return
    elements: list[cl.Element] = []
    if outcome.wav:
        # A streamed reply has already played: the WAV is there to play again.
        elements.append(cl.Audio(name="reply.wav", content=outcome.wav, mime="audio/wav",
                                 auto_play=not outcome.spoken))
    # These act on the chat's own session: the payload carries no id for a page to change.
    actions = [
        cl.Action(name="save_scenario", payload={}, label="💾 Save as scenario"),
        cl.Action(name="replay_session", payload={}, label="⏪ Replay this session"),
        cl.Action(name="waterfall", payload={}, label="📊 Latency waterfall"),
    ]
    await cl.Message(content=outcome.reply or "", elements=elements, actions=actions, author="VoiceBot").send()
    if outcome.schedule is not None:
        chart = cl.Image(name="balance_chart", content=outcome.schedule.png, mime="image/png", display="inline")
        content = f"**Payment schedule** ({outcome.schedule.periods} months)\n\n{outcome.schedule.table_markdown}"
        await cl.Message(content=content, elements=[chart], author="VoiceBot").send()


def _scenario_actions(names: list[str], audio: bool = False) -> list[cl.Action]:
    icon = "🔊" if audio else "▶"
    return [
        cl.Action(name="run_scenario", payload={"name": n, "audio": audio}, label=f"{icon} {n}") for n in names
    ]


async def _play_scenario(command: ScenarioCommand) -> None:
    if command.action == "list":
        names = LIBRARY.names()
        text = f"{len(names)} scenarios. Click one to play it, or type `/scenario NAME --audio` to hear it."
        if LIBRARY.problems:
            text += "\n\nSkipped (malformed):\n" + "\n".join(f"- {p}" for p in LIBRARY.problems)
        await cl.Message(content=text, actions=_scenario_actions(names), author="VoiceBot").send()
        return
    try:
        LIBRARY.get(command.name)
    except ScenarioError as exc:
        await cl.Message(content=f"⚠️ {exc.message}", author="VoiceBot").send()
        return

    async def on_turn(turn: TurnRun) -> None:
        caller = [cl.Audio(name="caller.wav", content=turn.input_wav, mime="audio/wav")] if turn.input_wav else []
        await cl.Message(content=f"🧪 {turn.user}", elements=caller, author="Caller").send()
        for view in turn_steps(turn):
            await _show_step(view)
        result = turn.result
        if result is None:
            await cl.Message(content=f"⚠️ {turn.error}", author="VoiceBot").send()
            return
        voice = cl.Audio(name="reply.wav", content=result.wav_bytes(), mime="audio/wav", auto_play=command.audio)
        await cl.Message(content=result.reply, elements=[voice], author="VoiceBot").send()
        if command.audio:  # let the reply play before the caller speaks again
            await asyncio.sleep(len(result.audio) / max(result.sample_rate, 1))

    run = await LIBRARY.play(command.name, PIPELINE, audio_mode=command.audio, on_turn=on_turn)
    await cl.Message(content=summary_text(run), author="VoiceBot").send()


@cl.on_chat_start
async def on_chat_start() -> None:
    chat = _chat()
    starters = LIBRARY.names(tag="starter")
    actions = _scenario_actions(starters) + _scenario_actions(starters, audio=True)
    actions.append(cl.Action(name="list_replays", payload={}, label="⏪ Replay a session"))
    actions.append(cl.Action(name="consent", payload={"agree": True}, label="✅ I agree to voice recording"))
    await cl.Message(content=chat.welcome, actions=actions, author="VoiceBot").send()
    picker = await asyncio.to_thread(adapter_picker, PIPELINE)
    select: cl.input_widget.InputWidget = cl.input_widget.Select(
        id=PICKER_ID, label="LoRA adapter", values=picker.values, initial_value=picker.initial,
        description=picker.description,
    )
    hands_free = cl.input_widget.Switch(
        id=HANDS_FREE_ID, label="Hands-free", initial=_voice().hands_free,
        description="On: the microphone stays open and the bot answers when you pause. Off: push-to-talk.",
    )
    await cl.ChatSettings([select, hands_free]).send()


@cl.on_settings_update
async def on_settings_update(settings: dict[str, object]) -> None:
    hands_free = hands_free_choice(settings.get(HANDS_FREE_ID))
    if hands_free is not None and hands_free != _voice().hands_free:
        _voice().hands_free = hands_free
        await _say("Hands-free: the bot answers when you pause (from the next time you open the microphone)."
                   if hands_free else "Push-to-talk: click the microphone again when you have finished speaking.")
    try:
        text = await apply_adapter_choice(PIPELINE, _chat().session_id, settings.get(PICKER_ID))
    except VoicebotError as exc:
        text = f"⚠️ {exc.message}"
    await cl.Message(content=text, author="VoiceBot").send()


@cl.action_callback("run_scenario")
async def on_run_scenario(action: cl.Action) -> None:
    payload = action.payload or {}
    await _play_scenario(ScenarioCommand("play", str(payload.get("name", "")), bool(payload.get("audio"))))


@cl.action_callback("save_scenario")
async def on_save_scenario(action: cl.Action) -> None:
    sid = _chat().session_id
    folder = PIPELINE.settings.recorded_scenarios_dir or SCENARIOS_DIR / "recorded"
    try:
        path = await asyncio.to_thread(save_session_as_scenario, PIPELINE.settings, PIPELINE.store, sid, folder)
    except (VoicebotError, ValueError, OSError) as exc:
        await cl.Message(content=f"⚠️ Could not save the scenario: {getattr(exc, 'message', exc)}",
                         author="VoiceBot").send()
        return
    await cl.Message(content=f"💾 Saved as scenario `{path.name}` in `{path.parent}`. "
                             f"Run it with `voicebot run-scenario {path}`.", author="VoiceBot").send()


@cl.action_callback("waterfall")
async def on_waterfall(action: cl.Action) -> None:
    sid = _chat().session_id
    try:
        png = await asyncio.to_thread(session_waterfall, PIPELINE.settings.logs_dir, sid)
    except VoicebotError as exc:
        await cl.Message(content=f"⚠️ {exc.message}", author="VoiceBot").send()
        return
    if png is None:
        await cl.Message(content="No finished turn yet.", author="VoiceBot").send()
        return
    image = cl.Image(name="latency_waterfall", content=png, mime="image/png", display="inline")
    await cl.Message(content=f"📊 Latency waterfall of this session (`{sid}`)", elements=[image],
                     author="VoiceBot").send()


@cl.action_callback("consent")
async def on_consent(action: cl.Action) -> None:
    agree = bool((action.payload or {}).get("agree"))
    await PIPELINE.set_consent(_chat().session_id, agree)
    await cl.Message(content=CONSENT_THANKS if agree else CONSENT_DECLINED, author="VoiceBot").send()


@cl.action_callback("list_replays")
async def on_list_replays(action: cl.Action) -> None:
    principal = _principal()
    choices = await asyncio.to_thread(replay_choices, PIPELINE.store, principal, _chat().session_id)
    actions = [cl.Action(name="replay_pick", payload={"session": c.session_id}, label=c.label) for c in choices]
    await _say(replay_prompt(principal, choices), actions)


@cl.action_callback("replay_session")
async def on_replay_session(action: cl.Action) -> None:
    await _replay(_chat().session_id)


@cl.action_callback("replay_pick")
async def on_replay_pick(action: cl.Action) -> None:
    requested = (action.payload or {}).get("session")
    try:
        sid = await asyncio.to_thread(authorize_replay, PIPELINE.store, _principal(), requested, _chat().session_id)
    except VoicebotError as exc:  # someone else's session, or not a session id at all
        await _say(f"⛔ {exc.message}")
        return
    await _replay(sid)


async def _replay(sid: str) -> None:
    try:
        views = await asyncio.to_thread(replay_views, PIPELINE.settings, sid)
    except VoicebotError as exc:
        await _say(f"⚠️ {exc.message}")
        return
    await _say(f"⏪ Replay of session `{sid}`: {len(views)} turns")
    for view in views:
        await cl.Message(content=view.caller, author="Caller (replay)").send()
        for step in view.steps:
            await _show_step(step)
        await cl.Message(content=view.reply or f"⚠️ {view.error}", author="VoiceBot (replay)").send()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    command = parse_command(message.content or "")
    if command is not None:
        await _play_scenario(command)
        return
    chat = _chat()
    uploads = [e for e in message.elements or [] if e.path and (e.mime or "").startswith("audio/")]
    if uploads:
        await _render(await chat.file_turn(Path(str(uploads[0].path)), on_step=_show_step))
    else:
        await _render(await chat.text_turn(message.content or "", on_step=_show_step))


async def _heard(utterance: Utterance) -> None:
    await cl.Message(content=heard_text(utterance), author="Caller").send()


async def _cut(heard: Heard) -> None:
    await _say(cut_text(heard))


@cl.on_audio_start
async def on_audio_start() -> bool:
    _voice().mic_on(on_step=_show_step, on_heard=_heard, render=_render, on_cut=_cut)
    return True  # anything else and Chainlit records nothing


@cl.on_audio_chunk
async def on_audio_chunk(chunk: cl.InputAudioChunk) -> None:
    _voice().mic_chunk(chunk.data)


@cl.on_audio_end
async def on_audio_end() -> None:
    outcome = await _voice().mic_off(_show_step)
    if outcome is not None:  # push-to-talk: the recording was the turn
        await _render(outcome)
