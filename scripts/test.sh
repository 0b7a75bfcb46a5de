#!/usr/bin/env bash
# Builds and runs the test suite with the given `swift build` flags, then prints the seconds each
# test suite took (from Swift Testing's "Suite … passed after N seconds." lines), slowest first.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
swift build --build-tests "$@"
built=$(date +%s)
echo "tests: build took $((built - start)) s"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift test --skip-build "$@" 2>&1 | tee "$log" || status=$?

echo
echo "seconds per test suite (slowest first):"
grep -aoE 'Suite "?[A-Za-z0-9_ .-]+"? (passed|failed) after [0-9.]+ seconds' "$log" \
  | sed -E 's/Suite "?([^"]+)"? (passed|failed) after ([0-9.]+) seconds/\3 \1 (\2)/' \
  | sort -rn | awk '{seconds = $1; $1 = ""; printf "  %8.2f s %s\n", seconds, $0}'
echo "tests: run took $(( $(date +%s) - built )) s"
exit "$status"
