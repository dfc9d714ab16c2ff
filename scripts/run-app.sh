#!/usr/bin/env bash
# Install everything, then start the browser app on http://127.0.0.1:8000 with the
# offline default stack: Whisper base (faster-whisper), Piper "joe", the rules dialog.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CHAINLIT_APP_ROOT="$PWD"
echo "VoiceBot Workbench: open http://127.0.0.1:${VOICEBOT_PORT:-8000} (Ctrl-C stops it)" >&2
exec .venv/bin/chainlit run app.py --headless --host 127.0.0.1 --port "${VOICEBOT_PORT:-8000}"
