# Smoking status at booking and at delivery: NHS Digital's derivation from
# SNOMED CT (and Read / ICD-10) finding codes, CO readings and cigarettes per
# day around the booking appointment and the labour, or the MSD101 fields
# that were filled until 2020.

# Status values of one record: 1 smoker, 2 non-smoker or ex-smoker, 3 the
# 'unknown' finding; NA no status.
smoking_levels <- c("smoker", "non-smoker or ex-smoker")

#' Smoking code lists used by [add_smoking()]
#'
#' One table holds every code [add_smoking()]'s NHS definition reads: the
#' finding codes (`FindingCode` in `MSD202CareActivityPreg` and
#' `MSD302CareActivityLabDel`) that mean a smoker, a non-smoker or ex-smoker,
#' or an unknown status, and the observation codes (`ObsCode`) for
#' cigarettes per day, a carbon monoxide (CO) reading and the date the woman
#' stopped smoking.
#'
#' Source: NHS Digital's Maternity Services Monthly Statistics production
#' code (public): the notebook that derives `SmokingStatusBooking_derived`
#' and `SmokingStatusDelivery_derived` for the CQIM smoking measures
#' (`SmokingFindingCode`, `NonSmokingFindingCode`, the 'unknown' finding
#' `266927001`, the 'date ceased smoking' observation `160625004`, and the
#' observation codes for cigarettes per day, `230056004` with its Read and
#' CTV3 forms, and for the CO reading, `251900003` with its Read and CTV3
#' forms), and the DSP MSDS derivations behind `MSD202`'s
#' `CigarettesPerDay` (observable `230056004`) and `COMonReading`
#' (observable `251900003`, unit `ppm` or `coppm`). The finding lists mix
#' SNOMED CT, Read v2, CTV3 and ICD-10 codes, as NHS Digital's do; codes
#' repeated in its lists are listed once. The `scheme` column is inferred
#' from the form of each code (digits only: SNOMED CT; three or four
#' characters, a letter then digits: ICD-10; five characters starting with
#' `X` or `Ub`: CTV3; other five-character codes: Read v2). Codes are
#' compared exactly as written (Read codes are case-sensitive, `137h.` is
#' not `137H.`).
#'
#' NHS Digital's definition does not tell an ex-smoker from a woman who
#' never smoked: both are "non-smoker or ex-smoker" ('Non-Smoker /
#' Ex-Smoker' in its publications), as is a CO reading below 4 ppm or no
#' cigarettes a day.
#'
#' @returns A tibble with columns `code`, `field` (`"FindingCode"` or
#'   `"ObsCode"`), `meaning` (`"smoker"`, `"non-smoker or ex-smoker"`,
#'   `"unknown"`, `"cigarettes per day"` or `"CO reading"`) and `scheme`
#'   (`"SNOMED CT"`, `"Read v2"`, `"CTV3"` or `"ICD-10"`). Give a modified
#'   copy to [add_smoking()] (argument `codes`) to add a local code.
#' @seealso [add_smoking()].
#' @examples
#' codes <- smoking_codes()
#' table(codes$field, codes$meaning)
#' codes[codes$field == "ObsCode", ]
#' @export
smoking_codes <- function() {
  smoker <- c(
    "697956009", "56294008", "30310000", "110483000", "ZV6D8", "ZV4K0", "ZRh4.", "ZRBm2",
    "ZRao.", "ZRaM.", "ZG233", "Eu171", "Eu17.", "E251z", "E2511", "E2510", "E251.", "E023.",
    "9OOZ.", "9OOA.", "9OO9.", "9OO8.", "9OO7.", "9OO6.", "9OO5.", "9OO4.", "9OO3.", "9OO2.",
    "9OO1.", "9OO..", "9N4M.", "9N2k.", "9ko..", "9kc0.", "9kc..", "8I3M.", "8I39.", "8I2J.",
    "8I2I.", "8HTK.", "8HkQ.", "8HBM.", "8H7i.", "8CAL.", "8CAg.", "8BP3.", "8B3Y.", "8B3f.",
    "8B2B.", "745Hz", "745Hy", "745H4", "745H3", "745H2", "745H1", "745H0", "745H.", "67H6.",
    "67A3.", "38DH.", "13p6.", "13p5.", "13p4.", "13p3.", "13p2.", "13p1.", "13p0.", "13p..",
    "137Z.", "137Y.", "137X.", "137V.", "137R.", "137Q.", "137P.", "137M.", "137J.", "137h.",
    "137H.", "137G.", "137f.", "137e.", "137d.", "137c.", "137C.", "137b.", "137a.", "1376.",
    "1375.", "1374.", "1373.", "1372.", "Z720", "Z716", "F17", "XE0or", "XE0oq", "XaWNE",
    "XaLQh", "XaJX2", "XaItg", "XaIIu", "XagO3", "Xaa26", "Ub0pT", "Ub0pJ", "449345000",
    "446172000", "365982000", "160616005", "394871007", "394873005", "169940006", "65568007",
    "365981007", "203191000000107", "77176002", "230065006", "59978006", "160605003",
    "230063004", "56771006", "160603005", "230060001", "160604004", "230062009", "56578002",
    "230059006", "428041000124106", "82302008", "160619003", "308438006", "266929003",
    "266920004", "160606002", "230064005")
  non_smoker <- c(
    "E2513", "9km..", "137T.", "137S.", "137O.", "137N.", "137K.", "137j.", "137F.", "137B.",
    "137A.", "1379.", "1378.", "1377.", "Xa1bv", "Ub1na", "9kn..", "13WK.", "137L.", "8392000",
    "XE0oh", "1371.", "908781000000104", "722499006", "266919005", "449368009", "8517006",
    "405746006", "360900008", "360918006", "160618006", "160621008", "281018007", "266928006",
    "266924008", "1092071000000105", "266922007", "1092111000000104", "266923002",
    "1092091000000109", "160620009", "492191000000103", "1092031000000108", "735128000",
    "48031000119106", "266921000", "1092131000000107", "266925009", "1092041000000104",
    "360890004", "360929005", "105541001", "105539002", "105540000", "53896009", "87739003",
    "786063001", "785889008")
  obs <- list(
    "non-smoker or ex-smoker" = "160625004",
    "cigarettes per day" = c("230056004", ".137X", "137X.", "Ub1tI"),
    "CO reading" = c("251900003", ".4I90", "4I90.", "X77Qd"))
  code <- c(smoker, non_smoker, "266927001", unlist(obs, use.names = FALSE))
  tibble::tibble(
    code = code,
    field = rep(c("FindingCode", "ObsCode"), c(length(smoker) + length(non_smoker) + 1L,
                                               length(unlist(obs)))),
    meaning = c(rep(c("smoker", "non-smoker or ex-smoker", "unknown"),
                    c(length(smoker), length(non_smoker), 1L)),
                rep(names(obs), lengths(obs))),
    scheme = code_scheme(code)
  )
}

