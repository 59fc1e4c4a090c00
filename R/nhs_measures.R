#' NHS Digital's monthly care-model measures, for reconciliation
#'
#' Computes `COC_by_28weeks`, `COC_receiving_ongoing` and `PCP_All_Pathways`
#' for reporting months the way NHS Digital's Maternity Services Monthly
#' Statistics compute them, so that a provider's number can be put next to
#' the published one for the same month.
#'
#' @section Population:
#' The measures start from the MSD101 bookings as NHS Digital does, not from
#' [define_cohort()] (whose exclusions would drop pregnancies NHS Digital
#' counts): one row per mother (`Person_ID_Mother`) and pregnancy
#' (`UniqPregID`), the latest booking with `GestAgeBooking > 0` by
#' `AntenatalAppDate` then `RecordNumber`. The per-pregnancy rules are those
#' of [add_care_model()] (`definition = "nhs"`) and of [continuity()]'s
#' `COC_receiving_ongoing`; see there for the plan and contact rules.
#'
#' @section Reporting months and 'as at':
#' With a raw extract, each month M is computed from the submissions with
#' `RPStartDate` in or before M ([as_msds()] with `as_at = M`), as NHS
#' Digital runs it that month; a later resubmission never changes an
#' earlier month. With an `msds` object (already reduced to the latest
#' submissions) every month uses the same tables, and a message says so.
#' * `COC_by_28weeks` (month M): denominator the pregnancies whose 203rd day
#'   of gestation (`AntenatalAppDate - GestAgeBooking + 203`) falls in M,
#'   not discharged at or before that day; numerator those placed on a
#'   continuity-of-carer pathway by then.
#' * `COC_receiving_ongoing` (month M): the `COC_by_28weeks` denominator of
#'   month M - 4, taken as at M - 4 (bookings and plans); numerator those of
#'   them placed (as at M - 4) and receiving continuity, from the discharge
#'   dates, contacts and staff as at M. Placed women not yet discharged are
#'   in the denominator and not in the numerator.
#' * `PCP_All_Pathways` (month M): denominator the pregnancies whose 259th
#'   day falls in M, not discharged at or before it; numerator those with
#'   personalised antenatal, birth and postpartum plans.
#'
#' @section Providers:
#' A pregnancy is counted at the `OrgCodeProvider` of its booking row, mapped
#' to its successor (`successors`, default [provider_successors]: RR1 to RRK
#' from April 2018) when the relationship is open at the end of the
#' reporting month, as NHS Digital's `COALESCE` over `org_relationship_daily`
#' does. Providers appear in a month when they have a denominator. The
#' national row (`org_code` `"National"`) adds up all providers in `x`: it
#' is England only when `x` is.
#'
#' @section Rounding:
#' Counts pass through [apply_disclosure()]. The default is NHS Digital's
#' published rule (`disclosure_rule("nhsd_maternity", zero = "exact")`):
#' 1-7 shown as 5, other counts to the nearest 5, zero kept; `rate` is then
#' `round(100 * numerator / denominator, 1)` from the released counts, as
#' the published `Rounded_Rate`. `disclosure = "none"` gives the unrounded
#' counts (for checking only: not for release).
#'
#' @section Data-quality gates:
#' `over_dq_threshold` says whether NHS Digital would publish the
#' provider's rate; `dq_gate` names the rule.
#' * `PCP_All_Pathways`: over the threshold when the NHS-rounded rate is at
#'   least 5 (implemented).
#' * `COC_by_28weeks`: needs `COC_DQ04` and `COC_DQ05` both passed; their
#'   definitions are not in the published code we could read, so
#'   `over_dq_threshold` is `NA`.
#' * `COC_receiving_ongoing`: needs `COC_DQ06` to `COC_DQ09` all passed
#'   (`COC_DQ06` and `COC_DQ08` pass with an NHS-rounded rate above 5). `COC_DQ06` (placed women with a
#'   discharge date) and `COC_DQ08` (contacts with a professional in MSD901)
#'   are published; `COC_DQ07` and `COC_DQ09` are not, so the gate cannot be
#'   decided and is `NA`.
#' National rows have no gate (`NA`).
#'
#' @source NHS Digital's published measure code for the Maternity Services
#'   Monthly Statistics (Databricks notebooks `COC_by_28weeks`,
#'   `COC_receiving_ongoing`, `PCP_All_Pathways`, `COC_DQ06`, `COC_DQ08` and
#'   the CoC output notebook listing `COC_DQ04`-`COC_DQ09`); the package's
#'   `REAL_MSDS.md` notes ("Submissions and keys", "Definitions").
#' @param x A raw extract (a named list of MSDS tables with all monthly
#'   submissions, as [as_msds()] takes) or an `msds` object.
#' @param months Reporting months: `"2024-03"` strings or dates (any day of
#'   the month).
#' @param measures Any of `"COC_by_28weeks"`, `"COC_receiving_ongoing"`,
#'   `"PCP_All_Pathways"`.
#' @param by `"provider"` and/or `"national"`.
#' @param disclosure A disclosure rule (see [disclosure_rule()]) or a preset
#'   name; default NHS Digital's rounding with zeros exact.
#' @param successors `TRUE` (default, [provider_successors]), `FALSE`, or a
#'   data frame with `predecessor`, `successor` and optionally `date` (from
#'   when the successor reports).
#' @param v2_start First MSDS v2 month (care-plan fields).
#' @returns A tibble, one row per month, indicator and organisation:
#'   `rp_start_date`, `rp_end_date`, `org_code`, `org_level` (`"Provider"`
#'   or `"National"`), `indicator`, `numerator`, `denominator` (after
#'   disclosure, with the rule's flag columns), `rate` (per 100, from the
#'   released counts), `over_dq_threshold` and `dq_gate`.
#' @seealso [add_care_model()], [continuity()], [as_msds()]
#' @examples
#' x <- simulate_msds(2000, seed = 42)
#' nhs_measures(x, months = c("2023-01", "2023-02"))
#' @export
nhs_measures <- function(x, months,
                         measures = c("COC_by_28weeks", "COC_receiving_ongoing", "PCP_All_Pathways"),
                         by = c("provider", "national"), disclosure = "nhsd_maternity",
                         successors = TRUE, v2_start = as.Date("2019-04-01")) {
  measures <- rlang::arg_match(measures, multiple = TRUE)
  by <- rlang::arg_match(by, multiple = TRUE)
  v2_start <- check_date(v2_start)
  if (missing(months) || !length(months)) {
    cli::cli_abort("{.arg months} must give at least one reporting month, such as {.val 2024-03}.")
  }
  ends <- do.call(c, lapply(as.list(months), check_as_at, call = rlang::current_env()))
  ends <- sort(unique(ends))
  starts <- month_first(ends)
  succ <- check_successors(successors)
  given <- if (isTRUE(successors)) matequity::provider_successors else successors
  if (!is.null(succ) && "date" %in% names(given)) succ$date <- as.Date(given$date)
  if (identical(disclosure, "nhsd_maternity")) {
    disclosure <- disclosure_rule("nhsd_maternity", zero = "exact")
  }
  raw <- !inherits(x, "msds")
  if (!raw) {
    cli::cli_inform(c("i" = "{.arg x} is an {.cls msds} object: every month uses its reduced tables, not the submissions 'as at' that month."))
  } else if (!is.list(x) || is.null(names(x)) || !"MSD101PregnancyBooking" %in% names(x)) {
    cli::cli_abort(c("{.arg x} must be an {.cls msds} object or a named list of MSDS tables with {.field MSD101PregnancyBooking}.",
                     "x" = "It is {.obj_type_friendly {x}}."))
  }

  cache <- new.env(parent = emptyenv())
  msds_at <- function(end) {
    if (!raw) return(x)
    k <- format(end)
    if (is.null(cache[[k]])) cache[[k]] <- as_msds(x, quiet = TRUE, as_at = end)
    cache[[k]]
  }
  frames <- new.env(parent = emptyenv())
  frame_at <- function(end) {
    k <- if (raw) format(end) else "all"
    if (is.null(frames[[k]])) frames[[k]] <- nhs_pregnancy_frame(msds_at(end), v2_start)
    frames[[k]]
  }

  rows <- list()
  for (m in seq_along(ends)) {
    s <- starts[m]
    e <- ends[m]
    sm <- if (!is.null(succ) && "date" %in% names(succ)) succ[is.na(succ$date) | succ$date <= e, ] else succ
    add <- function(ind, provider, num) {
      rows[[length(rows) + 1L]] <<- nhs_count(s, e, ind, map_successors(provider, sm), num, by)
    }
    if (any(c("COC_by_28weeks", "PCP_All_Pathways") %in% measures)) {
      f <- frame_at(e)
      if ("COC_by_28weeks" %in% measures) {
        d <- f$coc_eligible %in% TRUE & f$coc_month %in% s
        add("COC_by_28weeks", f$provider[d], f$coc_placed[d] %in% TRUE)
      }
      if ("PCP_All_Pathways" %in% measures) {
        d <- f$pcsp_all_pathways_eligible %in% TRUE & f$pcsp_all_pathways_month %in% s
        add("PCP_All_Pathways", f$provider[d], f$pcsp_all_pathways[d] %in% TRUE)
      }
    }
    if ("COC_receiving_ongoing" %in% measures) {
      s4 <- add_months(s, -4L)
      f4 <- frame_at(month_last(s4))
      d <- f4$coc_eligible %in% TRUE & f4$coc_month %in% s4
      preg <- f4[d, c("preg_id", "coc_placed", "coc_placed_date", "named_midwife", "named_team")]
      rec <- coc_receiving_nhs(msds_at(e), preg, c("05", "06", "07"))$receiving
      add("COC_receiving_ongoing", f4$provider[d], preg$coc_placed %in% TRUE & rec %in% TRUE)
    }
  }
  out <- do.call(rbind, rows)
  out$indicator <- factor(out$indicator, levels = measures)
  out <- out[order(out$rp_start_date, out$indicator, out$org_level != "National", out$org_code), ]
  out$indicator <- as.character(out$indicator)
  # the gate NHS Digital decides from its own rounding, whatever `disclosure`
  gate <- nhs_dq_gate(out)
  out <- apply_disclosure(out, c("numerator", "denominator"),
                          derived = list(rate = ~ round(100 * numerator / denominator, 1)),
                          disclosure = disclosure)
  out$rate[!is.finite(out$rate)] <- NA_real_
  out$over_dq_threshold <- gate$over
  out$dq_gate <- gate$gate
  out
}

