# Harmonising MSDS v1.5 tables to the v2 object, and the union of the two
# versions (as NHS Digital's perinatal code does: the v2 record of a
# pregnancy present in both is kept).

# First day of an NHS Digital month id (month 1 = April 1900; 1429 = April
# 2019) [I].
month_id_date <- function(m) {
  m <- as.integer(m) - 1L
  as.Date(sprintf("%04d-%02d-01", 1900L + (m + 3L) %/% 12L, (m + 3L) %% 12L + 1L))
}

date_month_id <- function(d) {
  lt <- as.POSIXlt(d)
  as.integer((lt$year + 1900L - 1900L) * 12L + lt$mon + 1L - 3L)
}

# Renames the regional views' keys (MSDS_ID_Mother, UniquePregID,
# MSDS_ID_Baby) to NHS Digital's; returns the tables and the key naming found.
v15_rename_keys <- function(tables) {
  env <- "NHS Digital (Person_ID_Mother, UniqPregID, Person_ID_Baby)"
  for (tab in names(tables)) {
    nm <- names(tables[[tab]])
    for (k in names(v15_regional_keys)) {
      if (!k %in% nm && v15_regional_keys[[k]] %in% nm) {
        nm[nm == v15_regional_keys[[k]]] <- k
        env <- "regional view (MSDS_ID_Mother, UniquePregID, MSDS_ID_Baby)"
      }
    }
    names(tables[[tab]]) <- nm
  }
  list(tables = tables, keys = env)
}

check_v15_codes <- function(v15_codes, call = rlang::caller_env()) {
  def <- v15_default_codes()
  if (is.null(v15_codes)) return(def)
  ok <- is.list(v15_codes) && all(names(v15_codes) %in% names(def)) &&
    all(vapply(v15_codes, function(v) is.character(v) && !is.null(names(v)) && all(nzchar(names(v))), TRUE))
  if (!ok) {
    cli::cli_abort(c("{.arg v15_codes} must be a list with elements {.field fetus_outcome} and/or {.field smoking}, each a named character vector {.code c(v1.5_code = \"v2_code\")}.",
                     "i" = "Defaults and their sources: {.fn msds_v15_codes}."), call = call)
  }
  utils::modifyList(def, v15_codes)
}

