# CORE20PLUS cohort: one row per pregnancy from a validated msds object,
# with an exclusion log that accounts for every record removed.

#' Build a CORE20PLUS pregnancy cohort from MSDS tables
#'
#' `define_cohort()` turns a validated [`msds`][as_msds()] object into one row
#' per pregnancy: the latest submission of each booking record
#' (`MSD101PregnancyBooking`, kept by [as_msds()]) with the mother's
#' demographics (`MSD001MotherDemog`) from the same submission, with maternal
#' characteristics, deprivation, ethnicity, the maternity unit and the
#' CORE20PLUS flags.
#'
#' Demographics: MSD001 has no pregnancy key, so each pregnancy takes the
#' MSD001 row of its mother with the booking's `RecordNumber` (the booking's
#' submission); if there is none, the latest MSD001 row of the mother at the
#' same provider (`OrgCodeProvider`) with a `RecordNumber` at or before the
#' booking's; else the latest row of the mother anywhere. How many
#' pregnancies took each route is in attribute `demographics` and reported
#' when a fallback was used; a later address is never given to an earlier
#' pregnancy while its own submission has one.
#'
#' Pregnancies are removed in this order, each rule counted in the exclusion
#' log (see [cohort_flow()]); a pregnancy is counted under the first rule it
#' fails:
#' 1. older submissions of a booking record (the latest `RecordNumber` wins;
#'    this step counts records, every later step counts pregnancies);
#' 2. no booking: booking date (`AntenatalAppDate`) or booking gestation
#'    (`GestAgeBooking`) missing;
#' 3. impossible values: booking gestation outside `limits$booking_gest`
#'    (default 0-315 days), maternal age at booking outside `limits$age`
#'    (default 10-60), discharge before booking, a baby born before booking;
#' 4. duplicate pregnancies: two pregnancy records of the same mother whose
#'    estimated start dates (booking date minus booking gestation) are within
#'    `duplicate_window` days are one pregnancy (for example booked at two
#'    units); the record with a birth record is kept, then the earliest
#'    booking, then the smallest `UniqPregID`;
#' 5. booking date outside `period`;
#' 6. no birth record (`MSD401BabyDemographics`) when `require_birth = TRUE`.
#'
#' CORE20PLUS (DOMAIN.md section 3): `core20` is national IMD decile 1-2
#' (`NA` when the decile is unknown). `plus_ethnic_minority` is `TRUE` for the
#' codes of the chosen grouping (see Ethnic groups) and `NA` for not stated or
#' not known (`Z`, `99`, missing) and for a code outside the code list (such
#' as `'X'`, which [as_msds()] keeps and counts; its `ethnic_group` is
#' Unknown). `plus_traveller` and `plus_ltc` come from the person-level
#' `flags` (columns `traveller` and `long_term_condition`): `NA` when no flags
#' table or column is given, `FALSE` for a mother absent from the table.
#' `plus_complex_social` is `ComplexSocialFactorsInd == "Y"` (`NA` when it is
#' missing or outside the Y/N code list). `core20plus` is
#' `TRUE` when `core20` or any `plus_*` flag is `TRUE` and `FALSE` otherwise:
#' an unknown component counts as not known to be in the group (the data
#' quality report, [data_quality()], gives how often each is unknown).
#'
#' Ethnic groups: `ethnic_group` is the broad census group of the NHS Data
#' Dictionary ethnic category (White A-C, Mixed D-G, Asian H-L, Black M-P,
#' Other R-S, Unknown for Z, 99, missing or a code outside the list; DOMAIN.md
#' section 2). `ethnic_group_nhs_coc` is the grouping of NHS Digital's
#' continuity-of-carer breakdowns (its public CoC measure code, which groups
#' `EthnicCategoryMother` into 'White' A, B, C; 'BAME' D, E, F, H, J, K, L,
#' M, N, P; 'Other' G, R, S; and 'Missing_Unknown' for anything else): levels
#' "White", "Black, Asian and minority ethnic", "Other" and "Missing or
#' unknown". Note that the CoC grouping puts G (any other mixed background) with
#' R and S in "Other", not with the other mixed codes. (NHS Digital takes the
#' mother's latest MSD001 row at the provider; the cohort takes the booking's
#' own submission, see Demographics.)
#'
#' Which codes make `plus_ethnic_minority` is set by `ethnic_grouping`:
#' `"not_white_british"` (default, the study's CORE20PLUS PLUS group of
#' DOMAIN.md section 3: every known code except A, White British, so B-S) or
#' `"nhs_coc"` (NHS Digital's CoC "Black, Asian and minority ethnic" group: D,
#' E, F, H, J, K, L, M, N, P; A-C and G, R, S are `FALSE`), or by giving the
#' codes in `ethnic_minority` (grouping `"custom"`). The grouping and its codes
#' are recorded in `attr(cohort, "definitions")`.
#'
#' Deprivation: by default the decile is the IMD 2019 national decile of the
#' mother's `LSOAMother2011` from the shipped [imd2019] table, as NHS
#' Digital's continuity-of-carer breakdowns use (`imd_edition = "IMD 2019"`).
#' `imd = "2015"` uses MSDS's derived `Rank_IMD_Decile_2015` instead
#' (`imd_edition = "IMD 2015"`). With `imd_lookup`, every decile comes from
#' the lookup by `LSOAMother2011` and the lookup's single edition is
#' recorded; a lookup holding several editions, or `imd_lookup` together
#' with `imd`, is refused. One edition is used for the whole cohort, with no
#' fallback to the other: a mother whose LSOA is missing or not in the table
#' has an unknown decile. LSOAs not in the table are counted in
#' `attr(cohort, "unknown_codes")`, Welsh LSOAs (`W01...`, not in the English
#' index) under their own reason.
#'
#' Providers: `provider` is `OrgCodeProvider` mapped through
#' [provider_successors] (RR1 Heart of England to RRK University Hospitals
#' Birmingham, whatever the date), so a trust's series is continuous;
#' `provider_submitted` keeps the code as submitted (use it to join back to
#' the MSDS tables). `icb` and `lmns` are the provider's ICB code and name
#' from [msds_providers] (the LMNS footprint); `NA` for providers not in that
#' table.
#'
#' @param data A validated `msds` object from [as_msds()] or
#'   [simulate_msds()].
#' @param period Booking-date window: a length-2 vector of dates (or
#'   `"YYYY-MM-DD"` strings), inclusive; `NULL` (default) keeps all dates.
#' @param require_birth If `TRUE`, pregnancies without a baby record are
#'   excluded (and counted).
#' @param ethnic_minority Ethnic category codes that count as an ethnic
#'   minority for `plus_ethnic_minority` (grouping `"custom"`); `NULL`
#'   (default) takes them from `ethnic_grouping`. Some analyses also drop
#'   `"B"` and `"C"` from the default.
#' @param ethnic_grouping Which grouping defines `plus_ethnic_minority` when
#'   `ethnic_minority` is not given: `"not_white_british"` (default: every
#'   known code except `"A"`, White British) or `"nhs_coc"` (NHS Digital's
#'   continuity-of-carer "Black, Asian and minority ethnic" codes D, E, F, H,
#'   J, K, L, M, N, P). Give it or `ethnic_minority`, not both.
#' @param plus A named list of user-defined PLUS groups: each a function of
#'   the cohort returning a logical vector, a one-sided formula (`~ age < 20`)
#'   or a quoted expression evaluated in the cohort. Each adds a column
#'   `plus_<name>` that feeds `core20plus`.
#' @param imd_lookup Optional data frame with columns `lsoa`, `decile` and
#'   `edition` (for example `"IMD 2019"`), one row per LSOA; it replaces the
#'   default (give it without `imd`).
#' @param flags Person-level flags (see [as_msds()]); default the object's.
#' @param duplicate_window Days between estimated pregnancy start dates
#'   within which two records of one mother are the same pregnancy (check).
#' @param limits Plausible ranges: `list(booking_gest = c(0, 315),
#'   age = c(10, 60))`.
#' @param imd Deprivation edition: `"2019"` (default: IMD 2019 from
#'   `LSOAMother2011` via [imd2019]; codes are matched as given, then
#'   trimmed and upper-cased) or `"2015"` (MSDS's `Rank_IMD_Decile_2015`).
#' @param successors `TRUE` (default) maps provider codes through
#'   [provider_successors]; `FALSE` keeps the submitted codes; or a data frame
#'   with columns `predecessor` and `successor` (chains are followed).
#' @param msds Deprecated: use `data`.
#' @returns A tibble of class `mq_cohort`, one row per pregnancy, with columns
#'   `preg_id`, `mother_id`, `provider` (successor code), `provider_submitted`,
#'   `icb`, `lmns`, `booking_date`, `booking_gest`
#'   (days), `age`, `age_band`, `parity` (previous live births plus
#'   stillbirths), `nulliparous`, `prev_stillbirth`, `prev_caesarean`,
#'   `ethnic_code`, `ethnic_group` (White, Mixed, Asian, Black, Other,
#'   Unknown), `ethnic_group_nhs_coc` (White; Black, Asian and minority
#'   ethnic; Other; Missing or unknown), `imd_decile`, `imd_quintile`, `imd_edition`, `year` (calendar
#'   year of booking), `quarter` (`"2020 Q2"`), `discharge_date`, `core20`,
#'   `plus_ethnic_minority`, `plus_traveller`, `plus_ltc`,
#'   `plus_complex_social`, any user `plus_<name>`, `core20plus` and
#'   `core20plus_group` (factor), `version` (the MSDS version of the booking
#'   record, `"v2"` or `"v1.5"`: see [as_msds()]). Attributes: `exclusions` (tibble `step`,
#'   `rule`, `n_before`, `n_excluded`, `n_after`) and `unknown_codes`
#'   (tibble `field`, `value`, `n`: not-stated, unknown or unmatched values)
#'   and `demographics` (tibble `source`, `n`: where each kept pregnancy's
#'   MSD001 row came from) and `definitions` (tibble `column`, `definition`,
#'   `source`: the definition that made the ethnic-group columns and
#'   `plus_ethnic_minority`; later `add_*()` steps such as [add_smoking()]
#'   add their columns' rows).
#' @seealso [cohort_flow()], [add_care_model()], [add_outcomes()],
#'   [data_quality()].
#' @examples
#' cohort <- define_cohort(msds_example, period = c("2019-04-01", "2024-03-31"),
#'                         plus = list(young = ~ age < 20))
#' table(cohort$core20plus_group)
#' cohort_flow(cohort, disclosure = "none")
#' @export
define_cohort <- function(data, period = NULL, require_birth = FALSE,
                          ethnic_minority = NULL, plus = list(), imd_lookup = NULL,
                          flags = attr(data, "flags"), duplicate_window = 28,
                          limits = list(booking_gest = c(0, 315), age = c(10, 60)),
                          imd = "2019", successors = TRUE,
                          ethnic_grouping = c("not_white_british", "nhs_coc"), msds = NULL) {
  if (!missing(data) && inherits(data, "msds_db")) return(db_define_cohort(environment(), match.call(), parent.frame()))
  if (deprecated_arg(msds, missing(data), "msds", "data", "define_cohort")) data <- msds
  check_msds(data)
  check_flag(require_birth)
  check_number(duplicate_window, lower = 0)
  period <- check_period(period)
  minority <- check_ethnic_minority(ethnic_minority, ethnic_grouping,
                                    grouping_given = !missing(ethnic_grouping))
  limits <- utils::modifyList(list(booking_gest = c(0, 315), age = c(10, 60)), limits)
  lookup <- check_imd(imd, imd_lookup, imd_given = !missing(imd))
  successors <- check_successors(successors)

  bk_all <- data$MSD101PregnancyBooking
  log <- new_log()
  # as_msds() already kept the latest submission of each booking (counted in
  # attr(msds, "submissions")); this is a no-op on such objects
  cur <- latest_rows(bk_all, c("Person_ID_Mother", "UniqPregID"))
  at_door <- submissions_removed(data, "MSD101PregnancyBooking")
  log <- add_log(log, "submissions", "older submissions of a booking replaced by the latest (RPStartDate, UniqSubmissionID, RecordNumber); counts records",
                 nrow(bk_all) + at_door, at_door + nrow(bk_all) - length(cur))
  # the rules read columns of the rows still in (cur); rows are copied once
  # an optional field the extract does not hold reads as missing, so no
  # step can drop rows because a column is absent
  B <- function(field) {
    v <- bk_all[[field]]
    if (is.null(v)) rep(NA, length(cur)) else v[cur]
  }
  drop_step <- function(bad, step, rule) {
    stopifnot(length(bad) == length(cur))
    bad[is.na(bad)] <- FALSE
    log <<- add_log(log, step, rule, length(cur), sum(bad))
    cur <<- cur[!bad]
  }
  drop_step(is.na(B("AntenatalAppDate")) | is.na(B("GestAgeBooking")), "no booking",
            "booking date (AntenatalAppDate) or booking gestation (GestAgeBooking) missing")
  lg <- limits$booking_gest
  drop_step(B("GestAgeBooking") < lg[1] | B("GestAgeBooking") > lg[2], "impossible values",
            sprintf("booking gestation outside %s-%s days", lg[1], lg[2]))

  md_all <- data$MSD001MotherDemog
  md <- unclass(md_all)[intersect(c("Person_ID_Mother", "EthnicCategoryMother", "LSOAMother2011",
                                    "Rank_IMD_Decile_2015", "PersonBirthDateMother"), names(md_all))]
  # demographics from the booking's own submission (REAL_MSDS.md)
  dm <- booking_demographics(md_all, bk_all)
  md_row <- dm$index
  im <- md_row[cur]
  age <- B("AgeAtBookingMother")
  if ("PersonBirthDateMother" %in% names(md)) {
    fill <- is.na(age) & !is.na(im)
    age[fill] <- age_years(md$PersonBirthDateMother[im[fill]], B("AntenatalAppDate")[fill])
  }
  la <- limits$age
  drop_step(!is.na(age) & (age < la[1] | age > la[2]), "impossible values",
            sprintf("maternal age at booking outside %s-%s years", la[1], la[2]))
  disch <- B("DischargeDateMatService")
  drop_step(!is.na(disch) & disch < B("AntenatalAppDate"),
            "impossible values", "discharge from maternity services before booking")

  babies <- latest_babies(data, c("UniqPregID", "PersonBirthDateBaby"))
  # a birth date held to the month only counts as its month's last day
  first_birth <- min_by(latest_possible_date(babies$PersonBirthDateBaby, data, "MSD401BabyDemographics",
                                             "PersonBirthDateBaby"),
                        match(babies$UniqPregID, B("UniqPregID")), length(cur))
  drop_step(!is.na(first_birth) & first_birth < B("AntenatalAppDate"), "impossible values",
            "a baby born before the booking date")

  # duplicates: same mother, estimated start within duplicate_window days
  has_birth <- B("UniqPregID") %in% babies$UniqPregID
  mother <- B("Person_ID_Mother")
  start <- as.numeric(B("AntenatalAppDate")) - B("GestAgeBooking")
  o <- order(mother, start, method = "radix")
  n <- length(o)
  same <- logical(n)
  if (n > 1) {
    ms <- mother[o]
    ss <- start[o]
    same[-1] <- ms[-1] == ms[-n] & (ss[-1] - ss[-n]) <= duplicate_window
  }
  grp <- integer(n)
  grp[o] <- cumsum(!same)
  pref <- order(grp, !has_birth, B("AntenatalAppDate"), B("UniqPregID"), method = "radix")
  dup <- rep(TRUE, n)
  dup[pref[!duplicated(grp[pref])]] <- FALSE
  drop_step(dup, "duplicates", sprintf(
    "same mother, estimated pregnancy start within %s days of another record (kept: the one with a birth, then the earliest booking)",
    duplicate_window))

  if (is.null(period)) {
    drop_step(rep(FALSE, length(cur)), "period", "booking date outside the period (no period given: all kept)")
  } else {
    bd <- B("AntenatalAppDate")
    drop_step(bd < period[1] | bd > period[2], "period",
              sprintf("booking date outside %s to %s", period[1], period[2]))
  }
  if (require_birth) {
    drop_step(!B("UniqPregID") %in% babies$UniqPregID, "no birth", "no baby record (MSD401BabyDemographics)")
  } else {
    drop_step(rep(FALSE, length(cur)), "no birth", "no baby record (not applied: require_birth = FALSE)")
  }
  bk <- rows(bk_all, cur, c("UniqPregID", "Person_ID_Mother", "OrgCodeProvider", "AntenatalAppDate",
                            "GestAgeBooking", "AgeAtBookingMother", "PreviousLiveBirths",
                            "PreviousStillBirths", "PreviousCaesareanSections",
                            "DischargeDateMatService", "ComplexSocialFactorsInd"))
  bk$.md_row <- md_row[cur]
  # the MSDS version of each booking record (v2 unless as_msds() harmonised v1.5)
  version <- if ("version" %in% names(bk_all)) bk_all$version[cur] else rep("v2", length(cur))

  cohort <- build_cohort_columns(bk, md, ethnic_minority = minority$codes, lookup = lookup,
                                 flags = flags, plus = plus, successors = successors)
  unknown <- attr(cohort, "unknown_codes")
  demog <- tibble::tibble(source = demographics_sources,
                          n = tabulate(dm$source[cur], length(demographics_sources)))
  report_demographics(demog)
  attr(cohort, "unknown_codes") <- NULL
  cohort$version <- version
  cohort <- tibble::new_tibble(cohort, nrow = nrow(cohort), class = "mq_cohort")
  attr(cohort, "exclusions") <- log
  attr(cohort, "unknown_codes") <- unknown
  attr(cohort, "demographics") <- demog
  cohort <- record_definitions(cohort, ethnic_definitions(minority))
  report_unknown(unknown)
  cohort
}

