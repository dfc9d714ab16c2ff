#!/usr/bin/env bash
# The browser bench: Send click -> first reply audio playing (typed), and end of speech in a
# fake-microphone WAV -> first reply audio playing (hands-free), in real Chromium, as JSON.
#   scripts/bench-browser.sh [--turns N] [--hands-free-turns M]
# Progress goes to stderr, the JSON report to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/python -m tests.e2e.bench_browser "$@"
