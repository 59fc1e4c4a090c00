# Makes data/msds_example.rda: the shipped example extract.
# Run from the package root with the package installed: Rscript data-raw/msds_example.R
# The simulator reads the shipped data/imd2019.rda and data/msds_providers.rda
# (real West Midlands ODS and LSOA 2011 codes): build those first
# (data-raw/imd2019.R, data-raw/msds_providers.R) and reinstall.
library(matequity)
# realism = sim_realism() (the default): the extract has real NHS Digital shapes
# (monthly resubmissions, big record numbers, text values, invalid codes) and
# is read by as_msds() into the latest submission of each record.
msds_example <- simulate_msds(n_pregnancies = 20000, seed = 20160223,
                              realism = sim_realism())
stopifnot(all(msds_example$MSD101PregnancyBooking$OrgCodeProvider %in% msds_providers$org_code),
          all(na.omit(msds_example$MSD001MotherDemog$LSOAMother2011) %in% imd2019$lsoa11))
# the per-pregnancy risks under the four care models (7 MB) stay out of the
# shipped data; their summary, attr(, "truth_care_model"), is kept
attr(msds_example, "care_model_risks") <- NULL
save(msds_example, file = "data/msds_example.rda", compress = "xz")