# The codes of plus_ethnic_minority: list(grouping, codes).
check_ethnic_minority <- function(codes, grouping, grouping_given, call = rlang::caller_env()) {
  if (!is.null(codes)) {
    if (grouping_given) {
      cli::cli_abort(c("Give {.arg ethnic_minority} or {.arg ethnic_grouping}, not both.",
                       "i" = "{.arg ethnic_minority} lists the codes itself (grouping {.val custom})."),
                     call = call)
    }
    if (!is.character(codes) || anyNA(codes)) {
      cli::cli_abort("{.arg ethnic_minority} must be a character vector of ethnic category codes.",
                     call = call)
    }
    odd <- setdiff(codes, msds_codes$ethnic_category)
    if (length(odd)) {
      cli::cli_abort(c("{.arg ethnic_minority} has codes that are not ethnic categories.",
                       "x" = "Unknown: {example_values(odd)}.",
                       "i" = "Known codes: {msds_codes$ethnic_category}."), call = call)
    }
    return(list(grouping = "custom", codes = unique(codes)))
  }
  choices <- c("not_white_british", "nhs_coc")
  if (identical(grouping, choices)) grouping <- choices[1]
  if (!is.character(grouping) || length(grouping) != 1L || !grouping %in% choices) {
    cli::cli_abort(c("{.arg ethnic_grouping} must be one of {.val {choices}}.",
                     "x" = "It is {example_values(as.character(grouping))}."), call = call)
  }
  list(grouping = grouping, codes = ethnic_minority_codes(grouping))
}

