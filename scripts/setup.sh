#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine: system packages, the venv, Python packages, offline models.
# The second run takes seconds: each step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

# curl: the service's tests upload and download as a studio's script does.
# libicu-dev and pkg-config: PyICU (moderation's Unicode look-alike skeletons) builds against the system ICU.
# Fonts for the host's product card and ad label, in every script it speaks (7 MB installed): DejaVu (Latin,
# Cyrillic, Arabic), WenQuanYi Micro Hei (Chinese, Japanese kana, Korean Hangul; 1.6 MB download, where
# fonts-noto-cjk is 57 MB), TLWG Loma (Thai); libfribidi0 lets Pillow lay out Arabic right to left.
APT_PACKAGES=(ffmpeg espeak-ng apertium apertium-eng-spa apertium-es-pt apertium-fr-es apertium-ind-zlm
              pocketsphinx-testdata chromium libdlib-data ngircd curl
              nginx-light libnginx-mod-rtmp libicu-dev pkg-config
              fonts-dejavu-core fonts-wqy-microhei fonts-tlwg-loma-ttf libfribidi0)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# ngircd and nginx are for the tests, which start their own instances on loopback. Debian starts (and enables at
# boot) a package's service on install: IRC on port 6667 and HTTP on port 80, on every interface. So they are
# installed with service starts denied (a policy-rc.d for the length of the install, unless the machine has one)
# and the units this run installed are disabled: set-up leaves nothing listening, now or after a reboot.
SERVICES=(ngircd nginx)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# host-engine set-up: no service starts while it installs packages\nexit 101\n' \
      | $sudo_cmd tee "$policy" >/dev/null
    $sudo_cmd chmod 755 "$policy"
    trap '$sudo_cmd rm -f "$policy"' EXIT
  fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if command -v systemctl >/dev/null; then
    for unit in "${SERVICES[@]}"; do
      if [[ " ${missing[*]} " == *" $unit"* ]]; then
        $sudo_cmd systemctl disable --now "$unit" >/dev/null 2>&1 || true
      fi
    done
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=.venv/.host-engine-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[offline,convert,server,ray,bench,dev]'
  # Kokoro's Japanese front end; their own requirement pins would downgrade the rest, and Kokoro needs none of them.
  .venv/bin/python -m pip install -q --no-deps pyopenjtalk-plus==0.4.1.post10 sudachipy==0.7.0
  # Resemblyzer only for its speaker encoder's weights (exported to ONNX by `models install`); its code is not used.
  .venv/bin/python -m pip install -q --no-deps resemblyzer==0.1.4
  touch "$stamp"
fi

.venv/bin/host-engine models install --tier offline
