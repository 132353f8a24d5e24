#!/usr/bin/env bash
# README command 2: set up .venv (pinned dependencies + this package) and run lint and the test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup_env.sh
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
# The ROS user's path as well: colcon build, colcon test, colcon test-result in a scratch workspace.
bash scripts/colcon_check.sh
