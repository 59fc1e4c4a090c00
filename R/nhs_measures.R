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
#' does. Providers appear in a month when they have a denominator.
#'
#' @section National rows:
#' `PCP_All_Pathways`: all pregnancies in `data` (England only when `data` is).
#' `COC_by_28weeks` and `COC_receiving_ongoing`: as NHS Digital publishes
#' them, the providers whose gate passed (`over_dq_threshold` `TRUE`) added
#' up; `NA` while any provider's gate is undecided (so `COC_by_28weeks`
#' is `NA` unless every provider fails `COC_DQ05`). The data-quality
#' measures have no national row.
#'
#' @section Rounding:
#' Counts pass through [apply_disclosure()]. The default is NHS Digital's
#' published rule (`disclosure_rule("nhsd_maternity", zero = "exact")`):
#' 1-7 shown as 5, other counts to the nearest 5, zero kept; `rate` is then
#' `100 * numerator / denominator` from the released counts rounded to one
#' decimal half up (as Spark SQL rounds), the published `Rounded_Rate`.
#' `disclosure = "none"` gives the unrounded counts (for checking only: not
#' for release).
#'
#' @section Data-quality measures:
#' Per provider and month, from the population of the main measure they
#' check, with the same bookings, plans, 'as at' rules and successors:
#' * `COC_DQ05` (checks `COC_by_28weeks`, month M): denominator the
#'   `COC_by_28weeks` pregnancies whose deciding antenatal plan (the latest
#'   by day 203 with `ContCarePathInd` recorded) says `Y`; numerator those
#'   whose plan also names a midwife (`CareProfLID`) and a team
#'   (`TeamLocalID`), the `COC_by_28weeks` numerator.
#' * `COC_DQ06` to `COC_DQ09` (check `COC_receiving_ongoing`, month M): the
#'   women of the `COC_receiving_ongoing` denominator placed on a pathway
#'   (both as at M - 4); the discharge date is the latest
#'   `DischargeDateMatService` of the pregnancy's MSD101 rows on or after the
#'   placing plan's `CarePlanDate`, tables as at M.
#'   * `COC_DQ06`: denominator the placed women; numerator those with such a
#'     discharge date.
#'   * `COC_DQ07`: denominator the placed women; numerator those with at
#'     least 3 distinct `CareConID`s in MSD201 (any `AttendCode`) dated from
#'     the plan's date to the discharge date, or with no end when there is
#'     none.
#'   * `COC_DQ08`: counts contacts, not women. Denominator the contacts of
#'     `COC_DQ07` (one per pregnancy and `CareConID`; rows tied at the latest
#'     `CContactDate` and `RecordNumber` each count, as NHS Digital's
#'     `rank()` keeps them); numerator the distinct ones with `AttendCode` 5
#'     or 6 and an MSD202 activity (same `UniqPregID` and `CareConID`) by a
#'     `CareProfLID` that MSD901 lists with a `StaffGroup` 01-16 or 98
#'     (joined on `CareProfLID` alone, as the code joins).
#'   * `COC_DQ09`: denominator the placed women with an MSD301 labour
#'     record; numerator those with an MSD302 row of that labour giving a
#'     `CareProfLID`.
#'
#' Each passes (`over_dq_threshold`) when its NHS-rounded rate is above 5.
#' A provider with a denominator in any CoC measure that month but none in a
#' DQ measure gets a row of that measure with numerator and denominator 0,
#' failing (NHS Digital publishes 0, 0, 0 and 'Fail'); its `rate` is `NA`.
#' `COC_DQ04` is not computed: its definition is not in the published code
#' we could read, and asking for it is an error.
#'
#' @section Data-quality gates:
#' `over_dq_threshold` says whether NHS Digital would publish the
#' provider's rate (for the two CoC measures it publishes 0, 0 and 'Low DQ'
#' otherwise, and leaves the provider out of the national row); `dq_gate`
#' says what decided it. Whatever `measures` asks for, the gates are
#' computed from the DQ measures of the same provider and month:
#' * `PCP_All_Pathways`: the NHS-rounded rate is at least 5.
#' * `COC_by_28weeks`: passes only when `COC_DQ04` and `COC_DQ05` both have a
#'   row for the provider and neither fails. A provider with no `COC_DQ05`
#'   denominator, or whose `COC_DQ05` rate is not above 5, fails (`FALSE`);
#'   otherwise the gate turns on `COC_DQ04` and is `NA` (with `dq04 =
#'   "assume_pass"`, `TRUE`: an assumption, said in `dq_gate`, that lets the
#'   national row be added up from the providers that pass `COC_DQ05`).
#' * `COC_receiving_ongoing`: passes when `COC_DQ06`, `COC_DQ07`, `COC_DQ08`
#'   and `COC_DQ09` all have a row for the provider that passes; a missing
#'   row (no denominator) fails, and `dq_gate` lists the measures that
#'   failed.
#' * The DQ measures: their own rule (rounded rate above 5).
#' The gates use NHS Digital's rounding of the unrounded counts whatever
#' `disclosure` is. National rows have no gate (`NA`); their `dq_gate` says
#' how they were added up.
#'
#' @source NHS Digital's published measure code for the Maternity Services
#'   Monthly Statistics (Databricks notebooks `COC_by_28weeks`,
#'   `COC_receiving_ongoing`, `PCP_All_Pathways`, `COCDQ05`, `COCDQ06`,
#'   `COCDQ07`, `COCDQ08`, `COCDQ09` and `COC_Geographies`, the CoC output
#'   notebook listing `COC_DQ04`-`COC_DQ09`, and the master notebook running
#'   `COCDQ04`-`COCDQ09` before the two CoC measures); the package's
#'   `REAL_MSDS.md` notes ("Submissions and keys", "Definitions").
#' @param data A raw extract (a named list of MSDS tables with all monthly
#'   submissions, as [as_msds()] takes) or an `msds` object.
#' @param months Reporting months: `"2024-03"` strings or dates (any day of
#'   the month).
#' @param measures Any of `"COC_by_28weeks"`, `"COC_receiving_ongoing"`,
#'   `"PCP_All_Pathways"` and the data-quality measures `"COC_DQ05"` to
#'   `"COC_DQ09"` (provider rows only).
#' @param by `"provider"` and/or `"national"`.
#' @param disclosure A disclosure rule (see [disclosure_rule()]) or a preset
#'   name; default NHS Digital's rounding with zeros exact.
#' @param successors `TRUE` (default, [provider_successors]), `FALSE`, or a
#'   data frame with `predecessor`, `successor` and optionally `date` (from
#'   when the successor reports).
#' @param v2_start First MSDS v2 month (care-plan fields).
#' @param dq04 `"unknown"` (default: a `COC_by_28weeks` gate that turns on
#'   `COC_DQ04`, whose definition is not published, is `NA`, and so is the
#'   national row while any provider's gate is undecided) or `"assume_pass"`
#'   (treat `COC_DQ04` as passed, and say so in `dq_gate`).
#' @param x Deprecated: use `data`.
#' @returns A tibble, one row per month, indicator and organisation:
#'   `rp_start_date`, `rp_end_date`, `org_code`, `org_level` (`"Provider"`
#'   or `"National"`), `indicator`, `numerator`, `denominator` (after
#'   disclosure, with the rule's flag columns), `rate` (per 100, from the
#'   released counts), `over_dq_threshold` and `dq_gate`.
#' @seealso [add_care_model()], [continuity()], [as_msds()]
#' @examples
#' x <- simulate_msds(2000, seed = 42)
#' nhs_measures(x, months = c("2023-01", "2023-02"))
#' nhs_measures(x, months = "2023-01", measures = c("COC_receiving_ongoing", "COC_DQ06",
#'                                                  "COC_DQ08"), by = "provider")
#' @export
nhs_measures <- function(data, months,
                         measures = c("COC_by_28weeks", "COC_receiving_ongoing", "PCP_All_Pathways"),
                         by = c("provider", "national"), disclosure = "nhsd_maternity",
                         successors = TRUE, v2_start = as.Date("2019-04-01"),
                         dq04 = c("unknown", "assume_pass"), x = NULL) {
  if (deprecated_arg(x, missing(data), "x", "data", "nhs_measures")) data <- x
  dq04 <- rlang::arg_match(dq04)
  if (is.character(measures) && "COC_DQ04" %in% measures) {
    cli::cli_abort(c("{.arg measures} cannot include {.val COC_DQ04}.",
                     "x" = "Its definition is not in NHS Digital's published measure code that could be read.",
                     "i" = "Its gate on {.val COC_by_28weeks} is left undecided ({.code NA}) when {.val COC_DQ05} passes."))
  }
  measures <- rlang::arg_match(measures, c("COC_by_28weeks", "COC_receiving_ongoing", "PCP_All_Pathways",
                                           nhs_dq_names), multiple = TRUE)
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
  raw <- !inherits(data, "msds")
  if (!raw) {
    cli::cli_inform(c("i" = "{.arg data} is an {.cls msds} object: every month uses its reduced tables, not the submissions 'as at' that month."))
  } else if (!is.list(data) || is.null(names(data)) || !"MSD101PregnancyBooking" %in% names(data)) {
    cli::cli_abort(c("{.arg data} must be an {.cls msds} object or a named list of MSDS tables with {.field MSD101PregnancyBooking}.",
                     "x" = "It is {.obj_type_friendly {data}}."))
  }

  cache <- new.env(parent = emptyenv())
  msds_at <- function(end) {
    if (!raw) return(data)
    k <- format(end)
    if (is.null(cache[[k]])) cache[[k]] <- as_msds(data, quiet = TRUE, as_at = end)
    cache[[k]]
  }
  frames <- new.env(parent = emptyenv())
  frame_at <- function(end) {
    k <- if (raw) format(end) else "all"
    if (is.null(frames[[k]])) frames[[k]] <- nhs_pregnancy_frame(msds_at(end), v2_start)
    frames[[k]]
  }

  # what has to be computed: a main CoC measure needs its gate's DQ
  # measures; a DQ measure needs every CoC denominator (the providers NHS
  # Digital expects in it)
  any_dq <- any(measures %in% nhs_dq_names)
  need28 <- any_dq || "COC_by_28weeks" %in% measures
  need_rec <- any_dq || "COC_receiving_ongoing" %in% measures
  prov <- list()
  pcp_nat <- list()
  for (m in seq_along(ends)) {
    s <- starts[m]
    e <- ends[m]
    sm <- if (!is.null(succ) && "date" %in% names(succ)) succ[is.na(succ$date) | succ$date <= e, ] else succ
    add <- function(ind, provider, num, den = NULL) {
      prov[[length(prov) + 1L]] <<- nhs_count(s, e, ind, provider, num, den)
    }
    if (need28 || "PCP_All_Pathways" %in% measures) f <- frame_at(e)
    if (need28) {
      d <- f$coc_eligible %in% TRUE & f$coc_month %in% s
      pv <- map_successors(f$provider[d], sm)
      placed <- f$coc_placed[d] %in% TRUE
      add("COC_by_28weeks", pv, placed)
      # COC_DQ05: of those whose deciding plan says Y, the plans naming a
      # midwife and a team
      y <- f$coc_pathway[d] %in% "Y"
      add("COC_DQ05", pv[y], placed[y])
    }
    if ("PCP_All_Pathways" %in% measures) {
      d <- f$pcsp_all_pathways_eligible %in% TRUE & f$pcsp_all_pathways_month %in% s
      num <- f$pcsp_all_pathways[d] %in% TRUE
      add("PCP_All_Pathways", map_successors(f$provider[d], sm), num)
      pcp_nat[[length(pcp_nat) + 1L]] <- tibble::tibble(
        rp_start_date = s, rp_end_date = e, org_code = "National", org_level = "National",
        indicator = "PCP_All_Pathways", numerator = as.numeric(sum(num)), denominator = as.numeric(length(num)))
    }
    if (need_rec) {
      s4 <- add_months(s, -4L)
      f4 <- frame_at(month_last(s4))
      d <- f4$coc_eligible %in% TRUE & f4$coc_month %in% s4
      keep <- intersect(c("preg_id", "mother_id", "coc_placed", "coc_placed_date", "named_midwife",
                          "named_team"), names(f4))
      preg <- f4[d, keep]
      pv <- map_successors(f4$provider[d], sm)
      rec <- coc_receiving_nhs(msds_at(e), preg, c("05", "06", "07"))$receiving
      add("COC_receiving_ongoing", pv, preg$coc_placed %in% TRUE & rec %in% TRUE)
      pl <- preg$coc_placed %in% TRUE
      q <- nhs_dq_placed(msds_at(e), preg[pl, ])
      add("COC_DQ06", pv[pl], q$discharged)
      add("COC_DQ07", pv[pl], q$contacts >= 3L)
      add("COC_DQ08", pv[pl], q$dq08_num, q$dq08_den)
      add("COC_DQ09", pv[pl][q$labour], q$labour_prof[q$labour])
    }
  }
  prov <- do.call(rbind, prov)
  if (is.null(prov)) prov <- nhs_count(starts[1], ends[1], character(), character(), logical())
  if (any_dq) prov <- rbind(prov, nhs_dq_expected(prov))
  # the gates NHS Digital decides from its own rounding, whatever `disclosure`
  gate <- nhs_gates(prov, dq04)
  prov$over_dq_threshold <- gate$over
  prov$dq_gate <- gate$gate
  nat <- NULL
  if ("national" %in% by) {
    cn <- nhs_coc_national(prov, gate$over)
    cn <- cn[cn$indicator %in% measures, ]
    # a month with no provider still has its national row
    want <- intersect(c("COC_by_28weeks", "COC_receiving_ongoing"), measures)
    grid <- expand.grid(m = seq_along(ends), indicator = want, stringsAsFactors = FALSE)
    miss <- !paste(starts[grid$m], grid$indicator) %in% paste(cn$rp_start_date, cn$indicator)
    if (any(miss)) {
      g <- grid[miss, ]
      cn <- rbind(cn, tibble::tibble(rp_start_date = starts[g$m], rp_end_date = ends[g$m],
                                     org_code = "National", org_level = "National",
                                     indicator = g$indicator, numerator = 0, denominator = 0,
                                     gate = "providers passing the gate, added up"))
    }
    pn <- do.call(rbind, pcp_nat)
    if (!is.null(pn)) pn$gate <- NA_character_
    nat <- rbind(cn, pn)
    if (!is.null(nat)) {
      nat$over_dq_threshold <- NA
      nat$dq_gate <- nat$gate
      nat$gate <- NULL
    }
  }
  out <- if ("provider" %in% by) prov[prov$indicator %in% measures, ] else prov[0, ]
  out <- rbind(nat[names(out)], out)
  out$indicator <- factor(out$indicator, levels = measures)
  out <- out[order(out$rp_start_date, out$indicator, out$org_level != "National", out$org_code), ]
  out$indicator <- as.character(out$indicator)
  over <- out$over_dq_threshold
  dq_gate <- out$dq_gate
  out$over_dq_threshold <- out$dq_gate <- NULL
  out <- apply_disclosure(out, c("numerator", "denominator"),
                          derived = list(rate = ~ nhs_rate_round(100 * numerator / denominator)),
                          disclosure = disclosure)
  out$rate[!is.finite(out$rate)] <- NA_real_
  out$over_dq_threshold <- over
  out$dq_gate <- dq_gate
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
  # ContCarePathInd of the plan COC_by_28weeks decides on (the latest
  # antenatal plan by day 203 with it recorded), for COC_DQ05
  cp <- cohort_care_plans(msds, base$preg_id)
  sel <- which(cp$CarePlanType %in% "05" & !is.na(cp$ContCarePathInd) & plan_gest(cp, nb) <= 203)
  k <- latest_plan(cp$ip[sel], cp$date[sel], cp$record[sel], nrow(base))
  cm$coc_pathway <- as.character(cp$ContCarePathInd[sel[k]])
  cm
}