# Validates the v1.5 tables, applies NHS Digital's v1.5 latest-record rule
# and builds v2-shaped tables. Returns list(tables, log, keys, problems).
harmonise_v15 <- function(tables, v15_codes, as_at = NULL) {
  rk <- v15_rename_keys(tables)
  tables <- rk$tables
  problems <- list()
  add <- function(...) problems[[length(problems) + 1L]] <<- new_problem(...)
  for (tab in names(v15_tables)) {
    if (!tab %in% names(tables)) {
      if (!isTRUE(v15_tables[[tab]]$optional_table)) add(tab, "", "table is missing", 0L)
      next
    }
    res <- validate_msds_table(tab, tables[[tab]], spec = v15_tables[[tab]])
    problems <- c(problems, res$problems)
    tables[[tab]] <- res$df
  }
  problems <- if (length(problems)) do.call(rbind, problems) else NULL
  if (!is.null(problems) && any(problems$severity == "error")) {
    return(list(problems = problems))
  }
  as_at_month <- if (is.null(as_at)) Inf else date_month_id(as_at)
  bk <- tables$MAT101Booking
  n_in <- nrow(bk)
  bk <- bk[!is.na(bk$Month_ID) & bk$Month_ID <= as_at_month, , drop = FALSE]
  n_as_at <- n_in - nrow(bk)
  flag <- bk$IC_USE_BOOKING_APP_FLAG %in% "Y"
  n_flag <- sum(!flag)
  bk <- bk[flag, , drop = FALSE]
  # per pregnancy: the latest month it flowed, the earliest booking in that
  # month, then the highest RecordNumber (NHS Digital's v1.5 perinatal code)
  latest_m <- stats::ave(bk$Month_ID, bk$UniqPregID, FUN = max)
  in_month <- bk$Month_ID == latest_m
  n_month <- sum(!in_month)
  bk <- bk[in_month, , drop = FALSE]
  d <- as.numeric(bk$AntenatalAppDate)
  first_app <- stats::ave(ifelse(is.na(d), Inf, d), bk$UniqPregID, FUN = min)
  earliest <- (!is.na(d) & d == first_app) | (is.na(d) & is.infinite(first_app))
  n_app <- sum(!earliest)
  bk <- bk[earliest, , drop = FALSE]
  keep <- which(latest_per_key(bk$UniqPregID, list(bk$RecordNumber))$keep)
  n_rn <- nrow(bk) - length(keep)
  bk <- bk[keep, , drop = FALSE]
  log <- tibble::tibble(
    step = c("MAT101 rows", "after as_at", "IC_USE_BOOKING_APP_FLAG not 'Y'", "not the latest Month_ID",
             "not the earliest AntenatalAppDate in that month", "not the highest RecordNumber", "kept"),
    n_rows = as.integer(c(n_in, n_as_at, n_flag, n_month, n_app, n_rn, nrow(bk))))
  rn <- bk$RecordNumber
  ip <- function(df) match(df$UniqPregID, bk$UniqPregID)

  # outcomes from the same RecordNumber; the lowest FetusOutcome across babies
  fo <- tables$MAT501FetusOutcome
  fo <- fo[fo$RecordNumber %in% rn & !is.na(fo$FetusOutcome), , drop = FALSE]
  fo_i <- ip(fo)
  fo <- fo[!is.na(fo_i) & fo$RecordNumber == rn[fo_i], , drop = FALSE]
  low <- which(latest_per_key(fo$UniqPregID, list(-radix_rank(fo$FetusOutcome), fo$FetusOutcomeDate))$keep)
  lowest <- fo[low, , drop = FALSE]
  li <- match(bk$UniqPregID, lowest$UniqPregID)
  recode <- function(v, map, prefix) {
    out <- unname(map[v])
    miss <- !is.na(v) & is.na(out)
    out[miss] <- if (is.null(prefix)) v[miss] else paste(prefix, v[miss])
    out
  }
  preg_outcome <- recode(lowest$FetusOutcome[li], v15_codes$fetus_outcome, "FETUSOUTCOME")
  outcome_date <- lowest$FetusOutcomeDate[li]

  # babies: the same RecordNumber when the table has one; otherwise each
  # baby's latest Month_ID, then highest MAT502_ID [I]
  col <- function(df, f, na = NA) if (f %in% names(df)) df[[f]] else rep(na, nrow(df))
  by <- tables$MAT502BabyDemogAndBirth
  by <- by[by$UniqPregID %in% bk$UniqPregID, , drop = FALSE]
  if ("RecordNumber" %in% names(by) && !all(is.na(by$RecordNumber))) {
    by <- by[by$RecordNumber %in% rn, , drop = FALSE]
    by <- by[by$RecordNumber == rn[ip(by)], , drop = FALSE]
  }
  mo <- col(by, "Month_ID", 0)
  id <- col(by, "MAT502_ID", 0)
  by <- by[which(latest_per_key(paste(by$UniqPregID, by$Person_ID_Baby, sep = "\r"), list(mo, id))$keep), , drop = FALSE]
  bi <- ip(by)

  # discharge: the same RecordNumber, else the pregnancy's latest Month_ID
  pd <- tables$MAT602PostpartumDischarge
  disch <- rep(as.Date(NA), nrow(bk))
  eop <- rep(NA_character_, nrow(bk))
  if (!is.null(pd) && nrow(pd)) {
    pd <- pd[pd$UniqPregID %in% bk$UniqPregID, , drop = FALSE]
    if ("RecordNumber" %in% names(pd) && !all(is.na(pd$RecordNumber))) {
      pd <- pd[pd$RecordNumber %in% rn & pd$RecordNumber == rn[ip(pd)], , drop = FALSE]
    }
    pd <- pd[which(latest_per_key(pd$UniqPregID, list(col(pd, "Month_ID", 0),
                                                     col(pd, "MaternityDischargeDate")))$keep), , drop = FALSE]
    j <- match(bk$UniqPregID, pd$UniqPregID)
    disch <- col(pd, "MaternityDischargeDate", as.Date(NA))[j]
    eop <- col(pd, "EoPSmokingStatus", NA_character_)[j]
  }

  # demographics: per mother and pregnancy the latest Month_ID, then the
  # highest MAT001_ID (NHS Digital), re-keyed to the booking's RecordNumber
  md <- tables$MAT001MotherDemog
  md <- md[!is.na(md$Month_ID) & md$Month_ID <= as_at_month, , drop = FALSE]
  has_preg <- "UniqPregID" %in% names(md) && !all(is.na(md$UniqPregID))
  mkey <- if (has_preg) paste(md$Person_ID_Mother, md$UniqPregID, sep = "\r") else md$Person_ID_Mother
  mid <- if ("MAT001_ID" %in% names(md)) md$MAT001_ID else col(md, "RecordNumber", 0)
  md <- md[which(latest_per_key(mkey, list(md$Month_ID, mid))$keep), , drop = FALSE]
  mk <- if (has_preg) paste(md$Person_ID_Mother, md$UniqPregID, sep = "\r") else md$Person_ID_Mother
  bkey <- if (has_preg) paste(bk$Person_ID_Mother, bk$UniqPregID, sep = "\r") else bk$Person_ID_Mother
  mi <- match(bkey, mk)

  gest <- col(bk, "GestAgeBooking", NA_integer_)
  # [I] booking gestation from the agreed due date (280 days at EDD) when
  # the table has no GestAgeBooking
  derive <- is.na(gest) & !is.na(col(bk, "EDDAgreed", as.Date(NA)))
  gest[derive] <- 280L - as.integer(bk$EDDAgreed[derive] - bk$AntenatalAppDate[derive])
  rp <- month_id_date(bk$Month_ID)
  v <- "v1.5"
  out <- list()
  out$MSD001MotherDemog <- tibble::tibble(
    Person_ID_Mother = bk$Person_ID_Mother, RecordNumber = rn,
    OrgCodeProvider = bk$OrgCodeProvider,
    EthnicCategoryMother = col(md, "EthnicCategoryMother", NA_character_)[mi],
    LSOAMother2011 = col(md, "LSOAMother2011", NA_character_)[mi],
    Rank_IMD_Decile_2015 = NA_integer_, RPStartDate = rp, version = v)
  out$MSD101PregnancyBooking <- tibble::tibble(
    UniqPregID = bk$UniqPregID, Person_ID_Mother = bk$Person_ID_Mother, RecordNumber = rn,
    OrgCodeProvider = bk$OrgCodeProvider, AntenatalAppDate = bk$AntenatalAppDate,
    GestAgeBooking = as.integer(gest), EDDAgreed = col(bk, "EDDAgreed", as.Date(NA)),
    AgeAtBookingMother = col(bk, "AgeAtBookingMother", NA_integer_),
    ComplexSocialFactorsInd = col(bk, "ComplexSocialFactorsInd", NA_character_),
    DisabilityIndMother = col(bk, "PhysicalDisabilityStatusIndMother", NA_character_),
    PreviousLiveBirths = col(bk, "PreviousLiveBirths", NA_integer_),
    PreviousStillBirths = col(bk, "PreviousStillBirths", NA_integer_),
    PreviousCaesareanSections = col(bk, "PreviousCaesareanSections", NA_integer_),
    PreviousLossesLessThan24Weeks = col(bk, "PreviousLossesLessThan24Weeks", NA_integer_),
    DischargeDateMatService = disch,
    SmokingStatusBooking = recode(col(bk, "SmokingStatus", NA_character_), v15_codes$smoking, NULL),
    SmokingStatusDelivery = recode(eop, v15_codes$smoking, NULL),
    RPStartDate = rp, version = v)
  # one labour record per pregnancy with babies [I: v1.5 has no labour table
  # known]; BirthsPerLabandDel is the number of its babies
  nb <- tabulate(bi, nrow(bk))
  lab <- which(nb > 0L)
  out$MSD301LabourDelivery <- tibble::tibble(
    LabourDeliveryID = rep("V15", length(lab)), UniqPregID = bk$UniqPregID[lab],
    RecordNumber = rn[lab], OrgCodeProvider = bk$OrgCodeProvider[lab],
    BirthsPerLabandDel = pmin(nb[lab], 6L), RPStartDate = rp[lab], version = rep(v, length(lab)))
  birth <- col(by, "PersonBirthDateBaby", as.Date(NA))
  birth[is.na(birth)] <- outcome_date[bi][is.na(birth)]
  out$MSD401BabyDemographics <- tibble::tibble(
    Person_ID_Baby = by$Person_ID_Baby, LabourDeliveryID = rep("V15", nrow(by)),
    UniqPregID = by$UniqPregID, RecordNumber = rn[bi], OrgCodeProvider = bk$OrgCodeProvider[bi],
    PersonBirthDateBaby = birth, PregOutcome = preg_outcome[bi],
    PersonPhenSex = col(by, "PersonPhenotypicSex", NA_character_),
    GestationLengthBirth = col(by, "GestationLengthBirth", NA_integer_),
    DeliveryMethodCode = col(by, "DeliveryMethodBaby", NA_character_),
    PersonDeathDateBaby = col(by, "PersonDeathDateTimeBaby", as.Date(NA)),
    BabyFirstFeedIndCode = col(by, "BabyFirstFeedBreastMilkStatus", NA_character_),
    RPStartDate = rp[bi], version = rep(v, nrow(by)))
  # birth weight and the 5-minute Apgar move to MSD405 (v2 layout)
  out$MSD405CareActivityBaby <- tibble::tibble(
    Person_ID_Baby = by$Person_ID_Baby, RecordNumber = rn[bi],
    ApgarScore = col(by, "ApgarScore5", NA_integer_),
    BirthWeight = as.numeric(col(by, "BirthWeight", NA_real_)))
  list(tables = out, log = log, keys = rk$keys, problems = problems,
       other = tables[setdiff(names(tables), names(v15_tables))])
}

