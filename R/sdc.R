#' @importFrom rlang %||% .data
NULL

# Temporary bridge to the disclosure helper. apply_disclosure() is built on
# the `disclosure` branch; until it is on main, tables pass through this
# wrapper, which calls it when the package has it and otherwise returns the
# table unchanged with a warning (once per session) that it is not protected.
# Remove this file and call apply_disclosure() directly once it has landed.
sdc_table <- function(data, counts, derived, rule = NULL) {
  ns <- asNamespace("matequity")
  if (exists("apply_disclosure", envir = ns, inherits = FALSE)) {
    fn <- get("apply_disclosure", envir = ns, inherits = FALSE)
    return(fn(data, counts = counts, derived = derived, rule = rule))
  }
  off <- identical(rule, "none")
  if (!off) {
    cli::cli_warn(c(
      "Disclosure control is not available in this build of matequity.",
      "!" = "Counts in this table are not suppressed or rounded: do not release it from the SDE.",
      "i" = "Use {.code disclosure = \"none\"} to say so explicitly."
    ), .frequency = "once", .frequency_id = "matequity_no_sdc")
  }
  data
}

# Default column names used as tidy-evaluation defaults (rank = imd_decile,
# standard = age_band, date = booking_date).
utils::globalVariables(c("imd_decile", "age_band", "booking_date"))
