# Makes data/msds_providers.rda and data/provider_successors.rda: the West
# Midlands maternity trusts (ODS codes) by ICB (the LMNS footprint), and the
# map from closed trusts to their successors.
#
# Source: the providers table of shared/docs/REAL_MSDS.md, gathered from
# third-party code lists (NHS Digital's public MSDS code and a West Midlands
# ICB's public MSDS views). Confirm against the ODS (Organisation Data
# Service) before release: trusts run several sites, and names change.
# Trust names are short names, not the registered ODS names.
#
# Run from the package root: Rscript data-raw/msds_providers.R

icbs <- data.frame(
  icb = c("QHL", "QUA", "QWU", "QGH", "QOC", "QNC"),
  icb_name = c("Birmingham and Solihull", "Black Country", "Coventry and Warwickshire",
               "Herefordshire and Worcestershire", "Shropshire, Telford and Wrekin",
               "Staffordshire and Stoke-on-Trent"),
  stringsAsFactors = FALSE
)
trusts <- data.frame(
  org_code = c("RRK", "RR1", "RQ3",
               "RXK", "RNA", "RBK", "RL4",
               "RKB", "RLT", "RJC",
               "RWP", "RLQ",
               "RXW",
               "RJE"),
  trust_name = c("University Hospitals Birmingham", "Heart of England",
                 "Birmingham Women's and Children's",
                 "Sandwell and West Birmingham", "Dudley Group", "Walsall Healthcare",
                 "Royal Wolverhampton",
                 "University Hospitals Coventry and Warwickshire", "George Eliot",
                 "South Warwickshire",
                 "Worcestershire Acute", "Wye Valley",
                 "Shrewsbury and Telford",
                 "University Hospitals of North Midlands"),
  icb = c("QHL", "QHL", "QHL", "QUA", "QUA", "QUA", "QUA", "QWU", "QWU", "QWU",
          "QGH", "QGH", "QOC", "QNC"),
  stringsAsFactors = FALSE
)
msds_providers <- tibble::tibble(
  org_code = trusts$org_code,
  trust_name = trusts$trust_name,
  icb = trusts$icb,
  icb_name = icbs$icb_name[match(trusts$icb, icbs$icb)],
  region = "West Midlands",
  # RR1 Heart of England became part of RRK University Hospitals Birmingham
  # on 1 April 2018; the other trusts' opening dates are not recorded here
  valid_from = as.Date(NA),
  valid_to = as.Date(ifelse(trusts$org_code == "RR1", "2018-03-31", NA)),
  current = trusts$org_code != "RR1"
)
provider_successors <- tibble::tibble(
  predecessor = "RR1",
  successor = "RRK",
  date = as.Date("2018-04-01")
)
stopifnot(!anyDuplicated(msds_providers$org_code), sum(msds_providers$current) == 13L,
          all(provider_successors$successor %in% msds_providers$org_code[msds_providers$current]))
save(msds_providers, file = "data/msds_providers.rda", compress = "xz")
save(provider_successors, file = "data/provider_successors.rda", compress = "xz")
