#!/usr/bin/env bash
# Install everything the tests need (Debian chromium and redis-server included),
# then run the whole suite: unit, integration (real models) and browser (real Chromium).
# Extra arguments go to pytest, e.g. scripts/run-tests.sh -k audio
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
# Tests never reach beyond loopback; the models are on disk.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
set +e
.venv/bin/python -m pytest -ra "$@"
code=$?
set -e
# pytest's 5 means "no tests collected": treat as a failure, never as green.
[[ $code -eq 5 ]] && { echo "no tests were collected" >&2; exit 1; }
exit $code
