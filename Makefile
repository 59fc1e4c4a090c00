# matequity: set-up, tests and benchmarks. See README.md.
#   make demo   install what the package and the demo need (Debian first, never
#               replacing a package you have), install matequity, run the analysis
#   make test   install what the tests need into the project library build/rlib,
#               engine tests (Catch2, normal and sanitised), testthat with a count
#               per reference package (and a throwaway PostgreSQL server on
#               127.0.0.1 for the database tests, tools/pg.sh), and
#               R CMD check --no-manual
#   make bench  run bench/ and write bench/RESULTS.md (peers in build/rlib)
#
# Packages only the tests or benchmarks need are installed into build/rlib and
# put on R_LIBS by those targets alone; the user's site library only ever gets
# what `make demo` needs. Compiler flags for these builds: tools/Makevars.dev.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# targets run one after another; each compiles with JOBS parallel jobs inside
.NOTPARALLEL:
R ?= R
RSCRIPT ?= Rscript
JOBS ?= 2
BUILD := build
RLIB := $(CURDIR)/$(BUILD)/rlib
VERSION := $(shell sed -n 's/^Version: //p' DESCRIPTION)
TARBALL := matequity_$(VERSION).tar.gz
export R_MAKEVARS_USER := $(CURDIR)/tools/Makevars.dev
export MATEQUITY_JOBS := $(JOBS)
# the test and bench environment: the project library first
TESTENV := R_LIBS="$(RLIB)" NOT_CRAN=true

.PHONY: deps deps-test deps-bench install demo test test-cpp test-cpp-asan \
        test-install test-r check bench docs clean

deps:
	@bash tools/install-deps.sh demo

deps-test:
	@bash tools/install-deps.sh test

deps-bench:
	@bash tools/install-deps.sh bench

install: deps
	@bash tools/r-install.sh

demo: install
	$(RSCRIPT) tools/demo.R

test: deps-test
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory test-cpp test-cpp-asan test-install test-r check && \
	echo "make test: passed in $$(( $$(date +%s) - start ))s"

# Catch2 engine tests; CMake output goes to build/logs, warnings from
# matequity's headers fail the build (-Werror on our files only: Eigen is a
# SYSTEM include)
define cpp_tests
	@mkdir -p $(BUILD)/logs; \
	EIGEN=$$($(RSCRIPT) -e 'cat(system.file("include", package = "RcppEigen"))'); \
	cmake -S tests/cpp -B $(BUILD)/$(1) -DEIGEN_INCLUDE_DIR="$$EIGEN" $(2) >$(BUILD)/logs/$(1).log 2>&1 && \
	cmake --build $(BUILD)/$(1) -j $(JOBS) >>$(BUILD)/logs/$(1).log 2>&1 || \
	{ grep -E 'error|warning' $(BUILD)/logs/$(1).log | head -40; echo "engine tests ($(1)): build failed, log $(BUILD)/logs/$(1).log"; exit 1; }; \
	$(3) ctest --test-dir $(BUILD)/$(1) --output-on-failure -j $(JOBS) | tail -4
endef

test-cpp:
	$(call cpp_tests,cpp,,)

test-cpp-asan:
	$(call cpp_tests,cpp-asan,-DMATEQUITY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug,ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1)

test-install:
	@$(TESTENV) bash tools/r-install.sh "$(RLIB)"

# testthat with a throwaway PostgreSQL server for the database tests
# (tools/pg.sh): started first, stopped and removed when the run ends, also
# on failure or interrupt. Without root and without PostgreSQL those tests
# skip (under CI=true they fail).
test-r:
	@pg_env=$$(bash tools/pg.sh start) || { echo "tools/pg.sh start failed"; exit 1; }; \
	eval "$$pg_env"; \
	trap 'bash tools/pg.sh stop "$${MATEQUITY_PG_DIR:-}"' EXIT; trap 'exit 130' INT TERM; \
	$(TESTENV) $(RSCRIPT) tools/run-tests.R

# testthat ran above on the same sources (with the per-reference counts), so
# check skips its second run of the suite; vignettes are built once, by build
check:
	@rm -rf $(BUILD)/check && mkdir -p $(BUILD)/check
	@cd $(BUILD)/check && $(TESTENV) $(R) CMD build ../.. >build.log 2>&1 || \
	  { tail -40 build.log; echo "R CMD build failed"; exit 1; }
	@cd $(BUILD)/check && MAKEFLAGS=-j$(JOBS) _R_CHECK_FORCE_SUGGESTS_=false $(TESTENV) \
	  $(R) CMD check --no-manual --no-tests --no-build-vignettes $(TARBALL) >check.log 2>&1; \
	grep -E '^\* checking .*\.\.\. (WARNING|ERROR|NOTE)' -A6 check.log; \
	grep '^Status:' check.log; \
	if grep -qE '^Status: .*(ERROR|WARNING)' check.log || ! grep -q '^Status:' check.log; then \
	  tail -40 matequity.Rcheck/00install.out 2>/dev/null; \
	  echo "R CMD check: errors or warnings (log $(BUILD)/check/check.log)"; exit 1; fi

bench: deps-bench
	@$(TESTENV) bash tools/r-install.sh "$(RLIB)"
	$(TESTENV) $(RSCRIPT) bench/run.R

docs:
	$(RSCRIPT) -e 'Rcpp::compileAttributes(); roxygen2::roxygenise()'

clean:
	rm -rf $(BUILD) src/*.o src/*.so
