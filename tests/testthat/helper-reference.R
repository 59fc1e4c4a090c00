# The packages the agreement tests need are listed once, in
# reference-packages.csv (tools/install-deps.R installs the same list).
# A test that needs one calls needs_reference("pkg") instead of
# skip_if_not_installed(): off CI a missing package skips the test; under
# CI=true it fails it, so a reference package that did not build cannot let
# CI pass with its agreement tests unrun. When tools/run-tests.R runs the
# suite it counts, per package, the tests that ran against it.
reference_packages <- function() {
  reference_table()$package
}

reference_table <- function() {
  utils::read.csv(test_path("reference-packages.csv"), stringsAsFactors = FALSE,
                  colClasses = "character")
}

# version = FALSE: any installed version will do (e.g. only a data set is
# used); otherwise the min_version of reference-packages.csv applies.
needs_reference <- function(pkg, version = TRUE) {
  if (!pkg %in% reference_packages()) {
    stop("needs_reference(): ", pkg, " is not listed in tests/testthat/reference-packages.csv",
         call. = FALSE)
  }
  ci <- identical(tolower(Sys.getenv("CI")), "true")
  if (!requireNamespace(pkg, quietly = TRUE)) {
    if (ci) {
      stop("reference package ", pkg, " is not installed (CI=true: a missing ",
           "reference package is a failure, not a skip)", call. = FALSE)
    }
    testthat::skip(paste0("reference package ", pkg, " is not installed"))
  }
  # the tests compare against the rules of this version or later
  tab <- reference_table()
  mv <- trimws(tab$min_version[match(pkg, tab$package)])
  if (version && !is.na(mv) && nzchar(mv) && utils::packageVersion(pkg) < mv) {
    msg <- paste0("reference package ", pkg, " is ", utils::packageVersion(pkg),
                  "; the tests need ", mv, " or later (tools/install-deps.R test installs it)")
    if (ci) stop(msg, " (CI=true: an old reference package is a failure, not a skip)", call. = FALSE)
    testthat::skip(msg)
  }
  counter <- getOption("matequity.reference_counter")
  if (is.environment(counter) && !is.null(counter$current)) {
    counter$seen[[pkg]] <- union(counter$seen[[pkg]], counter$current)
  }
  invisible(TRUE)
}
