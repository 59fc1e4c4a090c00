# Makes data/msds_example.rda: the shipped example extract.
# Run from the package root with the package installed: Rscript data-raw/msds_example.R
library(matequity)
# realism = sim_realism() (the default): the extract has real NHS Digital shapes
# (monthly resubmissions, big record numbers, text values, invalid codes) and
# is read by as_msds() into the latest submission of each record.
msds_example <- simulate_msds(n_pregnancies = 20000, seed = 20160223,
                              realism = sim_realism())
save(msds_example, file = "data/msds_example.rda", compress = "xz")
