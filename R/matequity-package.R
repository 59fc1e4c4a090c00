#' matequity: care models and disparities in maternity outcomes
#'
#' matequity turns data shaped like the NHS Maternity Services Data Set
#' (MSDS v2) into CORE20PLUS cohorts, care-model exposures, continuity-of-carer
#' indices and UK maternity outcomes, estimates the effects of personalised
#' care and continuity of carer, and measures disparities, with disclosure
#' control applied to every table it returns.
#'
#' The pipeline: [as_msds()] or [simulate_msds()] -> cohort -> care model,
#' continuity and outcomes -> effects and disparities -> safe outputs.
#'
#' @section Options:
#' * `matequity.threads`: default number of threads for the C++ engine (2).
#' * `matequity.disclosure`: the disclosure rule in force (`"nhse_sde"`).
#'
#' @keywords internal
#' @useDynLib matequity, .registration = TRUE
#' @importFrom Rcpp sourceCpp
#' @importFrom stats coef vcov nobs
"_PACKAGE"

# Default column names used as tidy-evaluation defaults (rank = imd_decile,
# standard = age_band, date = booking_date, unit = provider, allocation =
# coc_placed, group = core20plus_group).
utils::globalVariables(c("imd_decile", "age_band", "booking_date", "provider",
                         "coc_placed", "core20plus_group"))