# The ethnic-minority codes of each named grouping (see define_cohort()).
ethnic_minority_codes <- function(grouping) {
  switch(grouping,
         not_white_british = setdiff(msds_codes$ethnic_category, c("A", "Z", "99")),
         nhs_coc = c("D", "E", "F", "H", "J", "K", "L", "M", "N", "P"))
}

ethnic_definitions <- function(minority) {
  src <- c(
    not_white_british = "study CORE20PLUS PLUS group (DOMAIN.md section 3): every known ethnic category except A (White British)",
    nhs_coc = "NHS Digital continuity-of-carer breakdowns (public CoC measure code, EthnicGroup 'BAME')",
    custom = "user-supplied ethnic_minority codes")
  tibble::tibble(
    column = c("ethnic_group", "ethnic_group_nhs_coc", "plus_ethnic_minority"),
    definition = c("census broad groups", "nhs_coc", minority$grouping),
    source = c(
      "NHS Data Dictionary ethnic category, broad groups White A-C, Mixed D-G, Asian H-L, Black M-P, Other R-S, Unknown Z/99/missing/invalid (DOMAIN.md section 2)",
      "NHS Digital continuity-of-carer breakdowns (public CoC measure code): White A-C; BAME D, E, F, H, J, K, L, M, N, P; Other G, R, S; Missing_Unknown otherwise",
      paste0(src[[minority$grouping]], ": codes ", paste(minority$codes, collapse = ", "),
             "; NA for Z, 99, missing or invalid"))
  )
}

