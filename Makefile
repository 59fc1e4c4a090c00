# matequity: set-up, tests and benchmarks. See README.md.
#   make demo   install what is missing, install the package, run the analysis
#   make test   install what is missing, engine tests (Catch2, normal and
#               sanitised), testthat, and R CMD check --no-manual
#   make bench  run bench/ and write bench/RESULTS.md
SHELL := /bin/bash
R ?= R
RSCRIPT ?= Rscript
EIGEN := $(shell $(RSCRIPT) -e 'cat(system.file("include", package = "RcppEigen"))' 2>/dev/null)
BUILD := build
VERSION := $(shell sed -n 's/^Version: //p' DESCRIPTION)
TARBALL := matequity_$(VERSION).tar.gz

.PHONY: install-only deps install demo test test-cpp test-cpp-asan test-r check bench docs clean

deps:
	bash tools/install-deps.sh

install: deps
	$(R) CMD INSTALL --no-multiarch --preclean .

demo: install
	$(RSCRIPT) tools/demo.R

test: deps
	$(MAKE) test-cpp test-cpp-asan install-only test-r check

install-only:
	$(R) CMD INSTALL --no-multiarch --preclean .

test-cpp:
	@EIGEN=$$($(RSCRIPT) -e 'cat(system.file("include", package = "RcppEigen"))'); \
	cmake -S tests/cpp -B $(BUILD)/cpp -DEIGEN_INCLUDE_DIR="$$EIGEN" >/dev/null && \
	cmake --build $(BUILD)/cpp -j 2 >/dev/null && \
	ctest --test-dir $(BUILD)/cpp --output-on-failure

test-cpp-asan:
	@EIGEN=$$($(RSCRIPT) -e 'cat(system.file("include", package = "RcppEigen"))'); \
	cmake -S tests/cpp -B $(BUILD)/cpp-asan -DEIGEN_INCLUDE_DIR="$$EIGEN" \
	  -DMATEQUITY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null && \
	cmake --build $(BUILD)/cpp-asan -j 2 >/dev/null && \
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --test-dir $(BUILD)/cpp-asan --output-on-failure

test-r:
	NOT_CRAN=true $(RSCRIPT) tools/run-tests.R

check:
	rm -rf $(BUILD)/check && mkdir -p $(BUILD)/check
	cd $(BUILD)/check && $(R) CMD build ../.. >/dev/null && \
	_R_CHECK_FORCE_SUGGESTS_=false $(R) CMD check --no-manual $(TARBALL) | tee check.log; \
	if grep -qE '^Status: .*(ERROR|WARNING)' check.log || ! grep -q '^Status:' check.log; then \
	  cat matequity.Rcheck/00install.out 2>/dev/null | tail -40; \
	  cat matequity.Rcheck/tests/testthat.Rout.fail 2>/dev/null | tail -60; \
	  echo "R CMD check: errors or warnings"; exit 1; fi

bench: install
	$(RSCRIPT) bench/run.R

docs:
	$(RSCRIPT) -e 'Rcpp::compileAttributes(); roxygen2::roxygenise()'

clean:
	rm -rf $(BUILD) src/*.o src/*.so
