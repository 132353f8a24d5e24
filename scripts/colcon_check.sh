#!/usr/bin/env bash
# What a ROS user does, in a scratch workspace: colcon build, colcon test, colcon test-result.
# The package's tracked (and new, not ignored) files are copied into WS/src/auglift_ros; colcon comes
# from PyPI (requirements-test.txt) and runs in .venv, whose Python has rclpy and the dependencies.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ws="$(mktemp -d /tmp/auglift_colcon_ws.XXXXXX)"
trap 'rm -rf "$ws"' EXIT
mkdir -p "$ws/src/auglift_ros"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$ws/src/auglift_ros")
cd "$ws"
colcon="$root/.venv/bin/colcon"
"$colcon" build --packages-select auglift_ros
set +u  # colcon's setup scripts read unset variables
# shellcheck disable=SC1091
source install/setup.bash
set -u
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
"$colcon" test --packages-select auglift_ros --event-handlers console_direct- "$@"
"$colcon" test-result --verbose
echo "[colcon] build, test and test-result passed in $ws"