# Adds rows (column, definition, source) to attr(x, "definitions"),
# replacing the rows of the same columns.
record_definitions <- function(x, rows) {
  old <- attr(x, "definitions")
  if (!is.null(old)) rows <- rbind(old[!old$column %in% rows$column, , drop = FALSE], rows)
  attr(x, "definitions") <- rows
  x
}

# Columns of the cohort from the kept booking rows.
build_cohort_columns <- function(bk, md, ethnic_minority, lookup,
                                 flags, plus, successors = NULL, call = rlang::caller_env()) {
  im <- bk$.md_row %||% match(bk$Person_ID_Mother, md$Person_ID_Mother)
  age <- bk$AgeAtBookingMother
  if ("PersonBirthDateMother" %in% names(md)) {
    fill <- is.na(age) & !is.na(im)
    age[fill] <- age_years(md$PersonBirthDateMother[im[fill]], bk$AntenatalAppDate[fill])
  }
  eth <- md$EthnicCategoryMother[im]
  lsoa <- md$LSOAMother2011[im]
  unknown <- list()
  if (is.null(lookup)) {
    decile <- md$Rank_IMD_Decile_2015[im]
    edition <- "IMD 2015"
  } else {
    # one edition only: the MSDS decile is not used as a fallback
    il <- match(lsoa, lookup$lsoa)
    retry <- which(!is.na(lsoa) & is.na(il))
    if (length(retry)) il[retry] <- match(toupper(trimws(lsoa[retry])), lookup$lsoa)
    decile <- as.integer(lookup$decile[il])
    edition <- lookup$edition[1]
    miss <- !is.na(lsoa) & is.na(il)
    wales <- miss & startsWith(lsoa, "W01")
    if (any(wales)) unknown$wales <- count_values(sprintf("LSOAMother2011 in Wales (not in %s)", edition), lsoa[wales])
    miss <- miss & !wales
    if (any(miss)) unknown$lsoa <- count_values(lookup$miss_field, lsoa[miss])
  }
  decile[!is.na(decile) & (decile < 1 | decile > 10)] <- NA_integer_
  # not stated or not known (Z, 99, missing), or not a valid code ('X'):
  # Unknown ethnic group and NA for plus_ethnic_minority
  nk <- is.na(eth) | !eth %in% setdiff(msds_codes$ethnic_category, c("Z", "99"))
  if (any(nk)) unknown$eth <- count_values("EthnicCategoryMother not stated or not known", ifelse(is.na(eth[nk]), "missing", eth[nk]))
  date <- bk$AntenatalAppDate
  lt <- as.POSIXlt(date)
  prev_live <- bk$PreviousLiveBirths
  prev_still <- bk$PreviousStillBirths
  parity <- prev_live + prev_still
  out <- tibble::tibble(
    preg_id = bk$UniqPregID,
    mother_id = bk$Person_ID_Mother,
    provider = map_successors(bk$OrgCodeProvider, successors),
    provider_submitted = bk$OrgCodeProvider,
    booking_date = date,
    booking_gest = bk$GestAgeBooking,
    age = as.integer(age),
    age_band = cut(age, c(-Inf, 19, 24, 29, 34, 39, Inf),
                   labels = c("<20", "20-24", "25-29", "30-34", "35-39", "40+")),
    parity = as.integer(parity),
    nulliparous = parity == 0,
    prev_stillbirth = prev_still > 0,
    prev_caesarean = bk$PreviousCaesareanSections > 0,
    ethnic_code = eth,
    ethnic_group = ethnic_group(eth),
    ethnic_group_nhs_coc = ethnic_group_nhs_coc(eth),
    imd_decile = as.integer(decile),
    imd_quintile = as.integer((decile + 1L) %/% 2L),
    imd_edition = rep(edition, n_rows(bk)),
    year = as.integer(lt$year + 1900L),
    quarter = quarter_label(lt),
    # an optional field: NA (as a date) when the extract does not hold it
    discharge_date = bk$DischargeDateMatService %||% rep(as.Date(NA), n_rows(bk)),
    core20 = decile <= 2L,
    plus_ethnic_minority = replace(eth %in% ethnic_minority, nk, NA),
    plus_traveller = person_flag(flags, "traveller", bk$Person_ID_Mother),
    plus_ltc = person_flag(flags, "long_term_condition", bk$Person_ID_Mother),
    # NA when missing or outside the Y/N code list
    plus_complex_social = ifelse(bk$ComplexSocialFactorsInd %in% msds_codes$yes_no,
                                 bk$ComplexSocialFactorsInd == "Y", NA)
  )
  ip <- match(out$provider, matequity::msds_providers$org_code)
  out$icb <- matequity::msds_providers$icb[ip]
  out$lmns <- matequity::msds_providers$icb_name[ip]
  out <- out[c("preg_id", "mother_id", "provider", "provider_submitted", "icb", "lmns",
               setdiff(names(out), c("preg_id", "mother_id", "provider", "provider_submitted", "icb", "lmns")))]
  out <- add_user_plus(out, plus, call = call)
  plus_cols <- grep("^plus_", names(out), value = TRUE)
  any_plus <- Reduce(`|`, lapply(out[plus_cols], function(x) x %in% TRUE), rep(FALSE, nrow(out)))
  c20 <- out$core20 %in% TRUE
  out$core20plus <- c20 | any_plus
  grp <- rep(4L, nrow(out))
  grp[any_plus] <- 3L
  grp[c20] <- 2L
  grp[c20 & any_plus] <- 1L
  out$core20plus_group <- structure(grp, levels = c("Core20 and PLUS", "Core20 only", "PLUS only", "Neither"),
                                    class = "factor")
  attr(out, "unknown_codes") <- if (length(unknown)) do.call(rbind, unname(unknown)) else
    tibble::tibble(field = character(), value = character(), n = integer())
  out
}