# One row per pregnancy of msds with what the monthly measures need: the
# NHS booking's provider and add_care_model()'s NHS columns, the
# population built from every MSD101 pregnancy (no define_cohort()
# exclusions).
nhs_pregnancy_frame <- function(msds, v2_start) {
  bk <- msds$MSD101PregnancyBooking
  has_mother <- "Person_ID_Mother" %in% names(bk)
  mother <- if (has_mother) as.character(bk$Person_ID_Mother) else rep(NA_character_, nrow(bk))
  first <- !duplicated(combined_codes(list(mother, bk$UniqPregID)))
  base <- tibble::tibble(preg_id = bk$UniqPregID[first], mother_id = mother[first])
  if (!has_mother) base$mother_id <- NULL
  nb <- nhs_booking(msds, base)
  base$booking_date <- as.Date(nb$date, origin = "1970-01-01")
  base$booking_gest <- nb$gest
  base$discharge_date <- as.Date(nb$discharge, origin = "1970-01-01")
  cohort <- tibble::new_tibble(base, nrow = nrow(base), class = "mq_cohort")
  cm <- add_care_model(cohort, msds, definition = "nhs", v2_start = v2_start,
                       data_end = as.Date("9999-12-31"))
  cm$provider <- as.character(bk$OrgCodeProvider[nb$row])
  cm
}

