# Two entry points for a fresh Debian 12 machine (as root): `make demo` and `make test`.
# Installing without the tests: `make install` (CMake's install target: bin/segsync, the
# tap-segsync link, the docs; PREFIX=/usr/local) and `make package` (a Debian package by CPack in
# build-package/, whose Depends are only the runtime libraries); the Dockerfile is the third route.
# Hardening (issue 9), each in its own build directory: `make lint` (clang-format + clang-tidy),
# `make asan` (ASan+UBSan build, whole ctest suite), `make tsan` (ThreadSanitizer build, the
# concurrency tests), `make fuzz` (every libFuzzer target for FUZZ_SECONDS). CI runs `make test`
# and then `make ci-extra`, which is all four with a short fuzz; `make ci` is both.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEGSYNC_WERROR=ON
# Sanitizer and fuzz builds: -O1 (what the sanitizers recommend) and line tables only (-g1), which
# is all a report's stack needs; it halves their compile time, and CI must stay under 30 minutes.
SAN_CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEGSYNC_WERROR=ON \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"

# Sanitizer runtime options: every finding fails the process that has it, with a stack. Reports
# also go to files, so a finding in a process whose exit status no test reads (the simulator the
# e2e tests start) still fails the run.
ASAN_OPTIONS ?= detect_leaks=1:check_initialization_order=1:strict_init_order=1
UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
TSAN_OPTIONS ?= halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp
# ctest arguments of the ASan run (e.g. ASAN_CTEST_ARGS='-E e2e.test_faults').
ASAN_CTEST_ARGS ?=
# The tests that run worker threads: the engine's unit tests and the end-to-end syncs (the binary
# fetches partitions with max_concurrency workers; the simulator serves from a thread pool).
TSAN_CTEST_ARGS ?= -R '^Engine\.|^e2e\.test_(sync_sqlite|incremental)$$'

# $(call sanitized_ctest,BUILD_DIR,CTEST_ARGS): ctest with reports collected in
# BUILD_DIR/sanitizer-reports; any report fails, and is printed.
define sanitized_ctest
	@rm -rf $(1)/sanitizer-reports && mkdir -p $(1)/sanitizer-reports
	@reports=$(CURDIR)/$(1)/sanitizer-reports; cd $(1) && \
	  ASAN_OPTIONS=$(ASAN_OPTIONS):log_path=$$reports/asan \
	  UBSAN_OPTIONS=$(UBSAN_OPTIONS):log_path=$$reports/ubsan \
	  TSAN_OPTIONS=$(TSAN_OPTIONS):log_path=$$reports/tsan \
	  ctest --output-on-failure -j $(JOBS) $(2); rc=$$?; \
	  if [ -n "$$(ls -A $$reports)" ]; then \
	    for f in $$reports/*; do echo "== $$f"; cat "$$f"; done; \
	    echo "sanitizer findings above (reports in $$reports)"; exit 1; \
	  fi; exit $$rc
endef

FUZZ_TARGETS := api_page error_envelope config jsonl_state protocol_state singer_catalog airbyte_catalog pg_copy
FUZZ_SECONDS ?= 300
FUZZ_CI_SECONDS ?= 10
FUZZ_FLAGS ?= -max_len=4096

PREFIX ?= /usr/local
PACKAGE_DIR ?= build-package

.PHONY: deps build demo test clean format lint asan tsan fuzz fuzz-build ci-extra ci install package

deps:
	./scripts/install-deps

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	./$(BUILD_DIR)/segsync demo

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

# Its own build directory: installed under /usr, without the tests.
package: deps
	cmake -S . -B $(PACKAGE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
	  -DSEGSYNC_WERROR=ON -DCMAKE_INSTALL_PREFIX=/usr
	cmake --build $(PACKAGE_DIR) -j $(JOBS)
	cd $(PACKAGE_DIR) && cpack -G DEB
	@ls $(PACKAGE_DIR)/segsync_*.deb

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

lint: deps
	JOBS=$(JOBS) ./scripts/lint

asan: deps
	cmake -S . -B build-asan $(SAN_CMAKE_FLAGS) -DSEGSYNC_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	$(call sanitized_ctest,build-asan,$(ASAN_CTEST_ARGS))

tsan: deps
	cmake -S . -B build-tsan $(SAN_CMAKE_FLAGS) -DSEGSYNC_TSAN=ON
	cmake --build build-tsan -j $(JOBS) --target segsync engine_test
	$(call sanitized_ctest,build-tsan,$(TSAN_CTEST_ARGS))

fuzz-build: deps
	cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSEGSYNC_FUZZ=ON -DBUILD_TESTING=OFF
	cmake --build build-fuzz -j $(JOBS) --target fuzz_targets

# Each target for FUZZ_SECONDS, new inputs kept in build-fuzz/corpus, crashes in
# build-fuzz/artifacts; the first crash fails the run.
fuzz: fuzz-build
	@mkdir -p build-fuzz/artifacts
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  build-fuzz/tests/fuzz/$${t}_fuzz build-fuzz/corpus/$$t tests/fuzz/corpus/$$t \
	    -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/artifacts/$$t- > build-fuzz/$$t.log 2>&1 || { \
	    tail -60 build-fuzz/$$t.log; echo "fuzz: $$t FAILED; reproduce with" \
	      "build-fuzz/tests/fuzz/$${t}_fuzz build-fuzz/artifacts/$$t-*"; exit 1; }; \
	  grep -E '^stat::number_of_executed_units' build-fuzz/$$t.log | sed "s/^/fuzz: $$t /"; \
	done

ci-extra: lint
	$(MAKE) asan
	$(MAKE) tsan
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_CI_SECONDS)

ci: test ci-extra

clean:
	rm -rf $(BUILD_DIR) $(PACKAGE_DIR)