add_user_plus <- function(out, plus, call) {
  if (is.null(plus) || !length(plus)) return(out)
  if (!is.list(plus) || is.null(names(plus)) || any(!nzchar(names(plus)))) {
    cli::cli_abort(c("{.arg plus} must be a named list of PLUS groups.",
                     "i" = "For example {.code plus = list(young = ~ age < 20)}."), call = call)
  }
  for (nm in names(plus)) {
    p <- plus[[nm]]
    val <- if (is.function(p)) {
      p(out)
    } else if (rlang::is_formula(p)) {
      rlang::eval_tidy(rlang::f_rhs(p), data = out, env = rlang::f_env(p))
    } else if (is.call(p) || is.name(p) || rlang::is_quosure(p)) {
      rlang::eval_tidy(p, data = out, env = call)
    } else {
      cli::cli_abort("{.arg plus} element {.field {nm}} must be a function, a formula or an expression.", call = call)
    }
    if (!is.logical(val) || length(val) != nrow(out)) {
      cli::cli_abort(c("{.arg plus} element {.field {nm}} must give one logical value per pregnancy.",
                       "x" = "It gave {.obj_type_friendly {val}} of length {length(val)}, not {nrow(out)}."),
                     call = call)
    }
    out[[paste0("plus_", nm)]] <- unname(val)
  }
  out
}

