# ward's front door. Meson does the building; this file names the everyday jobs.
#
#   make deps    install the Debian 12 packages ward needs (skips apt when all are there)
#   make build   build in $(BUILD_DIR)
#   make run     deps + build, then verify the bundled sample evidence (scripts/run-dev.sh)
#   make check   deps, then plain and ASan+UBSan test passes (scripts/check.sh)
#   make bench   build, then run the SEV-SNP, TDX and NVIDIA GPU benchmarks
#   make fuzz    clang + libFuzzer build in $(FUZZ_BUILD_DIR), fuzz each target (scripts/fuzz.sh)
#   make clean   remove the build directories this file creates

SHELL := /bin/bash

# Build directories; override on the command line (make check BUILD_DIR=b), not
# from the environment, where a CI system's variables could leak in.
BUILD_DIR      := build
ASAN_BUILD_DIR := build-asan
FUZZ_BUILD_DIR := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_MERGE   ?= 0

# Debian 12 packages. libclang-rt-14-dev carries libFuzzer and the sanitizer runtimes;
# nodejs and npm run @phala/dcap-qvl in tests/interop/test_dcapqvl.sh.
DEPS := build-essential meson ninja-build pkg-config clang clang-format libclang-rt-14-dev llvm \
        libssl-dev openssl libjansson-dev libcurl4-openssl-dev libcmocka-dev \
        libxmlsec1-dev libxml2-dev \
        python3 ca-certificates git nodejs npm

.PHONY: all help deps build run check bench fuzz clean

all: build

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

# Idempotent: dpkg-query decides; apt-get runs only when something is missing. A
# package also counts when an installed one Provides it: NodeSource's nodejs provides
# (and conflicts with) npm, so asking apt for Debian's npm there would fail.
deps:
	@missing=""; \
	for p in $(DEPS); do \
	    dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q ' installed$$' \
	        || dpkg-query -W -f='$${db:Status-Abbrev} $${Provides}\n' 2>/dev/null \
	            | grep -Eq "^ii .*[ ,]$$p([ ,(]|$$)" \
	        || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then \
	    echo "deps: all $(words $(DEPS)) packages installed"; \
	    exit 0; \
	fi; \
	sudo=""; \
	if [ "$$(id -u)" -ne 0 ]; then \
	    command -v sudo >/dev/null || { echo "deps: need root or sudo to install:$$missing" >&2; exit 1; }; \
	    sudo=sudo; \
	fi; \
	echo "deps: installing:$$missing"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update </dev/null && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing </dev/null

build: deps
	@if [ ! -f $(BUILD_DIR)/meson-private/coredata.dat ]; then meson setup $(BUILD_DIR); fi
	meson compile -C $(BUILD_DIR)

run: build
	BUILD_DIR=$(BUILD_DIR) scripts/run-dev.sh

check: deps
	BUILD_DIR=$(BUILD_DIR) ASAN_BUILD_DIR=$(ASAN_BUILD_DIR) scripts/check.sh

bench: build
	$(BUILD_DIR)/bench/ward-bench snp
	$(BUILD_DIR)/bench/ward-bench tdx
	$(BUILD_DIR)/bench/ward-bench nvgpu

fuzz: deps
	FUZZ_BUILD_DIR=$(FUZZ_BUILD_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_MERGE=$(FUZZ_MERGE) scripts/fuzz.sh

clean:
	rm -rf -- $(BUILD_DIR) $(ASAN_BUILD_DIR) $(FUZZ_BUILD_DIR) build-ci
