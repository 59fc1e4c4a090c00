# Makes data/msds_example.rda: the shipped example extract.
# Run from the package root with the package installed: Rscript data-raw/msds_example.R
library(matequity)
msds_example <- simulate_msds(n_pregnancies = 20000, seed = 20160223)
save(msds_example, file = "data/msds_example.rda", compress = "xz")