# The coding scheme of a code, from its form (see smoking_codes()).
code_scheme <- function(code) {
  out <- rep("Read v2", length(code))
  out[nchar(code) == 5L & (startsWith(code, "X") | startsWith(code, "Ub"))] <- "CTV3"
  out[grepl("^[A-Z][0-9]{2,3}$", code)] <- "ICD-10"
  out[grepl("^[0-9]+$", code)] <- "SNOMED CT"
  out
}

# The field: meaning pairs a code table may hold.
smoking_code_kinds <- c("FindingCode: smoker", "FindingCode: non-smoker or ex-smoker",
                        "FindingCode: unknown", "ObsCode: non-smoker or ex-smoker",
                        "ObsCode: cigarettes per day", "ObsCode: CO reading")

check_smoking_codes <- function(codes, call = rlang::caller_env()) {
  check_data_frame(codes, arg = "codes", call = call)
  check_columns(codes, c("code", "field", "meaning"), arg = "codes", call = call)
  pair <- paste(codes$field, codes$meaning, sep = ": ")
  bad <- unique(pair[!pair %in% smoking_code_kinds])
  if (length(bad) || anyNA(codes$code)) {
    cli::cli_abort(c("{.arg codes} must be a table like {.code smoking_codes()}.",
                     "x" = if (length(bad)) "Unknown {.field field}: {.field meaning} pairs: {example_values(bad)}.",
                     "x" = if (anyNA(codes$code)) "{.field code} has missing values.",
                     "i" = "Allowed pairs: {.val {smoking_code_kinds}}."),
                   call = call)
  }
  pick <- function(f, m) unique(as.character(codes$code[codes$field == f & codes$meaning == m]))
  list(smoker = pick("FindingCode", "smoker"),
       non_smoker = pick("FindingCode", "non-smoker or ex-smoker"),
       unknown = pick("FindingCode", "unknown"),
       obs_non_smoker = pick("ObsCode", "non-smoker or ex-smoker"),
       cigarettes = pick("ObsCode", "cigarettes per day"),
       co = pick("ObsCode", "CO reading"),
       default = identical(as.data.frame(codes[c("code", "field", "meaning")]),
                           as.data.frame(smoking_codes()[c("code", "field", "meaning")])))
}

