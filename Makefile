# Tessera. `make test` installs what is missing (Debian packages), builds and runs every test.
.PHONY: test demo build release setup clean

# Tests run optimised (numeric code is many times slower unoptimised) with @testable imports.
TEST_FLAGS := -c release -Xswiftc -enable-testing --scratch-path .build-test

setup:
	@scripts/setup.sh

test: setup
	@scripts/test.sh $(TEST_FLAGS)

build: setup
	swift build

# The release build that benchmarks and the demo use.
release: setup
	swift build -c release --scratch-path .build-release

# A whole federation on this machine: CA, three hospitals, aggregator, site agents, rounds, audit.
demo: release
	.build-release/release/tessera demo $(DEMO_ARGS)

clean:
	rm -rf .build .build-test .build-release
