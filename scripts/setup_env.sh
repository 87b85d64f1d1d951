#!/usr/bin/env bash
# Create or reuse the two virtual environments and the Debian packages Bangban needs.
# Venvs live in a cache folder outside the clone, keyed by the hash of their lock
# file, and are linked as .venv and .venv-rasa: a re-run with nothing changed
# installs nothing, also from a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${BANGBAN_CACHE:-$HOME/.cache/bangban}
mkdir -p "$CACHE/venvs"
log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# --- Debian packages, only those missing -------------------------------------
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v chromium >/dev/null || need+=(chromium)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
[ -e /usr/lib/x86_64-linux-gnu/libmagic.so.1 ] || [ -e /usr/lib/aarch64-linux-gnu/libmagic.so.1 ] || need+=(libmagic1)
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 || need+=(fonts-noto-cjk)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
if [ ${#need[@]} -gt 0 ] && [ -z "${BANGBAN_SKIP_APT:-}" ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing Debian packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    log "missing Debian packages (run as root to install): ${need[*]}"
  fi
fi

hash_of() { cat "$@" | sha256sum | cut -c1-16; }

# --- Python 3.11 venv ---------------------------------------------------------
PY311=${BANGBAN_PY311:-$(command -v python3.11 || true)}
[ -n "$PY311" ] || { echo "python3.11 not found" >&2; exit 1; }
app_hash=$(hash_of requirements/app.txt requirements/app.lock)
app_dir="$CACHE/venvs/app-$app_hash"
if [ ! -x "$app_dir/.ready" ]; then
  t0=$(date +%s)
  log "creating Python 3.11 venv $app_dir (first time: a few minutes)"
  rm -rf "$app_dir"
  "$PY311" -m venv "$app_dir"
  "$app_dir/bin/pip" install -q --upgrade pip
  "$app_dir/bin/pip" install --progress-bar off -r requirements/app.txt -c requirements/app.lock 2> >(grep -v "is ignored" >&2) | grep -E '^(Collecting|Successfully)' | sed 's/^/  /' | cut -c1-100
  printf '#!/bin/sh\n' > "$app_dir/.ready"; chmod +x "$app_dir/.ready"
  log "Python 3.11 venv ready in $(( $(date +%s) - t0 )) s"
fi
ln -sfn "$app_dir" .venv

# --- Rasa venv (Python 3.10, locked) -----------------------------------------
PY310=${BANGBAN_PY310:-}
if [ -z "$PY310" ]; then
  for c in "$(pyenv root 2>/dev/null)/versions/3.10.13/bin/python3.10" "$(command -v python3.10 || true)"; do
    [ -n "$c" ] && [ -x "$c" ] && { PY310=$c; break; }
  done
fi
[ -n "$PY310" ] || { echo "python3.10 not found (pyenv 3.10.13 expected)" >&2; exit 1; }
rasa_hash=$(hash_of requirements/rasa.txt requirements/rasa-py310.lock)
rasa_dir="$CACHE/venvs/rasa-$rasa_hash"
if [ ! -x "$rasa_dir/.ready" ]; then
  t0=$(date +%s)
  log "creating Rasa 3.6.21 venv $rasa_dir (first time: about 3 minutes, 2.7 GB)"
  rm -rf "$rasa_dir"
  "$PY310" -m venv "$rasa_dir"
  "$rasa_dir/bin/pip" install -q --upgrade pip
  "$rasa_dir/bin/pip" install --progress-bar off -r requirements/rasa.txt -c requirements/rasa-py310.lock 2> >(grep -v "is ignored" >&2) | grep -E '^(Collecting|Successfully)' | sed 's/^/  /' | cut -c1-100
  RASA_TELEMETRY_ENABLED=false "$rasa_dir/bin/rasa" telemetry disable >/dev/null 2>&1 || true
  printf '#!/bin/sh\n' > "$rasa_dir/.ready"; chmod +x "$rasa_dir/.ready"
  log "Rasa venv ready in $(( $(date +%s) - t0 )) s"
fi
ln -sfn "$rasa_dir" .venv-rasa
log "environments ready (.venv -> $app_dir, .venv-rasa -> $rasa_dir)"
