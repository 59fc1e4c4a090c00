withr_threads <- function(n, code) {
  old <- options(matequity.threads = n)
  on.exit(options(old))
  force(code)
}
