#!/usr/bin/env bash
# README command 1: set up .venv and run the demo (results under out/demo).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup_env.sh
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
.venv/bin/auglift-ros demo --out out/demo "$@"