#' Add smoking status at booking and at delivery to a cohort
#'
#' Adds smoking status at the booking appointment and at delivery, the two
#' CQIM smoking measures and a key confounder. The MSD101 smoking fields
#' (`SmokingStatusBooking`, `SmokingStatusDelivery`) are empty in MSDS
#' submissions since 2021; NHS Digital derives both statuses from care
#' activity records instead, and that is the default here.
#'
#' @section `definition = "nhs"` (default):
#' As NHS Digital's Maternity Services Monthly Statistics derive
#' `SmokingStatusBooking_derived` and `SmokingStatusDelivery_derived` for the
#' CQIM measures `CQIMSmokingBooking` and `CQIMSmokingDelivery` (and their
#' data-quality measures CQIMDQ04-07), from NHS Digital's public production
#' code (the views `MSD101PregnancyBooking_with_smokingstatusbooking_derived`
#' and `..._with_smokingstatusdelivery_derived`) and the DSP MSDS
#' derivations of `COMonReading` and `CigarettesPerDay`; the codes are in
#' [smoking_codes()].
#'
#' **At booking.** The records are the care activities (`MSD202`) of the
#' pregnancy's care contacts (`MSD201`, joined on `UniqPregID` +
#' `CareConID`) dated within 3 days either side of the booking appointment
#' (`AntenatalAppDate` of the cohort's booking record: `|CContactDate -
#' AntenatalAppDate| <= 3`, so a contact 3 days away counts and one 4 days
#' away does not). A record says:
#' * **smoker** if its `FindingCode` is a smoker code, or
#'   `CigarettesPerDay > 0`, or `COMonReading >= 4` (ppm);
#' * otherwise **non-smoker or ex-smoker** if its `FindingCode` is a
#'   non-smoker code, or its `ObsCode` is `160625004` (date ceased smoking),
#'   or `CigarettesPerDay == 0`, or `COMonReading < 4`;
#' * otherwise **unknown** if its `FindingCode` is `266927001`, but only on a
#'   contact that is not on the booking day (NHS Digital's same-day branch
#'   has no 'unknown').
#'
#' `CigarettesPerDay` and `COMonReading` are the MSD202 columns of those
#' names when the extract has them (DSP-derived); otherwise they are derived
#' as the DSP derives them: `ObsValue` of a record whose `ObsCode` is a
#' cigarettes-per-day code, and `ObsValue` of a record whose `ObsCode` is a
#' CO reading code with `UCUMUnit` `ppm` or `coppm` (any case, surrounding
#' spaces ignored), each only when `ObsValue` is zero or more.
#'
#' **At delivery.** The records are `MSD202` activities (dated by their
#' contact's `CContactDate`) and labour and delivery activities (`MSD302`,
#' dated `ClinInterDateMother`) of the pregnancy within 3 days either side
#' of the `LabourOnsetDate` or the `CaesareanDate` of any of the
#' pregnancy's labour records (`MSD301`) at the booking's provider
#' (`OrgCodeProvider`, as submitted). "Same day" is a record dated on the
#' labour onset or caesarean date. A record says:
#' * **smoker** if its `FindingCode` is a smoker code, or its `ObsCode` is a
#'   cigarettes-per-day code with `ObsValue > 0`, or a CO reading code with
#'   `ObsValue >= 4` and a `UCUMUnit` containing `PPM` (upper-cased, spaces
#'   removed);
#' * otherwise **non-smoker or ex-smoker** for a non-smoker `FindingCode`,
#'   `ObsCode` `160625004`, cigarettes per day `== 0` or a ppm CO reading
#'   `< 4`;
#' * otherwise **unknown** for `FindingCode` `266927001`.
#' The delivery rule reads `ObsCode`, `ObsValue` and `UCUMUnit` directly,
#' not the DSP-derived columns.
#'
#' **Ranking.** Of a pregnancy's records, the first in this order decides:
#' a smoker record on the day, a non-smoker or ex-smoker record on the day, a
#' smoker record within the window, a non-smoker or ex-smoker record within
#' the window, an unknown record. So "smoker" outranks "non-smoker or
#' ex-smoker" on the same footing, and the day itself outranks the days
#' around it (a non-smoker finding on the booking day beats a smoker finding
#' the day after). An unknown record, or no record, gives `NA`.
#'
#' Differences from the monthly publication, which works one reporting month
#' at a time: NHS Digital reads contacts only from that month's and the
#' previous month's submissions at booking (two months before as well at
#' delivery) and counts women booked (or giving birth) in the month at the
#' provider; here every retained record of the extract is used, once per
#' pregnancy. Smoking at delivery needs the labour anchor dates
#' (`LabourOnsetDate`, `CaesareanDate`): without them it is `NA`.
#'
#' @section `definition = "msd101"`:
#' The MSD101 fields of the cohort's booking record, with the NHS Data
#' Dictionary SMOKING STATUS codes (upper-cased and trimmed): `1` current
#' smoker is "smoker"; `2` ex-smoker, `3` non-smoker - history unknown and
#' `4` never smoked are "non-smoker or ex-smoker" (the grouping NHS Digital
#' publishes); `Z` not stated and `9` unknown are `NA`. Any other value is
#' `NA`, counted in `attr(cohort, "unknown_codes")` and reported. For data
#' before 2021 (the fields are empty since); the two definitions agree only
#' where both are recorded.
#'
#' @section Eligibility:
#' `smoking_booking_eligible` is `TRUE` for every pregnancy (every cohort
#' row has a booking appointment: the denominator of CQIMDQ04).
#' `smoking_delivery_eligible` is `TRUE` for pregnancies with a registrable
#' birth, a baby record (`MSD401`, latest submission) with `PregOutcome`
#' `01`-`04` (the denominator of CQIMDQ06); the delivery columns are `NA`
#' elsewhere. `_known` is `TRUE` when the status is known (the numerator of
#' CQIMDQ04 and CQIMDQ06; the smoking rate of CQIMDQ05 and CQIMDQ07 is the
#' share of smokers among the known).
#'
#' @param data A cohort from [define_cohort()].
#' @param msds The `msds` object the cohort was built from.
#' @param definition `"nhs"` (default: NHS Digital's derivation from
#'   MSD202/MSD302 records) or `"msd101"` (the MSD101 fields, empty since
#'   2021).
#' @param codes The code table, [smoking_codes()] by default (NHS Digital's
#'   lists); give a modified copy to add local codes. Only used by
#'   `definition = "nhs"`.
#' @param cohort Deprecated: use `data`.
#' @returns The cohort with columns `smoking_booking` and `smoking_delivery`
#'   (factors with levels "smoker" and "non-smoker or ex-smoker"; `NA` when
#'   unknown), `smoking_booking_eligible`, `smoking_booking_known`,
#'   `smoking_delivery_eligible` and `smoking_delivery_known` (logical), and
#'   attribute `definitions` (a tibble with `column`, `definition` and
#'   `source`) updated with the definition that made each column.
#' @seealso [smoking_codes()], [define_cohort()].
#' @examples
#' x <- simulate_msds(2000, seed = 1)
#' cohort <- add_smoking(define_cohort(x), x)
#' table(cohort$smoking_booking, useNA = "ifany")
#' # CQIMSmokingBooking-style rate: smokers among women with a known status
#' with(cohort, mean(smoking_booking[smoking_booking_known] == "smoker"))
#' attr(cohort, "definitions")
#' # before 2021 the MSD101 field is also filled
#' old <- add_smoking(define_cohort(x, period = c("2015-04-01", "2020-06-30")), x,
#'                    definition = "msd101")
#' table(old$smoking_booking, useNA = "ifany")
#' @export
add_smoking <- function(data, msds, definition = c("nhs", "msd101"), codes = smoking_codes(),
                        cohort = NULL) {
  if (deprecated_arg(cohort, missing(data), "cohort", "data", "add_smoking")) data <- cohort
  check_cohort(data)
  check_msds(msds)
  definition <- rlang::arg_match(definition)
  n <- nrow(data)
  births <- latest_babies(msds, c("UniqPregID", "PregOutcome"))
  deliv_elig <- data$preg_id %in%
    births$UniqPregID[births$PregOutcome %in% c("01", "02", "03", "04")]
  if (definition == "nhs") {
    cl <- check_smoking_codes(codes)
    st <- smoking_nhs(data, msds, cl)
    src <- c(
      booking = paste0(
        "NHS Digital CQIM derivation (SmokingStatusBooking_derived): MSD202 records of contacts within 3 days of AntenatalAppDate; ",
        "smoker finding, CigarettesPerDay > 0 or COMonReading >= 4 ppm ranked first; same day before window",
        if (!cl$default) "; user-modified code list"),
      delivery = paste0(
        "NHS Digital CQIM derivation (SmokingStatusDelivery_derived): MSD202/MSD302 records within 3 days of LabourOnsetDate or CaesareanDate (MSD301); ",
        "smoker finding, cigarettes per day > 0 or CO >= 4 ppm ranked first; same day before window",
        if (!cl$default) "; user-modified code list"))
  } else {
    st <- smoking_msd101(data, msds)
    attr(data, "unknown_codes") <- st$unknown_codes
    src <- c(booking = "MSD101 SmokingStatusBooking, NHS Data Dictionary SMOKING STATUS codes (1 smoker; 2, 3, 4 non-smoker or ex-smoker; Z, 9 unknown); empty since 2021",
             delivery = "MSD101 SmokingStatusDelivery, NHS Data Dictionary SMOKING STATUS codes (1 smoker; 2, 3, 4 non-smoker or ex-smoker; Z, 9 unknown); empty since 2021")
  }
  as_status <- function(s) structure(s, levels = smoking_levels, class = "factor")
  book <- st$booking
  deliv <- st$delivery
  deliv[!deliv_elig] <- NA_integer_
  data$smoking_booking <- as_status(book)
  data$smoking_booking_eligible <- rep(TRUE, n)
  data$smoking_booking_known <- !is.na(book)
  data$smoking_delivery <- as_status(deliv)
  data$smoking_delivery_eligible <- deliv_elig
  data$smoking_delivery_known <- ifelse(deliv_elig, !is.na(deliv), NA)
  record_definitions(data, tibble::tibble(
    column = c("smoking_booking", "smoking_delivery"),
    definition = definition,
    source = unname(src)))
}

