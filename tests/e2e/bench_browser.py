"""The browser bench: what a caller waits for in real Chromium, as JSON with p50/p95.

* ``typed_send_to_audio_ms``: the Send click to the first reply audio playing in the page
  (turns 2 and later of one chat: the first turn, with its disclosure, is left out);
* ``hands_free_end_of_speech_to_audio_ms``: the end of the caller's speech, as the page's
  microphone captured it from the fake-mic WAV, to the first reply audio playing (one open
  microphone, never clicked again; the "Hello." turn first, then one question per gap).

The app runs on the default stack (``chainlit run app.py``), with the e2e harness's
Chromium, probes and fake microphone. Run it with ``scripts/bench-browser.sh``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from orchestrator.bench import BENCH_UTTERANCES, OPENER, TARGETS_BROWSER_MS, percentile
from orchestrator.trace import read_jsonl
from tests.e2e.harness import MIC_BUTTON, TURN_TIMEOUT_MS, UI_TIMEOUT_MS, Server, open_tab, start_app
from tests.e2e.voice_harness import Probe, launch_with_mic, listen, spoken_wav

NO_AUDIO_MS = 60_000  # a typed turn with no reply audio by then is reported as such
GAP_S = 16.0  # silence after each hands-free question: room for its reply to play out
_PLAYING_AFTER = """([t, n]) => window.__voicebotAudio.playing.concat(window.__voicebotAudio.media)
    .filter((p) => p.t >= t).length > 0 && window.__voicebotAudio.messages.length > n"""
# The reply has played out: its turn has ended (its message is shown) and the page has been quiet for
# longer than the gap between two of its pieces.
_QUIET = """([t, hold]) => { const a = window.__voicebotAudio; const last = a.playing[a.playing.length - 1];
    const answered = a.messages.some((m) => m.t > t && m.kind === 'assistant_message');
    return answered && (!last || a.quiet.some((q) => q.t > last.t && performance.now() - q.t > hold)); }"""
QUIET_MS = 600  # the reply's pieces are 120 ms apart


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _summary(values: list[float]) -> dict[str, Any]:
    return {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "values": [round(v, 1) for v in values]}


def _typed(server: Server, playwright: Any, turns: int, silent: list[str]) -> list[float]:
    browser = launch_with_mic(playwright, None)
    waits: list[float] = []
    try:
        with open_tab(server, browser) as tab:
            page = listen(tab)
            tab.open_chat()
            texts = [OPENER] + [BENCH_UTTERANCES[i % len(BENCH_UTTERANCES)] for i in range(turns)]
            for i, text in enumerate(texts):
                messages = page.evaluate("() => window.__voicebotAudio.messages.length")
                tab.send_text(text)
                clicked = page.evaluate("() => window.__voicebotAudio.clicks.slice(-1)[0]")
                try:
                    page.wait_for_function(_PLAYING_AFTER, arg=[clicked, messages + 1], timeout=NO_AUDIO_MS)
                except PlaywrightTimeout:
                    silent.append(text)  # e.g. a goodbye that ends the chat: reported, not a figure
                    _progress(f"typed {i}/{turns}: no reply audio within {NO_AUDIO_MS} ms")
                    continue
                playing = Probe.read(page).first_playing_after(clicked)
                assert playing is not None
                if i > 0:  # the opener's reply (the cached disclosure) is not a figure
                    waits.append(playing - clicked)
                    _progress(f"typed {i}/{turns}: {playing - clicked:.0f} ms")
                _wait_quiet(page, clicked)
    finally:
        browser.close()
    return waits


def _wait_quiet(page: Page, clicked: float) -> None:
    """Let the reply to the turn sent at ``clicked`` play out (so the next figure starts from silence)."""
    page.wait_for_function(_QUIET, arg=[clicked, QUIET_MS], timeout=TURN_TIMEOUT_MS)


def _hands_free(server: Server, playwright: Any, turns: int, tmp: Path) -> tuple[list[float], int]:
    texts = [BENCH_UTTERANCES[i % len(BENCH_UTTERANCES)] for i in range(turns)]
    parts: list[str | float] = [0.3, OPENER, GAP_S]
    for text in texts:
        parts += [text, GAP_S]
    mic = spoken_wav(tmp / "bench-mic.wav", parts)
    browser = launch_with_mic(playwright, mic)
    try:
        with open_tab(server, browser) as tab:
            page = listen(tab)
            tab.open_chat()
            page.locator(MIC_BUTTON).click()
            page.wait_for_function("() => window.__voicebotMic.calls >= 1", timeout=UI_TIMEOUT_MS)
            captured = int((mic.seconds - 0.5) * 24_000 * 2)
            _progress(f"hands-free: the fake microphone speaks for {mic.seconds:.0f} s")
            page.wait_for_function("n => window.__voicebotMic.bytes >= n", arg=captured,
                                   timeout=int(mic.seconds * 1000) + TURN_TIMEOUT_MS, polling=1000)
            page.wait_for_timeout(2000)
            probe = Probe.read(page)
    finally:
        browser.close()
    edges = probe.speech_edges(gap_ms=1000.0)
    waits = []
    for _onset, end in edges[1:]:  # the opener first: its reply is the disclosure
        playing = probe.first_playing_after(end)
        if playing is not None:
            waits.append(playing - end)
    return waits, len(edges)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=12, help="typed turns after the first (default 12)")
    parser.add_argument("--hands-free-turns", type=int, default=6,
                        help=f"hands-free questions after the opener, {GAP_S:.0f} s apart (default 6)")
    args = parser.parse_args(argv)
    if args.turns < 1 or args.hands_free_turns < 1:
        print(json.dumps({"error": {"category": "usage", "message": "--turns and --hands-free-turns must be >= 1"}}))
        return 2
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="voicebot-bench-browser-") as tmp, sync_playwright() as playwright:
        started = time.monotonic()
        with start_app(Path(tmp)) as server:
            _progress(f"app up in {time.monotonic() - started:.1f} s")
            silent: list[str] = []
            typed = _typed(server, playwright, args.turns, silent)
            hands_free, utterances = _hands_free(server, playwright, args.hands_free_turns, Path(tmp))
            kinds = [e.type for log in sorted((server.home / "logs").glob("*.jsonl")) for e in read_jsonl(log)
                     if getattr(e, "input_kind", "audio") == "audio"]
    report = {
        "typed_send_to_audio_ms": _summary(typed),
        "typed_turns_without_reply_audio": silent,
        "hands_free_end_of_speech_to_audio_ms": _summary(hands_free),
        "hands_free_utterances_captured": utterances,
        "hands_free_questions": args.hands_free_turns + 1,
        # Audio turns answered: the typed chat has none, so one per question is neither split nor dropped.
        "hands_free_turns_started": kinds.count("turn_started"),
        "hands_free_segments_judged_noise": kinds.count("segment_noise"),
        "hands_free_interrupted": kinds.count("interrupted"),
        "targets_ms": TARGETS_BROWSER_MS,
        "machine": {"cpus": os.cpu_count(), "load_avg_1m_before": round(load_before, 2),
                    "load_avg_1m_after": round(os.getloadavg()[0], 2)},
    }
    measured = {"typed_send_to_audio_p50": typed, "hands_free_end_of_speech_to_audio_p50": hands_free}
    report["targets_met"] = {  # None: nothing measured
        name: (percentile(values, 50) <= TARGETS_BROWSER_MS[name] if values else None)
        for name, values in measured.items()
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