# The union of harmonised v1.5 tables and v2 tables: a pregnancy present in
# both keeps its v2 record only (its v1.5 rows of every table are dropped).
union_versions <- function(v2, h) {
  v15 <- h$tables
  has_v2 <- "MSD101PregnancyBooking" %in% names(v2)
  replaced <- rep(FALSE, nrow(v15$MSD101PregnancyBooking))
  if (has_v2) {
    b2 <- v2$MSD101PregnancyBooking
    key <- function(m, p) paste(trimws(as.character(m)), trimws(as.character(p)), sep = "\r")
    k15 <- key(v15$MSD101PregnancyBooking$Person_ID_Mother, v15$MSD101PregnancyBooking$UniqPregID)
    replaced <- k15 %in% key(b2$Person_ID_Mother, b2$UniqPregID)
    drop_preg <- v15$MSD101PregnancyBooking$UniqPregID[replaced]
    drop_rec <- v15$MSD101PregnancyBooking$RecordNumber[replaced]
    for (tab in names(v15)) {
      t <- v15[[tab]]
      bad <- if ("UniqPregID" %in% names(t)) t$UniqPregID %in% drop_preg else t$RecordNumber %in% drop_rec
      v15[[tab]] <- t[!bad, , drop = FALSE]
    }
  }
  out <- v2
  for (tab in names(v2)) {
    if (tab %in% names(msds_tables) && nrow(v2[[tab]])) out[[tab]]$version <- "v2"
  }
  for (tab in names(v15)) {
    out[[tab]] <- if (tab %in% names(v2)) bind_v15(out[[tab]], v15[[tab]]) else v15[[tab]]
  }
  # v1.5 has no care-plan, contact, labour-activity or staff tables
  for (tab in setdiff(names(msds_tables), names(out))) {
    if (!isTRUE(msds_tables[[tab]]$optional_table)) out[[tab]] <- msds_empty_table(tab)
  }
  counts <- tibble::tibble(
    version = c("v1.5", "v2"),
    bookings = c(length(replaced), if (has_v2) nrow(v2$MSD101PregnancyBooking) else 0L),
    replaced_by_v2 = c(sum(replaced), 0L),
    kept = c(sum(!replaced), if (has_v2) nrow(v2$MSD101PregnancyBooking) else 0L))
  list(tables = c(out, h$other), versions = list(counts = counts, v15_rule = h$log, keys = h$keys))
}

