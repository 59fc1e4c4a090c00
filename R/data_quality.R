# Completeness and validity of the fields the study depends on, by
# maternity unit and year.

#' Data quality of the study's MSDS fields by maternity unit and year
#'
#' Counts, for each field the analysis relies on, how many records have a
#' value (complete) and how many have a valid value, by maternity unit and
#' year. The table passes through the disclosure rule.
#'
#' Units and rules (latest submissions only):
#' * per pregnancy (booking provider, calendar year of booking):
#'   `ethnicity` (`EthnicCategoryMother`; valid = a stated category, not
#'   `Z`/`99`), `lsoa` (`LSOAMother2011`; valid = an English or Welsh 2011
#'   LSOA code, `E01`/`W01` and six digits), `imd_decile`
#'   (`Rank_IMD_Decile_2015`; valid 1-10), and, for bookings on or after
#'   `v2_start` only, the latest antenatal care plan's `MatPersCarePlanInd`
#'   and `ContCarePathInd` (valid Y/N), `named_midwife` (`CareProfLID`; valid
#'   = listed in `MSD901StaffDetails`) and `named_team` (`TeamLocalID`; valid
#'   = present); a pregnancy with no antenatal plan counts as incomplete;
#' * per baby (the baby record's provider, calendar year of birth):
#'   `gestation` (`GestationLengthBirth`; valid 154-315 days), `birth_weight`
#'   (`MSD405` `BirthWeight`; valid 100-7000 g, the schema's plausible range),
#'   `delivery_method` (`DeliveryMethodCode`; valid 0-9), and, for live
#'   births, `apgar` (`ApgarScore`; valid 0-10).
#'
#' `pct_valid` is valid records as a percentage of all records (`n`), so it
#' is never above `pct_complete`. A code outside its code list (which
#' [as_msds()] keeps, such as ethnicity `'X'`) is complete but not valid; the
#' values themselves, by provider and month over the whole extract, are in
#' the attribute `invalid_codes` (see [msds_invalid_codes()]).
#'
#' @param data An `msds` object, or a cohort from [define_cohort()] (then
#'   `msds` is required and only the cohort's pregnancies, with the cohort's
#'   provider and year, are counted).
#' @param msds The `msds` object a cohort was built from.
#' @param by Grouping: any of `"provider"` and `"year"`.
#' @param v2_start First booking date with MSDS v2 care-plan fields.
#' @param disclosure A disclosure rule, `"none"`, or `NULL` for the option's.
#' @param x Deprecated: use `data`.
#' @returns A tibble of class `mq_data_quality` with columns `provider`,
#'   `year` (those in `by`), `field`, `n`, `n_complete`, `pct_complete`,
#'   `n_valid` and `pct_valid`, and attribute `invalid_codes`.
#' @examples
#' data_quality(msds_example)
#' @export
data_quality <- function(data, msds = NULL, by = c("provider", "year"),
                         v2_start = as.Date("2019-04-01"), disclosure = NULL, x = NULL) {
  if (deprecated_arg(x, missing(data), "x", "data", "data_quality")) data <- x
  by <- unique(by)
  if (!is.character(by) || !all(by %in% c("provider", "year"))) {
    cli::cli_abort(c("{.arg by} must be any of {.val provider} and {.val year}.",
                     "x" = "It is {example_values(by)}."))
  }
  v2_start <- check_date(v2_start)
  if (inherits(data, "mq_cohort")) {
    if (is.null(msds)) {
      cli::cli_abort(c("{.arg msds} is required when {.arg data} is a cohort.",
                       "i" = "Pass the {.cls msds} object the cohort was built from."))
    }
    check_msds(msds)
    preg <- tibble::tibble(preg_id = data$preg_id, mother_id = data$mother_id,
                           provider = data$provider, booking_date = data$booking_date,
                           year = data$year)
  } else {
    check_msds(data, arg = "data")
    msds <- data
    bk <- msds$MSD101PregnancyBooking
    bk <- rows(bk, latest_rows(bk, c("Person_ID_Mother", "UniqPregID")))
    preg <- tibble::tibble(preg_id = bk$UniqPregID, mother_id = bk$Person_ID_Mother,
                           provider = bk$OrgCodeProvider, booking_date = bk$AntenatalAppDate,
                           year = as.integer(format(bk$AntenatalAppDate, "%Y")))
  }
  recs <- rbind(dq_pregnancy_fields(preg, msds, v2_start), dq_baby_fields(preg, msds))
  keys <- c(by, "field")
  g <- if (length(by)) do.call(paste, c(unname(as.list(recs[keys])), sep = "\r")) else recs$field
  u <- !duplicated(g)
  gi <- match(g, g[u])
  out <- recs[u, keys, drop = FALSE]
  out$n <- tabulate(gi, sum(u))
  out$n_complete <- tabulate(gi[recs$complete], sum(u))
  out$pct_complete <- NA_real_
  out$n_valid <- tabulate(gi[recs$valid], sum(u))
  out$pct_valid <- NA_real_
  fields <- c("ethnicity", "lsoa", "imd_decile", "MatPersCarePlanInd", "ContCarePathInd",
              "named_midwife", "named_team", "gestation", "birth_weight", "apgar", "delivery_method")
  ord <- do.call(order, c(unname(as.list(out[by])), list(match(out$field, fields), method = "radix")))
  out <- tibble::as_tibble(out[ord, , drop = FALSE])
  # percentages from the released counts; the incomplete and invalid
  # records are checked like counts, and the providers (or years) of a field
  # add up to its total
  out <- apply_disclosure(out, counts = c("n", "n_complete", "n_valid"),
                          derived = list(pct_complete = ~ 100 * n_complete / n,
                                         pct_valid = ~ 100 * n_valid / n),
                          complements = list(n_complete = ~ n - n_complete,
                                             n_valid = ~ n - n_valid),
                          margins = by, disclosure = disclosure)
  class(out) <- unique(c("mq_data_quality", class(out)))
  attr(out, "invalid_codes") <- msds_invalid_codes(msds, disclosure = disclosure)
  out
}

