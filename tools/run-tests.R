# Runs the testthat suite against the installed package and ends with one
# plain summary line ("N passed, N failed, N skipped"); exits non-zero on any
# failure or error.
library(testthat)
library(matequity)
options(testthat.progress.max_fails = Inf)
res <- as.data.frame(test_dir("tests/testthat", package = "matequity",
                              load_package = "installed",
                              reporter = ProgressReporter$new(show_praise = FALSE),
                              stop_on_failure = FALSE))
failed <- sum(res$failed) + sum(res$error)
cat(sprintf("\ntestthat: %d passed, %d failed, %d skipped\n",
            sum(res$passed), failed, sum(res$skipped)))
if (failed > 0) quit(status = 1)