ethnic_group <- function(code) {
  map <- c(A = "White", B = "White", C = "White", D = "Mixed", E = "Mixed", F = "Mixed",
           G = "Mixed", H = "Asian", J = "Asian", K = "Asian", L = "Asian", M = "Black",
           N = "Black", P = "Black", R = "Other", S = "Other", Z = "Unknown", `99` = "Unknown")
  lev <- c("White", "Mixed", "Asian", "Black", "Other", "Unknown")
  g <- match(unname(map[code]), lev)
  g[is.na(g)] <- 6L
  structure(g, levels = lev, class = "factor")
}

# NHS Digital's continuity-of-carer grouping (its CoC measure code).
ethnic_group_nhs_coc <- function(code) {
  lev <- c("White", "Black, Asian and minority ethnic", "Other", "Missing or unknown")
  g <- rep(4L, length(code))
  g[code %in% c("A", "B", "C")] <- 1L
  g[code %in% ethnic_minority_codes("nhs_coc")] <- 2L
  g[code %in% c("G", "R", "S")] <- 3L
  structure(g, levels = lev, class = "factor")
}

person_flag <- function(flags, column, ids) {
  if (is.null(flags) || !column %in% names(flags)) return(rep(NA, length(ids)))
  v <- flags[[column]][match(ids, flags$Person_ID_Mother)]
  v[is.na(match(ids, flags$Person_ID_Mother))] <- FALSE
  v
}

count_values <- function(field, values) {
  tab <- table(values, useNA = "ifany")
  tibble::tibble(field = field, value = names(tab), n = as.integer(tab))
}

report_unknown <- function(unknown) {
  if (!nrow(unknown)) return(invisible())
  lines <- sprintf("%s: %s (%s)", unknown$field, unknown$value, released_count(unknown$n))
  cli::cli_inform(c("i" = "Unknown or unmatched values in the cohort (see {.code attr(cohort, \"unknown_codes\")}):",
                    stats::setNames(utils::head(lines, 12), rep("*", min(12, length(lines)))), exact_note()),
                  class = "matequity_unknown_codes")
}

check_period <- function(period, call = rlang::caller_env()) {
  if (is.null(period)) return(NULL)
  p <- tryCatch(as.Date(period), error = function(e) NULL)
  if (is.null(p) || length(p) != 2L || anyNA(p) || p[1] > p[2]) {
    cli::cli_abort(c("{.arg period} must be two dates, start then end.",
                     "x" = "It is {example_values(as.character(period))}."), call = call)
  }
  p
}

# The deprivation source of a cohort: NULL (MSDS's Rank_IMD_Decile_2015), the
# shipped IMD 2019 table, or the user's lookup; never a mix.
check_imd <- function(imd, lookup, imd_given, call = rlang::caller_env()) {
  if (is.numeric(imd) && length(imd) == 1L && imd %in% c(2015, 2019)) imd <- as.character(imd)
  if (!is.character(imd) || length(imd) != 1L || !imd %in% c("2019", "2015")) {
    cli::cli_abort(c("{.arg imd} must be {.val 2019} (IMD 2019 from {.field LSOAMother2011}) or {.val 2015} (MSDS's {.field Rank_IMD_Decile_2015}).",
                     "x" = "It is {example_values(as.character(imd))}."), call = call)
  }
  if (!is.null(lookup)) {
    if (imd_given) {
      cli::cli_abort(c("Give {.arg imd} or {.arg imd_lookup}, not both: deprivation comes from one edition.",
                       "i" = "{.arg imd_lookup} gives every decile from its own edition by {.field LSOAMother2011}."),
                     call = call)
    }
    return(check_imd_lookup(lookup, call = call))
  }
  if (imd == "2015") return(NULL)
  imd2019_lookup()
}

imd2019_lookup <- function() {
  tab <- matequity::imd2019
  list(lsoa = tab$lsoa11, decile = tab$imd_decile, edition = "IMD 2019",
       miss_field = "LSOAMother2011 not in IMD 2019 (England, LSOA 2011)")
}

check_imd_lookup <- function(lookup, call = rlang::caller_env()) {
  if (is.null(lookup)) return(NULL)
  check_data_frame(lookup, arg = "imd_lookup", call = call)
  check_columns(lookup, c("lsoa", "decile", "edition"), arg = "imd_lookup", call = call)
  ed <- unique(as.character(lookup$edition))
  if (length(ed) != 1L || is.na(ed)) {
    cli::cli_abort(c("{.arg imd_lookup} mixes IMD editions; deciles from different editions are not comparable.",
                     "x" = "Editions found: {example_values(ed)}.",
                     "i" = "Give one edition (e.g. IMD 2019 for LSOA 2011 codes)."), call = call)
  }
  lookup$lsoa <- as.character(lookup$lsoa)
  check_unique_key(lookup$lsoa, "LSOA", "imd_lookup", call = call)
  if (!is.numeric(lookup$decile) || any(!is.na(lookup$decile) & !lookup$decile %in% 1:10)) {
    cli::cli_abort(c("{.arg imd_lookup} column {.field decile} must hold whole numbers 1-10.",
                     "x" = "Found {example_values(lookup$decile[!lookup$decile %in% 1:10])}."), call = call)
  }
  lookup$edition <- as.character(lookup$edition)
  list(lsoa = lookup$lsoa, decile = lookup$decile, edition = lookup$edition[1],
       miss_field = "LSOAMother2011 not in imd_lookup")
}

