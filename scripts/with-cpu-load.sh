#!/usr/bin/env bash
# Run a command while N CPU-bound burners compete with it for the cores, then stop the burners.
#
#   scripts/with-cpu-load.sh 2 make test
#   scripts/with-cpu-load.sh 2 .venv/bin/python -m pytest tests/fleets/test_enrolment_huawei.py -q
#
# This is the "busy machine" check of the suite (issue 13): on a two-core machine two burners take the
# whole CPU away from the tests half of the time, so any test that races the wall clock shows up. The
# command's exit status is this script's; the burners are stopped however the command ends (Ctrl-C too).
set -euo pipefail

if [[ $# -lt 2 || ! "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 N command [args...]   (N CPU-bound burner processes run beside the command)" >&2
  exit 2
fi
n="$1"
shift

burners=()
stop_burners() {
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${burners[@]}"; do wait "$pid" 2>/dev/null || true; done
  burners=()
}
trap stop_burners EXIT
trap 'stop_burners; exit 130' INT TERM

for _ in $(seq 1 "$n"); do
  # A shell busy loop: no dependency, one core each, no memory, no I/O.
  bash -c 'while :; do :; done' &
  burners+=("$!")
done
echo "with-cpu-load: $n burner(s) running (pids ${burners[*]}); running: $*" >&2

status=0
"$@" || status=$?
stop_burners
echo "with-cpu-load: command exited $status; burners stopped" >&2
exit "$status"
