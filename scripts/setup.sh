#!/usr/bin/env bash
# Idempotent set-up: apt packages (when missing), .venv, torch (CPU build on machines without CUDA),
# then the project with all extras. Quick when already done: a stamp records what was installed.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  libegl1 libegl-dev libgl1 libgl1-mesa-dri libgles2 libusb-1.0-0 libgomp1
  build-essential cmake pkg-config libzmq3-dev cppzmq-dev libmsgpack-cxx-dev
  libopenxr-loader1 libopenxr-dev openxr-layer-corevalidation
  libxrender1 libxxf86vm1 libxfixes3 libxi6 libxkbcommon0 libsm6
  xvfb xauth
)
PY=${PYTHON:-python3}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing apt packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo"; else
    echo "setup: need root for apt. Run: sudo apt-get install -y ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
stamp=.venv/.vpbridge-setup
want="$(sha256sum pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
PIP=("$VPY" -m pip install -q --disable-pip-version-check)
[ -d /opt/wheels ] && PIP+=(--find-links /opt/wheels)
"${PIP[@]}" --upgrade pip setuptools wheel >/dev/null
if ! "$VPY" -c "import torch" 2>/dev/null; then
  if command -v nvidia-smi >/dev/null 2>&1; then
    echo "setup: CUDA machine: torch comes with the project's range"
  else
    echo "setup: installing torch==2.13.0 (CPU build)"
    "${PIP[@]}" torch==2.13.0
  fi
fi
echo "setup: installing vpbridge with all extras"
"${PIP[@]}" -e ".[all]"
echo "$want" > "$stamp"
echo "setup: done"