# Rows of a harmonised v1.5 table below a v2 table: columns the v2 table
# lacks are added as missing (and the other way round), types from v2 text.
bind_v15 <- function(a, b) {
  a <- as.list(a)
  b <- as.list(b)
  na <- length(a[[1L]] %||% integer())
  nb <- length(b[[1L]] %||% integer())
  for (f in setdiff(names(b), names(a))) a[[f]] <- rep(b[[f]][NA_integer_], na)
  for (f in setdiff(names(a), names(b))) b[[f]] <- rep(NA, nb)
  cols <- lapply(names(a), function(f) {
    x <- a[[f]]
    y <- b[[f]]
    if (is.character(x) || is.factor(x)) return(c(as.character(x), as.character(y)))
    if (inherits(x, "Date") && inherits(y, "Date")) return(c(x, y))
    if (is.numeric(x) && (is.numeric(y) || all(is.na(y)))) return(c(x, as.numeric(y)))
    # other representations (text dates, integer64): as text, validated once
    c(as.character(x), as.character(y))
  })
  names(cols) <- names(a)
  tibble::as_tibble(cols)
}

#' Rows of each MSDS version in an `msds` object
#'
#' When [as_msds()] is given MSDS v1.5 tables (bookings April 2015 - March
#' 2019), it harmonises them to v2 and, with v2 tables, keeps the v2 record
#' of every pregnancy present in both, as NHS Digital's perinatal code does.
#'
#' @inheritParams msds_quality
#' @returns A tibble `version`, `bookings` (harmonised bookings, one per
#'   pregnancy for v1.5 after the latest-record rule), `replaced_by_v2`
#'   (v1.5 pregnancies dropped because v2 has them), `kept`, with `_sdc`
#'   columns from the disclosure rule. Attribute `v15_rule`: the v1.5
#'   booking rows removed at each step of NHS Digital's rule; `keys`: the key
#'   naming found (NHS Digital's or a regional view's). `NULL` for an object
#'   built from v2 tables only.
#' @examples
#' msds_versions(msds_example)
#' @param x Deprecated: use `data`.
#' @export
msds_versions <- function(data, disclosure = NULL, x = NULL) {
  if (deprecated_arg(x, missing(data), "x", "data", "msds_versions")) data <- x
  check_msds(data)
  v <- attr(data, "versions")
  if (is.null(v)) return(NULL)
  out <- apply_disclosure(v$counts, counts = c("bookings", "replaced_by_v2", "kept"),
                          disclosure = disclosure)
  attr(out, "v15_rule") <- apply_disclosure(v$v15_rule, counts = "n_rows", disclosure = disclosure)
  attr(out, "keys") <- v$keys
  out
}
