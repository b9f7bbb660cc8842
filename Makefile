# TinyIce: `make run` and `make test` are all a new checkout needs (see README.md).
SHELL := /bin/bash
BUILD_DIR  ?= build
RELEASE    := $(BUILD_DIR)/release
ASAN       := $(BUILD_DIR)/asan
FUZZ       := $(BUILD_DIR)/fuzz
JOBS       ?= $(shell nproc)
CONFIG     ?= tinyice.json
CMAKE_GEN  := -G Ninja
export CCACHE_DIR ?= $(HOME)/.cache/ccache

.PHONY: all deps test-deps build run test unit asan fuzz bench bench-quick format tidy clean

all: build

deps:
	@scripts/install-deps

test-deps:
	@scripts/install-deps --test

$(RELEASE)/build.ninja: CMakeLists.txt
	cmake -S . -B $(RELEASE) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DTINYICE_EXTRA_TEST_DIRS="$(abspath $(ASAN));$(abspath $(FUZZ))"

build: deps $(RELEASE)/build.ninja
	cmake --build $(RELEASE) -j $(JOBS) --target tinyice

# Starts TinyIce on port 8000. The first run writes $(CONFIG) with generated passwords and
# prints them once.
run: build
	$(RELEASE)/tinyice --config $(CONFIG)

asan: test-deps
	cmake -S . -B $(ASAN) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DTINYICE_SANITIZE=ON \
	  -DTINYICE_BUILD_SERVER=OFF -DTINYICE_BUILD_BENCH=OFF
	cmake --build $(ASAN) -j $(JOBS)

fuzz: test-deps
	CXX=clang++ cmake -S . -B $(FUZZ) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTINYICE_FUZZ=ON
	cmake --build $(FUZZ) -j $(JOBS)

unit: test-deps $(RELEASE)/build.ninja
	cmake --build $(RELEASE) -j $(JOBS)
	ctest --test-dir $(RELEASE) -L unit -j $(JOBS) --output-on-failure

# The whole suite: unit tests, integration tests with real clients, short fuzz runs and the
# unit tests again under ASan+UBSan, all through one ctest run.
test: test-deps asan fuzz $(RELEASE)/build.ninja
	cmake --build $(RELEASE) -j $(JOBS)
	ctest --test-dir $(RELEASE) -j $(JOBS) --output-on-failure --timeout 600

bench:
	@scripts/install-deps --bench
	$(MAKE) build
	bench/run-bench.sh

bench-quick:
	@scripts/install-deps --bench
	$(MAKE) build
	bench/run-bench.sh --quick

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

tidy: $(RELEASE)/build.ninja
	git ls-files 'src/*.cpp' | xargs clang-tidy -p $(RELEASE) --quiet

clean:
	rm -rf $(BUILD_DIR)