# Status (1 smoker, 2 non-smoker or ex-smoker, NA) at booking and delivery,
# NHS Digital's derivation. cl: from check_smoking_codes().
smoking_nhs <- function(cohort, msds, cl) {
  n <- nrow(cohort)
  ac <- msds$MSD202CareActivityPreg
  cc <- msds$MSD201CareContactPreg
  warn_smoking_fields(msds)
  col <- function(df, f, na = NA_character_) if (f %in% names(df)) df[[f]] else rep(na, n_rows(df))
  # ---- MSD202 records, placed on their contact ---------------------------
  # only rows with a finding, an observation or a derived value can say
  # anything: the rest (most of the table) is skipped
  filled <- function(f) if (f %in% names(ac)) !is.na(ac[[f]]) else logical(n_rows(ac))
  cand <- which(filled("FindingCode") | filled("ObsCode") | filled("CigarettesPerDay") |
                  filled("COMonReading"))
  pick <- function(f, na = NA_character_) col(ac, f, na)[cand]
  fc <- pick("FindingCode")
  oc <- pick("ObsCode")
  ov <- pick("ObsValue", NA_real_)
  unit <- pick("UCUMUnit")
  # the DSP's CigarettesPerDay and COMonReading, or derived as it derives them
  cigs <- if ("CigarettesPerDay" %in% names(ac)) ac$CigarettesPerDay[cand] else {
    w <- which(oc %in% cl$cigarettes & ov >= 0)
    replace(rep(NA_real_, length(cand)), w, ov[w])
  }
  co <- if ("COMonReading" %in% names(ac)) ac$COMonReading[cand] else {
    w <- which(oc %in% cl$co & tolower(trimws(unit)) %in% c("ppm", "coppm") & ov >= 0)
    replace(rep(NA_real_, length(cand)), w, ov[w])
  }
  s_book <- record_status(fc %in% cl$smoker | cigs > 0 | co >= 4,
                          fc %in% cl$non_smoker | oc %in% cl$obs_non_smoker | cigs == 0 | co < 4,
                          fc %in% cl$unknown)
  s_del_202 <- delivery_record_status(fc, oc, ov, unit, cl)
  ok202 <- which(!is.na(s_book) | !is.na(s_del_202))
  keep <- cand[ok202]
  sub <- lapply(unclass(ac)[intersect(c("UniqPregID", "CareConID", "RecordNumber"), names(ac))],
                `[`, keep)
  ci <- scoped_match(sub, cc, "CareConID")$index
  p202 <- match(cc$UniqPregID[ci], cohort$preg_id)
  d202 <- as.integer(cc$CContactDate[ci])
  s_book <- s_book[ok202]
  s_del_202 <- s_del_202[ok202]

  # ---- at booking: within 3 days of AntenatalAppDate ---------------------
  gap <- d202 - as.integer(cohort$booking_date)[p202]
  same <- !is.na(gap) & gap == 0L
  win <- !is.na(gap) & abs(gap) <= 3L
  rank_b <- ifelse(same, c(1L, 2L, NA_integer_)[s_book], ifelse(win, c(3L, 4L, 5L)[s_book], NA_integer_))
  booking <- rank_status(rank_b, p202, n)

  # ---- at delivery: within 3 days of labour onset or caesarean ------------
  la <- msds$MSD302CareActivityLabDel
  ld <- msds$MSD301LabourDelivery
  c3 <- which(!is.na(col(la, "FindingCode")) | !is.na(col(la, "ObsCode")))
  s_del_302 <- delivery_record_status(col(la, "FindingCode")[c3], col(la, "ObsCode")[c3],
                                      col(la, "ObsValue", NA_real_)[c3], col(la, "UCUMUnit")[c3], cl)
  k3 <- c3[!is.na(s_del_302)]
  s_del_302 <- s_del_302[!is.na(s_del_302)]
  pid3 <- if ("UniqPregID" %in% names(la)) la$UniqPregID[k3] else {
    sub3 <- lapply(unclass(la)[intersect(c("LabourDeliveryID", "RecordNumber"), names(la))], `[`, k3)
    ld$UniqPregID[scoped_match(sub3, ld, "LabourDeliveryID")$index]
  }
  ev_p <- c(p202, match(pid3, cohort$preg_id))
  ev_d <- c(d202, as.integer(col(la, "ClinInterDateMother", NA_real_)[k3]))
  ev_s <- c(s_del_202, s_del_302)
  ok <- !is.na(ev_p) & !is.na(ev_s) & !is.na(ev_d)
  ev_p <- ev_p[ok]
  ev_d <- ev_d[ok]
  ev_s <- ev_s[ok]
  # labour records at the booking's provider, with their anchor dates
  lp <- match(ld$UniqPregID, cohort$preg_id)
  if ("OrgCodeProvider" %in% names(ld)) {
    lp[!(ld$OrgCodeProvider == cohort$provider_submitted[lp]) %in% TRUE] <- NA_integer_
  }
  onset <- as.integer(col(ld, "LabourOnsetDate", NA_real_))
  cs <- as.integer(col(ld, "CaesareanDate", NA_real_))
  lab <- which(!is.na(lp) & (!is.na(onset) | !is.na(cs)))
  # every record against every labour of its pregnancy
  o <- lab[order(lp[lab], method = "radix")]
  cnt <- tabulate(lp[o], n)[ev_p]
  first <- match(ev_p, lp[o])
  er <- rep.int(seq_along(ev_p), cnt)
  lr <- o[rep.int(first, cnt) + sequence(cnt) - 1L]
  dd <- ev_d[er]
  g_on <- dd - onset[lr]
  g_cs <- dd - cs[lr]
  same <- g_on %in% 0L | g_cs %in% 0L
  win <- abs(g_on) %in% 0:3 | abs(g_cs) %in% 0:3
  rank_d <- ifelse(same, c(1L, 2L, 5L)[ev_s[er]], ifelse(win, c(3L, 4L, 5L)[ev_s[er]], NA_integer_))
  delivery <- rank_status(rank_d, ev_p[er], n)
  list(booking = booking, delivery = delivery)
}

