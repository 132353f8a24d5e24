#!/usr/bin/env bash
# Create or reuse the project virtual environment at .venv and install the pinned dependencies
# plus this package (editable). Safe to run repeatedly: pip skips what is already satisfied.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating virtual environment at .venv"
  if ! "$python" -c "import ensurepip, venv" >/dev/null 2>&1; then
    # Debian/Ubuntu split venv out of the interpreter package.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    else
      echo "[setup] error: $python has no venv module; install python3-venv (sudo apt install python3-venv)" >&2
      exit 1
    fi
  fi
  "$python" -m venv .venv
fi
stamp=.venv/.auglift_requirements.sha256
want="$(cat requirements.lock setup.py | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] installing pinned dependencies (first run: a few minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  # requirements.lock: every distribution at an exact version with its hashes (scripts/lock_requirements.sh
  # compiles it from requirements.txt and requirements-test.txt)
  .venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock
  .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
  echo "$want" > "$stamp"
fi