dq_rows <- function(provider, year, field, complete, valid) {
  data.frame(provider = provider, year = year, field = rep(field, length(complete)),
             complete = complete %in% TRUE, valid = valid %in% TRUE,
             stringsAsFactors = FALSE)
}

dq_pregnancy_fields <- function(preg, msds, v2_start) {
  md <- msds$MSD001MotherDemog
  # the booking's own submission (as define_cohort())
  bk <- msds$MSD101PregnancyBooking
  bk <- rows(bk, latest_rows(bk, c("Person_ID_Mother", "UniqPregID")))
  ib <- match(preg$preg_id, bk$UniqPregID)
  im <- booking_demographics(md, bk)$index[ib]
  eth <- md$EthnicCategoryMother[im]
  lsoa <- md$LSOAMother2011[im]
  imd <- md$Rank_IMD_Decile_2015[im]
  out <- list(
    dq_rows(preg$provider, preg$year, "ethnicity", !is.na(eth),
            eth %in% setdiff(msds_codes$ethnic_category, c("Z", "99"))),
    dq_rows(preg$provider, preg$year, "lsoa", !is.na(lsoa), grepl("^[EW]01[0-9]{6}$", lsoa)),
    dq_rows(preg$provider, preg$year, "imd_decile", !is.na(imd), imd %in% 1:10)
  )
  v2 <- which(preg$booking_date >= v2_start)
  if (length(v2)) {
    cp <- msds$MSD102MatCarePlan
    cp <- rows(cp, latest_rows(cp, c("UniqPregID", "CarePlanType", "CarePlanDate")))
    cp <- rows(cp, cp$CarePlanType %in% "05")
    ip <- match(cp$UniqPregID, preg$preg_id[v2])
    k <- latest_plan(ip[!is.na(ip)], cp$CarePlanDate[!is.na(ip)], cp$RecordNumber[!is.na(ip)], length(v2))
    rows <- which(!is.na(ip))[k]
    get <- function(f) cp[[f]][rows]
    st <- msds$MSD901StaffDetails
    pv <- preg$provider[v2]
    yv <- preg$year[v2]
    mp <- get("MatPersCarePlanInd")
    cc <- get("ContCarePathInd")
    mw <- get("CareProfLID")
    tm <- get("TeamLocalID")
    out <- c(out, list(
      dq_rows(pv, yv, "MatPersCarePlanInd", !is.na(mp), mp %in% c("Y", "N")),
      dq_rows(pv, yv, "ContCarePathInd", !is.na(cc), cc %in% c("Y", "N")),
      dq_rows(pv, yv, "named_midwife", !is.na(mw),
              !is.na(mw) & !is.na(staff_index(mw, get("OrgCodeProvider"), st))),
      dq_rows(pv, yv, "named_team", !is.na(tm), !is.na(tm))
    ))
  }
  do.call(rbind, out)
}