# Warns when the extract lacks the fields a status is derived from (every
# status would be unknown).
warn_smoking_fields <- function(msds, call = rlang::caller_env(2)) {
  has <- function(tab, f) any(f %in% names(msds[[tab]]))
  ev <- c("FindingCode", "ObsCode")
  miss <- c(
    if (!has("MSD202CareActivityPreg", c(ev, "CigarettesPerDay", "COMonReading")))
      "{.field MSD202CareActivityPreg} has none of {.field FindingCode}, {.field ObsCode}, {.field CigarettesPerDay}, {.field COMonReading}: smoking at booking is unknown for every pregnancy.",
    if (!has("MSD301LabourDelivery", c("LabourOnsetDate", "CaesareanDate")))
      "{.field MSD301LabourDelivery} has neither {.field LabourOnsetDate} nor {.field CaesareanDate}: smoking at delivery is unknown for every pregnancy.",
    if (!has("MSD202CareActivityPreg", ev) && !has("MSD302CareActivityLabDel", ev))
      "Neither {.field MSD202CareActivityPreg} nor {.field MSD302CareActivityLabDel} has {.field FindingCode} or {.field ObsCode}: smoking at delivery is unknown for every pregnancy.")
  if (length(miss)) {
    cli::cli_warn(c("The extract lacks the fields NHS Digital derives smoking status from.",
                    stats::setNames(miss, rep("!", length(miss)))),
                  class = "matequity_smoking_fields", call = call)
  }
  invisible()
}

