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
# AMR-WB test samples: FFmpeg decodes AMR-WB but has no encoder (tests/unit/media_samples.py)
ls /usr/lib/*-linux-gnu/libvo-amrwbenc.so.0 >/dev/null 2>&1 || need+=(libvo-amrwbenc0)
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

# make_venv KIND PYTHON REQS LOCK LINK LABEL FIRST_TIME READY_LABEL [AFTER_INSTALL]
# The venv for REQS pinned by LOCK, cached as $CACHE/venvs/KIND-<hash of both> and complete once
# its .ready marker exists; linked as LINK. AFTER_INSTALL (a command) gets the venv's path.
# Sets venv_dir.
make_venv() {
  local kind=$1 py=$2 reqs=$3 lock=$4 link=$5 label=$6 first_time=$7 ready_label=$8 after=${9:-} t0
  venv_dir="$CACHE/venvs/$kind-$(hash_of "$reqs" "$lock")"
  if [ ! -x "$venv_dir/.ready" ]; then
    t0=$(date +%s)
    log "creating $label venv $venv_dir (first time: $first_time)"
    rm -rf "$venv_dir"
    "$py" -m venv "$venv_dir"
    "$venv_dir/bin/pip" install -q --upgrade pip
    "$venv_dir/bin/pip" install --progress-bar off -r "$reqs" -c "$lock" 2> >(grep -v "is ignored" >&2) | grep -E '^(Collecting|Successfully)' | sed 's/^/  /' | cut -c1-100
    [ -z "$after" ] || "$after" "$venv_dir"
    printf '#!/bin/sh\n' > "$venv_dir/.ready"; chmod +x "$venv_dir/.ready"
    log "$ready_label venv ready in $(( $(date +%s) - t0 )) s"
  fi
  ln -sfn "$venv_dir" "$link"
}

rasa_telemetry_off() { RASA_TELEMETRY_ENABLED=false "$1/bin/rasa" telemetry disable >/dev/null 2>&1 || true; }

# --- Python 3.11 venv ---------------------------------------------------------
PY311=${BANGBAN_PY311:-$(command -v python3.11 || true)}
[ -n "$PY311" ] || { echo "python3.11 not found" >&2; exit 1; }
make_venv app "$PY311" requirements/app.txt requirements/app.lock .venv \
  "Python 3.11" "a few minutes" "Python 3.11"
app_dir=$venv_dir

# --- Rasa venv (Python 3.10, locked) -----------------------------------------
PY310=${BANGBAN_PY310:-}
if [ -z "$PY310" ]; then
  for c in "$(pyenv root 2>/dev/null)/versions/3.10.13/bin/python3.10" "$(command -v python3.10 || true)"; do
    [ -n "$c" ] && [ -x "$c" ] && { PY310=$c; break; }
  done
fi
[ -n "$PY310" ] || { echo "python3.10 not found (pyenv 3.10.13 expected)" >&2; exit 1; }
make_venv rasa "$PY310" requirements/rasa.txt requirements/rasa-py310.lock .venv-rasa \
  "Rasa 3.6.21" "about 3 minutes, 2.7 GB" "Rasa" rasa_telemetry_off
rasa_dir=$venv_dir
log "environments ready (.venv -> $app_dir, .venv-rasa -> $rasa_dir)"