# Numerator and denominator per provider (successor codes) and nationally.
nhs_count <- function(start, end, indicator, provider, num, by) {
  out <- list()
  if ("provider" %in% by && length(provider)) {
    p <- sort(unique(provider[!is.na(provider)]))
    out[[1]] <- tibble::tibble(org_code = p, org_level = "Provider",
                               numerator = as.numeric(tapply(num, factor(provider, p), sum, default = 0)),
                               denominator = as.numeric(table(factor(provider, p))))
  }
  if ("national" %in% by) {
    out[[2]] <- tibble::tibble(org_code = "National", org_level = "National",
                               numerator = as.numeric(sum(num)), denominator = as.numeric(length(num)))
  }
  out <- do.call(rbind, out)
  if (is.null(out)) {
    out <- tibble::tibble(org_code = character(), org_level = character(),
                          numerator = numeric(), denominator = numeric())
  }
  tibble::tibble(rp_start_date = rep(start, nrow(out)), rp_end_date = rep(end, nrow(out)),
                 out[c("org_code", "org_level")], indicator = rep(indicator, nrow(out)),
                 out[c("numerator", "denominator")])
}

# NHS Digital's published rounding: 0 stays 0, 1-7 become 5, others the
# nearest multiple of 5 (no ties arise for whole counts).
nhs_round <- function(n) ifelse(n == 0, 0, ifelse(n <= 7, 5, floor(n / 5 + 0.5) * 5))

# The data-quality gate per row (see ?nhs_measures).
nhs_dq_gate <- function(out) {
  rr <- round(100 * nhs_round(out$numerator) / nhs_round(out$denominator), 1)
  prov <- out$org_level == "Provider"
  over <- rep(NA, nrow(out))
  gate <- rep(NA_character_, nrow(out))
  pcp <- prov & out$indicator == "PCP_All_Pathways"
  over[pcp] <- rr[pcp] >= 5
  gate[pcp] <- "PCP_All_Pathways rounded rate >= 5"
  c28 <- prov & out$indicator == "COC_by_28weeks"
  gate[c28] <- "COC_DQ04 and COC_DQ05 (not implemented)"
  rec <- prov & out$indicator == "COC_receiving_ongoing"
  gate[rec] <- "COC_DQ06 to COC_DQ09 (not implemented)"
  list(over = over, gate = gate)
}

month_first <- function(d) as.Date(format(d, "%Y-%m-01"))

month_last <- function(first) add_months(first, 1L) - 1L

add_months <- function(first, k) {
  lt <- as.POSIXlt(first)
  mon <- lt$year * 12L + lt$mon + k
  as.Date(sprintf("%04d-%02d-01", mon %/% 12L + 1900L, mon %% 12L + 1L))
}
