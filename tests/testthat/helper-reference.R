# The packages the agreement tests need are listed once, in
# reference-packages.csv (tools/install-deps.R installs the same list).
# A test that needs one calls needs_reference("pkg") instead of
# skip_if_not_installed(): off CI a missing package skips the test; under
# CI=true it fails it, so a reference package that did not build cannot let
# CI pass with its agreement tests unrun. When tools/run-tests.R runs the
# suite it counts, per package, the tests that ran against it.
reference_packages <- function() {
  f <- test_path("reference-packages.csv")
  utils::read.csv(f, stringsAsFactors = FALSE)$package
}

needs_reference <- function(pkg) {
  if (!pkg %in% reference_packages()) {
    stop("needs_reference(): ", pkg, " is not listed in tests/testthat/reference-packages.csv",
         call. = FALSE)
  }
  if (!requireNamespace(pkg, quietly = TRUE)) {
    if (identical(tolower(Sys.getenv("CI")), "true")) {
      stop("reference package ", pkg, " is not installed (CI=true: a missing ",
           "reference package is a failure, not a skip)", call. = FALSE)
    }
    testthat::skip(paste0("reference package ", pkg, " is not installed"))
  }
  counter <- getOption("matequity.reference_counter")
  if (is.environment(counter) && !is.null(counter$current)) {
    counter$seen[[pkg]] <- union(counter$seen[[pkg]], counter$current)
  }
  invisible(TRUE)
}