dq_baby_fields <- function(preg, msds) {
  babies <- latest_babies(msds)
  babies <- rows(babies, babies$UniqPregID %in% preg$preg_id)
  act <- msds$MSD405CareActivityBaby
  ib <- match(act$Person_ID_Baby, babies$Person_ID_Baby)
  weight <- latest_value(act$BirthWeight, ib, act$RecordNumber, n_rows(babies))
  apgar <- latest_value(act$ApgarScore, ib, act$RecordNumber, n_rows(babies))
  pv <- babies$OrgCodeProvider
  yv <- as.integer(format(babies$PersonBirthDateBaby, "%Y"))
  g <- babies$GestationLengthBirth
  dm <- babies$DeliveryMethodCode
  live <- babies$PregOutcome %in% "01"
  rbind(
    dq_rows(pv, yv, "gestation", !is.na(g), !is.na(g) & g >= 154 & g <= 315),
    dq_rows(pv, yv, "birth_weight", !is.na(weight), !is.na(weight) & weight >= 100 & weight <= 7000),
    dq_rows(pv[live], yv[live], "apgar", !is.na(apgar[live]), apgar[live] %in% 0:10),
    dq_rows(pv, yv, "delivery_method", !is.na(dm), dm %in% msds_codes$delivery_method)
  )
}

#' Heat map of data quality
#'
#' @param object A table from [data_quality()].
#' @param measure `"pct_valid"` (default) or `"pct_complete"`.
#' @param ... Not used.
#' @returns A ggplot: fields by maternity unit, one panel per year, coloured
#'   by the percentage (suppressed cells grey).
#' @examples
#' if (requireNamespace("ggplot2", quietly = TRUE)) {
#'   ggplot2::autoplot(data_quality(msds_example))
#' }
#' @importFrom rlang .data
#' @exportS3Method ggplot2::autoplot
autoplot.mq_data_quality <- function(object, measure = c("pct_valid", "pct_complete"), ...) {
  rlang::check_installed("ggplot2", "to plot data quality.")
  measure <- rlang::arg_match(measure)
  d <- as.data.frame(object)
  d$value <- d[[measure]]
  d$field <- factor(d$field, levels = rev(unique(d$field)))
  if (!"provider" %in% names(d)) d$provider <- "all units"
  d <- sdc_plot_frame(d, object)
  p <- ggplot2::ggplot(d, ggplot2::aes(x = .data$provider, y = .data$field, fill = .data$value)) +
    ggplot2::geom_tile(colour = "white") +
    ggplot2::scale_fill_gradient(low = "#b2182b", high = "#f7f7f7", limits = c(0, 100),
                                 na.value = "grey70",
                                 name = if (measure == "pct_valid") "% valid" else "% complete") +
    ggplot2::labs(x = "Maternity unit", y = NULL, subtitle = plot_subtitle(attr(object, "sdc"))) +
    ggplot2::theme_minimal() +
    ggplot2::theme(axis.text.x = ggplot2::element_text(angle = 45, hjust = 1))
  if ("year" %in% names(d)) p <- p + ggplot2::facet_wrap(ggplot2::vars(.data$year))
  p
}
