# CRAN packages that Debian does not ship (or ships too old), built from
# source. Everything here is in Suggests: reference implementations that the
# agreement tests compare against. A package that fails to build is reported
# and its tests are skipped; the core dependencies must install.
options(repos = c(CRAN = "https://cloud.r-project.org"), Ncpus = 2L)
lib <- .libPaths()[1]

core <- c("Rcpp", "RcppEigen", "cli", "rlang", "tibble", "generics",
          "testthat", "knitr", "rmarkdown", "roxygen2")
reference <- c("WeightIt", "cobalt", "EValue", "tmle", "PSweight",
               "cdgd", "cfdecomp", "causal.decomp")

have <- function(p) nzchar(system.file(package = p))
need <- Filter(Negate(have), c(core, reference))
if (length(need)) {
  message("install-deps: CRAN install of ", paste(need, collapse = ", "))
  utils::install.packages(need, lib = lib, quiet = TRUE)
}
bad <- Filter(Negate(have), core)
if (length(bad)) stop("could not install: ", paste(bad, collapse = ", "))
miss <- Filter(Negate(have), reference)
if (length(miss)) {
  message("install-deps: reference packages not installed (their agreement ",
          "tests will be skipped): ", paste(miss, collapse = ", "))
}