# The successor map: TRUE = the shipped provider_successors, FALSE/NULL = none,
# or a data frame with columns predecessor and successor.
check_successors <- function(successors, call = rlang::caller_env()) {
  if (isTRUE(successors)) return(matequity::provider_successors)
  if (is.null(successors) || isFALSE(successors)) return(NULL)
  if (!is.data.frame(successors)) {
    cli::cli_abort(c("{.arg successors} must be {.code TRUE}, {.code FALSE} or a data frame like {.code provider_successors}.",
                     "x" = "It is {.obj_type_friendly {successors}}."), call = call)
  }
  check_columns(successors, c("predecessor", "successor"), arg = "successors", call = call)
  pre <- as.character(successors$predecessor)
  if (anyNA(pre) || anyNA(successors$successor) || anyDuplicated(pre)) {
    cli::cli_abort("{.arg successors} must give each predecessor code once, with a successor.", call = call)
  }
  out <- tibble::tibble(predecessor = pre, successor = as.character(successors$successor))
  map_successors(pre, out, call = call)  # refuses a cycle
  out
}

# Provider codes mapped to their latest successor (chains followed; a cycle is
# refused). Applied whatever the date, so a trust's series is continuous.
map_successors <- function(code, successors, call = rlang::caller_env()) {
  if (is.null(successors) || !nrow(successors)) return(code)
  out <- code
  for (k in seq_len(nrow(successors) + 1L)) {
    i <- match(out, successors$predecessor)
    hit <- !is.na(i)
    if (!any(hit)) return(out)
    out[hit] <- successors$successor[i[hit]]
  }
  cli::cli_abort("{.arg successors} has a cycle of provider codes.", call = call)
}

quarter_label <- function(lt) {
  q <- paste0(lt$year + 1900L, " Q", lt$mon %/% 3L + 1L)
  q[is.na(lt$year)] <- NA_character_
  q
}

# Completed years between two dates.
age_years <- function(birth, at) {
  b <- as.POSIXlt(birth)
  a <- as.POSIXlt(at)
  y <- a$year - b$year
  as.integer(y - (a$mon < b$mon | (a$mon == b$mon & a$mday < b$mday)))
}

demographics_sources <- c(
  "from the booking's submission (same RecordNumber)",
  "none in the booking's submission: latest of the mother at the same provider, at or before the booking's submission",
  "none in the booking's submission: latest of the mother at another provider or later",
  "no MSD001 row for the mother")

# The MSD001 row giving each booking's demographics: the row of the same
# mother with the booking's RecordNumber (its submission); else the latest row
# of the mother at the same provider with RecordNumber at or before the
# booking's; else the latest row of the mother anywhere. Returns
# list(index into md, source = 1..4, see demographics_sources).
booking_demographics <- function(md, bk) {
  n <- n_rows(bk)
  idx <- rep(NA_integer_, n)
  src <- rep(4L, n)
  if (!n || !n_rows(md)) return(list(index = idx, source = src))
  has_rn <- "RecordNumber" %in% names(md) && "RecordNumber" %in% names(bk)
  if (has_rn) {
    cols <- c("Person_ID_Mother", "RecordNumber")
    idx <- match_rows(unclass(bk)[cols], unclass(md)[cols])
  }
  src[!is.na(idx)] <- 1L
  rn_md <- if (has_rn) as.numeric(md$RecordNumber) else numeric(n_rows(md))
  rn_bk <- if (has_rn) as.numeric(bk$RecordNumber) else rep(Inf, n)
  left <- which(is.na(idx))
  if (length(left) && all(c("OrgCodeProvider") %in% names(md)) && "OrgCodeProvider" %in% names(bk)) {
    g <- combined_codes(list(c(md$Person_ID_Mother, bk$Person_ID_Mother[left]),
                             c(md$OrgCodeProvider, bk$OrgCodeProvider[left])))
    nm <- n_rows(md)
    r <- last_at_or_before(g[seq_len(nm)], rn_md, g[-seq_len(nm)], rn_bk[left])
    idx[left] <- r
    src[left[!is.na(r)]] <- 2L
  }
  left <- which(is.na(idx))
  if (length(left)) {
    g <- group_codes(c(md$Person_ID_Mother, bk$Person_ID_Mother[left]))
    nm <- n_rows(md)
    r <- last_at_or_before(g[seq_len(nm)], rn_md, g[-seq_len(nm)], rep(Inf, length(left)))
    idx[left] <- r
    src[left[!is.na(r)]] <- 3L
  }
  list(index = idx, source = src)
}

# For each query (group g_q, value v_q), the row of the table (g, v) in the
# same group with the largest v <= v_q; NA when none. Missing v counts as
# oldest, a missing group never matches.
last_at_or_before <- function(g, v, g_q, v_q) {
  n <- length(g)
  v[is.na(v)] <- -Inf
  v_q[is.na(v_q)] <- Inf
  gg <- c(g, g_q)
  gg[is.na(gg)] <- 0L
  vv <- c(v, v_q)
  is_q <- rep(c(FALSE, TRUE), c(n, length(g_q)))
  o <- order(gg, vv, is_q, method = "radix")
  pos <- cummax(ifelse(is_q[o], 0L, seq_along(o)))
  qi <- which(is_q[o])
  p <- pos[qi]
  ok <- p > 0L
  ok[ok] <- gg[o[p[ok]]] == gg[o[qi[ok]]] & gg[o[qi[ok]]] != 0L
  out <- rep(NA_integer_, length(g_q))
  out[o[qi[ok]] - n] <- o[p[ok]]
  out
}