# Numerator and denominator per provider (successor codes): `den` weights
# the denominator (default one per pregnancy); providers appear when their
# denominator is above zero, as NHS Digital's aggregation (a right join on
# the denominator) makes them.
nhs_count <- function(start, end, indicator, provider, num, den = NULL) {
  if (is.null(den)) den <- rep(1, length(provider))
  ok <- !is.na(provider)
  p <- sort(unique(provider[ok]))
  f <- factor(provider[ok], p)
  numerator <- as.numeric(vapply(split(as.numeric(num[ok]), f), sum, 0))
  denominator <- as.numeric(vapply(split(as.numeric(den[ok]), f), sum, 0))
  keep <- denominator > 0
  k <- sum(keep)
  tibble::tibble(rp_start_date = rep(start, k), rp_end_date = rep(end, k), org_code = p[keep],
                 org_level = rep("Provider", k), indicator = rep(indicator, k),
                 numerator = numerator[keep], denominator = denominator[keep])
}

# NHS Digital's published rounding: 0 stays 0, 1-7 become 5, others the
# nearest multiple of 5 (no ties arise for whole counts).
nhs_round <- function(n) ifelse(n == 0, 0, ifelse(n <= 7, 5, floor(n / 5 + 0.5) * 5))

month_first <- function(d) as.Date(format(d, "%Y-%m-01"))

month_last <- function(first) add_months(first, 1L) - 1L

add_months <- function(first, k) {
  lt <- as.POSIXlt(first)
  mon <- lt$year * 12L + lt$mon + k
  as.Date(sprintf("%04d-%02d-01", mon %/% 12L + 1900L, mon %% 12L + 1L))
}
