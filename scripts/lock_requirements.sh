#!/usr/bin/env bash
# Compile requirements.lock (exact versions and sha256 hashes; what scripts/setup_env.sh installs)
# from the human-edited requirements.txt and requirements-test.txt, with pip-tools in a scratch venv.
# Run it after editing either list, and commit the three files together.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tools="$(mktemp -d /tmp/auglift_lock.XXXXXX)"
trap 'rm -rf "$tools"' EXIT
"${PYTHON:-python3.11}" -m venv "$tools/venv"
"$tools/venv/bin/pip" install --quiet pip-tools
cat requirements.txt requirements-test.txt > "$tools/all.in"
"$tools/venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --no-header --strip-extras \
  --no-emit-index-url --no-emit-find-links --output-file requirements.lock "$tools/all.in"
sed -i "s|$tools/all.in|requirements.txt, requirements-test.txt|" requirements.lock
echo "[lock] wrote requirements.lock ($(grep -c '==' requirements.lock) pinned distributions)"