report_demographics <- function(demog) {
  fb <- demog[-1L, , drop = FALSE]
  fb <- fb[fb$n > 0, , drop = FALSE]
  if (!nrow(fb)) return(invisible())
  lines <- sprintf("%s: %s", fb$source, released_count(fb$n))
  cli::cli_inform(c("i" = "Demographics (MSD001) not from the booking's own submission for some pregnancies (see {.code attr(cohort, \"demographics\")}):",
                    stats::setNames(lines, rep("*", length(lines))), exact_note()),
                  class = "matequity_demographics_fallback")
}

# Row numbers of the latest record (highest RecordNumber) per key, by
# latest_per_key()'s rule (ties: the first row in input order).
latest_rows <- function(df, key, record = "RecordNumber") {
  n <- n_rows(df)
  if (!n) return(integer())
  code <- if (length(key) == 1L) df[[key]] else combined_codes(unclass(df)[key])
  ord <- if (record %in% names(df)) list(df[[record]]) else list()
  which(latest_per_key(code, ord)$keep)
}

# Latest submission of each baby record.
latest_babies <- function(msds, cols = NULL) {
  b <- msds$MSD401BabyDemographics
  rows(b, latest_rows(b, c("UniqPregID", "Person_ID_Baby")), cols)
}

# Rows i of a table as a plain list of columns (much faster than
# subsetting a tibble at a million rows).
rows <- function(df, i, cols = NULL) {
  x <- unclass(df)
  if (!is.null(cols)) x <- x[intersect(cols, names(x))]
  lapply(x, function(v) v[i])
}

n_rows <- function(x) if (is.data.frame(x)) nrow(x) else length(x[[1L]])

# Minimum of x within groups g (1..n; NA groups ignored); NA when empty.
min_by <- function(x, g, n) {
  out <- .cpp_group_min(as.numeric(x), as.integer(g), as.integer(n))
  if (inherits(x, "Date")) out <- as.Date(out, origin = "1970-01-01")
  out
}

new_log <- function() {
  tibble::tibble(step = character(), rule = character(), n_before = integer(),
                 n_excluded = integer(), n_after = integer())
}

add_log <- function(log, step, rule, n_before, n_excluded) {
  tibble::add_row(log, step = step, rule = rule, n_before = as.integer(n_before),
                  n_excluded = as.integer(n_excluded),
                  n_after = as.integer(n_before - n_excluded))
}

check_cohort <- function(x, arg = rlang::caller_arg(x), call = rlang::caller_env()) {
  if (!inherits(x, "mq_cohort")) {
    cli::cli_abort(c("{.arg {arg}} must be a cohort from {.fn define_cohort}.",
                     "x" = "It is {.obj_type_friendly {x}}."), call = call)
  }
  invisible(x)
}

#' The exclusion log of a cohort, as a flow
#'
#' Every record or pregnancy removed while building a cohort is counted under
#' the first rule it failed. `cohort_flow()` returns that log with its counts
#' passed through the disclosure rule, and prints it as a text flow diagram.
#' The first step counts booking records (older submissions replaced by the
#' latest); every later step counts pregnancies. Within each row
#' `n_after = n_before - n_excluded`, and the excluded counts add up to the
#' first `n_before` minus the last `n_after` (before disclosure rounding).
#'
#' @param data A cohort from [define_cohort()].
#' @param disclosure A disclosure rule (see `disclosure_rule()`), `"none"`,
#'   or `NULL` for `getOption("matequity.disclosure", "nhse_sde")`.
#' @param cohort Deprecated: use `data`.
#' @returns A tibble of class `mq_flow` with columns `step`, `rule`,
#'   `n_before`, `n_excluded` and `n_after` (plus any flag columns the
#'   disclosure rule adds).
#' @examples
#' cohort_flow(define_cohort(msds_example))
#' @export
cohort_flow <- function(data, disclosure = NULL, cohort = NULL) {
  if (deprecated_arg(cohort, missing(data), "cohort", "data", "cohort_flow")) data <- cohort
  check_cohort(data)
  log <- attr(data, "exclusions")
  if (is.null(log)) cli::cli_abort("{.arg data} has no exclusion log.")
  out <- apply_disclosure(log, counts = c("n_before", "n_excluded", "n_after"),
                          disclosure = disclosure)
  class(out) <- unique(c("mq_flow", class(out)))
  out
}


#' @export
print.mq_flow <- function(x, ...) {
  n <- function(v) ifelse(is.na(v), "[suppressed]", fmt_n(v))
  cat("Cohort flow\n")
  hdr <- sdc_header(x)
  if (length(hdr)) cat(paste0(names(hdr), ": ", hdr), sep = "\n")
  if (!nrow(x)) return(invisible(x))
  w <- max(nchar(n(c(x$n_before, x$n_after))))
  box <- function(label, v) cat(sprintf("  [ %-22s %*s ]\n", label, w, n(v)))
  box(if (x$step[1] == "submissions") "booking records" else "pregnancies", x$n_before[1])
  for (i in seq_len(nrow(x))) {
    cat("      |\n")
    cat(sprintf("      +--> excluded %s: %s\n", n(x$n_excluded[i]), x$step[i]))
    cat(sprintf("      |      (%s)\n", x$rule[i]))
    cat("      v\n")
    box(if (i == nrow(x)) "cohort (pregnancies)" else "pregnancies", x$n_after[i])
  }
  invisible(x)
}
