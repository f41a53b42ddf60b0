# Sourced by scripts/demo and scripts/test: make .venv and install this package with EXTRAS.
# Re-installs only when pyproject.toml or labextension/package.json changed. Non-interactive.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 DEBIAN_FRONTEND=noninteractive

_apt_install() {  # _apt_install PACKAGE...: as root, or through sudo -n when available
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ ! -x .venv/bin/python ]; then
  if ! "${PYTHON:-python3}" -m venv .venv 2>/dev/null; then
    echo "python3 -m venv failed; installing python3-venv with apt" >&2
    rm -rf .venv
    _apt_install python3-venv
    "${PYTHON:-python3}" -m venv .venv
  fi
fi
_stamp=.venv/.mlops-install-${EXTRAS:-none}
_want=$(cat pyproject.toml $(ls labextension/package.json 2>/dev/null) | sha256sum | cut -c1-16)
if [ "$(cat "$_stamp" 2>/dev/null)" != "$_want" ]; then
  echo "installing mlops-jupyter${EXTRAS:+[$EXTRAS]} into .venv ..." >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".${EXTRAS:+[$EXTRAS]}"
  echo "$_want" > "$_stamp"
fi
