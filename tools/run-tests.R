# Runs the testthat suite against the installed package and ends with a line
# per reference package (how many tests ran against it) and one plain summary
# line ("N passed, N failed, N skipped"); exits non-zero on any failure or
# error. Run by `make test` with the project library on R_LIBS.
library(testthat)
library(matequity)
options(testthat.progress.max_fails = Inf)

# Tells needs_reference() (tests/testthat/helper-reference.R) which test is
# running, so that it can count tests per reference package.
counter <- new.env()
counter$seen <- list()
CountingReporter <- R6::R6Class("CountingReporter", inherit = testthat::Reporter,
  public = list(
    start_test = function(context, test) counter$current <- paste(context, test, sep = " / "),
    end_test = function(context, test) counter$current <- NULL
  ))
options(matequity.reference_counter = counter)
reporter <- testthat::MultiReporter$new(list(
  testthat::ProgressReporter$new(show_praise = FALSE), CountingReporter$new()))
res <- as.data.frame(test_dir("tests/testthat", package = "matequity",
                              load_package = "installed", reporter = reporter,
                              stop_on_failure = FALSE))
refs <- utils::read.csv("tests/testthat/reference-packages.csv", stringsAsFactors = FALSE)
cat("\nTests run against each reference package:\n")
for (i in seq_len(nrow(refs))) {
  p <- refs$package[i]
  n <- length(counter$seen[[p]])
  v <- if (requireNamespace(p, quietly = TRUE)) as.character(utils::packageVersion(p)) else "not installed"
  cat(sprintf("  %-14s %-9s %-14s %3d tests\n", p, refs$role[i], v, n))
}
unused <- refs$package[lengths(counter$seen[refs$package]) == 0]
failed <- sum(res$failed) + sum(res$error)
cat(sprintf("\ntestthat: %d passed, %d failed, %d skipped\n",
            sum(res$passed), failed, sum(res$skipped)))
if (length(unused)) {
  cat("No test ran against: ", paste(unused, collapse = ", "), "\n", sep = "")
  if (identical(tolower(Sys.getenv("CI")), "true")) quit(status = 1)
}
if (failed > 0) quit(status = 1)