# A record's status from its three conditions (NA treated as not met):
# smoker first, then non-smoker or ex-smoker, then unknown.
record_status <- function(smoker, non_smoker, unknown) {
  s <- rep(NA_integer_, length(smoker))
  s[unknown %in% TRUE] <- 3L
  s[non_smoker %in% TRUE] <- 2L
  s[smoker %in% TRUE] <- 1L
  s
}

# The delivery rule on raw observation fields (NHS Digital's delivery views).
delivery_record_status <- function(fc, oc, ov, unit, cl) {
  cig <- oc %in% cl$cigarettes
  ppm <- oc %in% cl$co & grepl("PPM", toupper(gsub(" ", "", unit, fixed = TRUE)), fixed = TRUE)
  record_status(fc %in% cl$smoker | cig & ov > 0 | ppm & ov >= 4,
                fc %in% cl$non_smoker | oc %in% cl$obs_non_smoker | cig & ov == 0 | ppm & ov < 4,
                fc %in% cl$unknown)
}

# Per pregnancy (1..n), the status of its best-ranked record: ranks 1 and 3
# smoker, 2 and 4 non-smoker or ex-smoker, 5 unknown (NA); NA without one.
rank_status <- function(rank, p, n) {
  ok <- !is.na(rank) & !is.na(p)
  best <- rep(NA_integer_, n)
  if (any(ok)) {
    o <- order(p[ok], rank[ok], method = "radix")
    pp <- p[ok][o]
    f <- !duplicated(pp)
    best[pp[f]] <- rank[ok][o][f]
  }
  c(1L, 2L, 1L, 2L, NA_integer_)[best]
}

