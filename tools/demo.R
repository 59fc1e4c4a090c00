# The main job: the end-to-end analysis on the embedded example data.
# Run with `make demo` from the package root.
suppressPackageStartupMessages(library(matequity))
cli::cli_h1("matequity demo: care models and CORE20PLUS disparities")

cli::cli_h2("1. MSDS extract (the shipped example, simulated)")
msds <- as_msds(msds_example, quiet = TRUE)
print(msds)

cli::cli_h2("2. Data quality recorded at validation")
print(msds_quality(msds), n = Inf)
