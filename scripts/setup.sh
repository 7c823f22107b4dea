#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine: system packages, the venv, Python packages, offline models.
# The second run takes seconds: each step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(ffmpeg espeak-ng apertium apertium-eng-spa apertium-es-pt apertium-fr-es apertium-ind-zlm
              pocketsphinx-testdata chromium libdlib-data ngircd
              nginx-light libnginx-mod-rtmp)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=.venv/.host-engine-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[offline,convert,server,bench,dev]'
  # Kokoro's Japanese front end; their own requirement pins would downgrade the rest, and Kokoro needs none of them.
  .venv/bin/python -m pip install -q --no-deps pyopenjtalk-plus==0.4.1.post10 sudachipy==0.7.0
  touch "$stamp"
fi

.venv/bin/host-engine models install --tier offline