# Status from the MSD101 fields of each cohort pregnancy's booking record.
smoking_msd101 <- function(cohort, msds, call = rlang::caller_env()) {
  bk <- msds$MSD101PregnancyBooking
  cur <- latest_rows(bk, c("Person_ID_Mother", "UniqPregID"))
  i <- cur[match_rows(list(cohort$mother_id, cohort$preg_id),
                      list(bk$Person_ID_Mother[cur], bk$UniqPregID[cur]))]
  status <- function(field) {
    v <- if (field %in% names(bk)) bk[[field]][i] else rep(NA_character_, length(i))
    v <- toupper(trimws(as.character(v)))
    out <- rep(NA_integer_, length(v))
    out[v %in% "1"] <- 1L
    out[v %in% c("2", "3", "4")] <- 2L
    bad <- !is.na(v) & !v %in% c("1", "2", "3", "4", "Z", "9")
    list(status = out, bad = if (any(bad)) count_values(paste(field, "outside the SMOKING STATUS code list"), v[bad]))
  }
  absent <- setdiff(c("SmokingStatusBooking", "SmokingStatusDelivery"), names(bk))
  if (length(absent)) {
    cli::cli_warn(c("{.field MSD101PregnancyBooking} has no {.field {absent}}: that status is unknown for every pregnancy.",
                    "i" = "The fields are empty since 2021; {.code definition = \"nhs\"} derives smoking from MSD202/MSD302 records."),
                  class = "matequity_smoking_fields", call = call)
  }
  b <- status("SmokingStatusBooking")
  d <- status("SmokingStatusDelivery")
  bad <- rbind(b$bad, d$bad)
  if (!is.null(bad)) {
    lines <- sprintf("%s: %s (%s)", bad$field, bad$value, released_count(bad$n))
    cli::cli_inform(c("i" = "Smoking status values outside the code list (1, 2, 3, 4, Z, 9) are unknown (see {.code attr(cohort, \"unknown_codes\")}):",
                      stats::setNames(utils::head(lines, 12), rep("*", min(12, length(lines)))), exact_note()),
                    class = "matequity_unknown_codes")
    attr(cohort, "unknown_codes") <- rbind(attr(cohort, "unknown_codes"), bad)
  }
  list(booking = b$status, delivery = d$status, unknown_codes = attr(cohort, "unknown_codes"))
}
