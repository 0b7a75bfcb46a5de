#!/usr/bin/env bash
# Fuzzes the delta-container decoder with libFuzzer for longer runs than the test suite's 10,000
# seeded inputs (issue #7). Usage: scripts/fuzz-container.sh [SECONDS] [extra libFuzzer flags…]
#
# Builds tessera-fuzz-container twice: as usual (to write valid seed containers into the corpus),
# then instrumented with -sanitize=fuzzer,address -D LIBFUZZER in .build-fuzz. Corpus: .fuzz/corpus;
# a crashing input is saved under .fuzz/ and can be replayed with
#   .build-release/release/tessera-fuzz-container .fuzz/crash-…
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true

swift build -c release --scratch-path .build-release --product tessera-fuzz-container
mkdir -p .fuzz/corpus
.build-release/release/tessera-fuzz-container --write-seeds .fuzz/corpus

swift build -c release --scratch-path .build-fuzz --product tessera-fuzz-container \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -D -Xswiftc LIBFUZZER
.build-fuzz/release/tessera-fuzz-container -max_total_time="$seconds" -max_len=4096 -artifact_prefix=.fuzz/ "$@" .fuzz/corpus
