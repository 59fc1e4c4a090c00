#' Continuity-of-carer indices and the NHS continuity measures
#'
#' `continuity()` builds the table of who cared for each woman at each care
#' contact (MSD201 contacts, MSD202 care activities and MSD901 staff groups
#' for the antenatal and postnatal phases; MSD302 labour-care activities and
#' the professional at delivery, MSD401 `CareProfLIDDel`, for the intrapartum
#' phase) and computes, per pregnancy and phase, the continuity indices of
#' DOMAIN section 5 in the C++ engine, plus the NHS measures
#' `COC_receiving_ongoing` and 'known midwife at birth'.
#'
#' @section Indices: Over the counted contacts of a pregnancy (N contacts, M
#'   distinct carers, \eqn{n_i} contacts with carer i, \eqn{c_j = 1} when
#'   contacts j and j+1 share a carer):
#'   UPC = \eqn{\max n_i / N}; Bice-Boxerman COC =
#'   \eqn{(\sum n_i^2 - N) / (N(N-1))}; HHI = \eqn{\sum (n_i/N)^2};
#'   SECON = \eqn{\sum c_j / (N-1)}; MMCI =
#'   \eqn{(1 - M/(N+0.1)) / (1 - 1/(N+0.1))}; named-midwife (team) share =
#'   contacts with any activity by the named midwife (team) / N.
#'
#' @section Edge rules (defaults in brackets):
#' * Phases: an MSD201 contact dated before the baby's birth
#'   (`PersonBirthDateBaby`, the earliest baby of the pregnancy) is antenatal,
#'   on or after it postnatal; with no birth record every contact is
#'   antenatal. Intrapartum "contacts" are the labour-care activities (one
#'   per MSD302 row, in record order) followed by each baby's delivery, dated
#'   at the birth. `"all"` is every phase in one sequence ordered by date,
#'   then phase.
#' * Order: by date, phase, time (`CContactTime` as `HH:MM[:SS]`; missing
#'   times last within the day), then contact id (`CareConID` in C-locale
#'   order).
#' * A contact with several activities is counted once, for the carer of
#'   its first activity with a carer (record order); the named-carer shares
#'   count it if ANY activity matches.
#' * Missing carer \[`"drop"`\]: contacts with no carer are not counted;
#'   under `"break"` they are not counted either, but the contacts either
#'   side of one are not sequential for SECON.
#' * `collapse_same_day` \[`FALSE`\]: a contact on the same day as an earlier
#'   contact with the same carer is merged into it.
#' * Too few contacts: indices are `NA` below `min_contacts`
#'   \[2 for COC and SECON, 1 otherwise\]; `n_contacts` is always reported.
#' * `midwifery_only` \[`TRUE`\]: activities by professionals whose MSD901
#'   `StaffGroup` is known and not in `staff_groups` are dropped, and contacts
#'   left with no activity are excluded. Professionals missing from MSD901
#'   are kept (counted in the exclusion log). The midwifery staff groups
#'   \[`"05"`, `"06"`, `"07"`\] are those NHS Digital's `COC_receiving_ongoing`
#'   code counts.
#'
#' @section NHS measures:
#' `coc_receiving` (COC_receiving_ongoing), `definition = "nhs"` (default),
#' as NHS Digital's Maternity Services Monthly Statistics code computes it
#' (the published `COC_receiving_ongoing` notebook, read for this package;
#' REAL_MSDS.md, "Definitions"): `NA` when `coc_placed` is `NA` (outside the
#' `COC_by_28weeks` denominator, which this measure shares, four months
#' later); `FALSE` when not placed, and when placed but not (yet)
#' discharged; otherwise `TRUE` when
#' * the contacts are the MSD201 contacts with `AttendCode` 5 or 6 dated
#'   from the date of the plan that placed the woman (`coc_placed_date`) to
#'   the latest non-null `DischargeDateMatService` of the pregnancy over
#'   every MSD101 submission [as_msds()] read (a resubmission that blanks or
#'   moves the date back does not undo it; on or after the plan's date),
#'   inclusive, with at least one MSD202 activity by a
#'   professional whom MSD901 lists with a `StaffGroup` in `staff_groups`
#'   (looked up on `CareProfLID` alone, as the code joins; activities with
#'   no professional, or one not in MSD901, are not counted); a contact is a
#'   distinct (`CareConID`, `CContactDate`);
#' * at least 70% of them have such an activity whose `CareProfLID` is the
#'   named midwife or whose `TeamLocalID` is the named team (ids compared as
#'   recorded, at any provider); and
#' * if the pregnancy has a labour record (MSD301), an MSD302 row of the
#'   pregnancy (by any professional) has the named midwife or team.
#'
#' The window is computed from the MSDS tables directly, not from the
#' contact table the indices use (so contacts before booking count if they
#' are in it). `coc_contacts` and `coc_share` are the window's contacts and
#' the share involving the named midwife or team (`NA` without a window: not
#' placed, or not discharged). This measure ignores `attended_only`,
#' `midwifery_only` and `carer`: its definition fixes them. NHS Digital
#' computes it "as at" a month four months after `coc_month` from the
#' submissions made by then; here it is computed from the latest submission
#' of each record.
#'
#' `definition = "research"`: matequity's earlier rule, kept as an option.
#' The window runs from `coc_placed_date` to the cohort's `discharge_date`
#' over the contacts the indices use (before the `attended_only` and
#' `midwifery_only` options); a contact counts when attended and one of its
#' activities is by a midwifery professional (MSD901 looked up with the
#' provider; professionals not in MSD901 are not midwives), and involves the
#' named midwife or team when any of its activities (by anyone) matches at
#' the plan's provider; the labour condition likewise; placed but not yet
#' discharged gives `NA` (not yet known) instead of `FALSE`.
#'
#' `known_midwife_at_birth`: `TRUE` when the professional at delivery or a
#' labour-care professional is the named midwife, or belongs to the named
#' team (a labour activity recorded with that team, or the professional
#' recorded with that team in any MSD102, MSD202 or MSD302 row); `NA` without
#' a labour or birth record or without a named midwife and team.
#'
#' @section Bad input: contacts of pregnancies not in MSD101, duplicate
#'   contact ids at the same `RecordNumber`, contacts with no date, dated
#'   before booking or after discharge are excluded, counted and reported in
#'   one warning (class `matequity_continuity_input`). Contacts of
#'   pregnancies that are in MSD101 but not in `data` (excluded from it)
#'   are left out with a message. Every exclusion is listed in
#'   `attr(x, "exclusions")` (`kind` says which).
#'
#' @param msds An `msds` object ([as_msds()]).
#' @param data A cohort (one row per pregnancy, column `preg_id`), usually
#'   from [define_cohort()] with [add_care_model()]; the columns
#'   `booking_date`, `discharge_date`, `named_midwife`, `named_team`,
#'   `named_provider`, `coc_placed` and `coc_placed_date` are used when
#'   present (booking and discharge otherwise come from MSD101). `NULL` uses every pregnancy in MSD101, without named
#'   carers.
#' @param carer Level at which carers are compared: `"professional"`
#'   (`CareProfLID`) or `"team"` (`TeamLocalID`).
#' @param phase One or more of `"antenatal"`, `"intrapartum"`, `"postnatal"`
#'   and `"all"` \[`"antenatal"`\].
#' @param min_contacts Minimum contacts for an index: a named integer vector
#'   with any of `upc`, `coc`, `hhi`, `secon`, `mmci`, `share`, or one number
#'   for all (COC and SECON always need 2).
#' @param missing_carer `"drop"` or `"break"`, see Edge rules.
#' @param attended_only Count only attended contacts (AttendCode 5 or 6).
#' @param midwifery_only Leave out activities by non-midwifery staff.
#' @param staff_groups MSD901 `StaffGroup` codes of midwives.
#' @param collapse_same_day Merge same-day repeat contacts with one carer.
#' @param definition `"nhs"` or `"research"`: how `coc_receiving` is
#'   computed (see NHS measures). `NULL` (default) takes the cohort's
#'   `attr(cohort, "care_model")$definition` (set by [add_care_model()]),
#'   else `"nhs"`.
#' @param nthreads Threads for the engine; results do not depend on it.
#' @param cohort Deprecated: use `data`. The old order
#'   `continuity(msds, cohort)` (an `msds` object first) still works, with a
#'   deprecation warning.
#' @returns A tibble (class `mq_continuity`), one row per pregnancy and
#'   phase, in cohort order: `preg_id`, `phase`, `n_contacts`, `n_carers`,
#'   `usual_carer` (the carer with most contacts, first seen among ties),
#'   `upc`, `coc`, `hhi`, `secon`, `mmci`, `named_midwife_share`,
#'   `named_team_share` (`NA` without a named midwife / team),
#'   `coc_contacts` and `coc_share` (contacts in the NHS measure's window and
#'   the share involving the named midwife or team; `NA` without a window),
#'   `coc_receiving`,
#'   `known_midwife_at_birth`, and `reason` (why every index of the row is
#'   missing: `"MSDS v1.5 record only: no contact tables before v2"` for a
#'   pregnancy whose only record is MSDS v1.5, see [as_msds()]; `NA`
#'   otherwise). Attributes `exclusions` (tibble `step`,
#'   `reason`, `n_rows`, `kind`) and `settings` (the arguments, with the
#'   `definition` of `coc_receiving`).
#' @examples
#' tabs <- matequity:::continuity_demo_data(50)
#' x <- continuity(tabs$cohort, tabs$msds, phase = c("antenatal", "all"))
#' x
#' attr(x, "exclusions")
#' @export
continuity <- function(data = NULL, msds, carer = c("professional", "team"),
                       phase = c("antenatal", "intrapartum", "postnatal", "all"),
                       min_contacts = c(upc = 1, coc = 2, hhi = 1, secon = 2, mmci = 1, share = 1),
                       missing_carer = c("drop", "break"), attended_only = TRUE,
                       midwifery_only = TRUE, staff_groups = c("05", "06", "07"),
                       collapse_same_day = FALSE, definition = NULL,
                       nthreads = matequity_threads(), cohort = NULL) {
  if (inherits(data, "msds_db") || (!missing(msds) && inherits(msds, "msds_db"))) return(db_continuity(environment(), match.call(), parent.frame()))
  # the old order continuity(msds, cohort): an msds object first
  if (inherits(data, "msds") && (missing(msds) || !inherits(msds, "msds"))) {
    deprecated_order("continuity", "msds")
    old_cohort <- if (missing(msds)) NULL else msds
    msds <- data
    data <- old_cohort
  }
  if (deprecated_arg(cohort, is.null(data), "cohort", "data", "continuity")) data <- cohort
  check_msds(msds)
  definition <- receiving_definition(definition, data)
  carer <- rlang::arg_match(carer)
  phase <- if (missing(phase)) "antenatal" else rlang::arg_match(phase, multiple = TRUE)
  missing_carer <- rlang::arg_match(missing_carer)
  check_flag(attended_only)
  check_flag(midwifery_only)
  check_flag(collapse_same_day)
  if (!is.character(staff_groups) || !length(staff_groups) || anyNA(staff_groups)) {
    cli::cli_abort(c("{.arg staff_groups} must be a character vector of MSD901 {.field StaffGroup} codes.",
                     "x" = "It is {.obj_type_friendly {staff_groups}}."))
  }
  mins <- resolve_min_contacts(min_contacts)
  nthreads <- resolve_threads(nthreads)

  pr <- continuity_pregnancies(msds, data)
  preg <- pr$preg
  birth <- birth_dates(msds, preg$preg_id)
  links <- activity_links(msds)
  pc <- pregnancy_contacts(msds, preg, birth, staff_groups, links, nthreads)
  ip <- intrapartum_contacts(msds, preg, birth, staff_groups, base = pc$n_contacts, links = links,
                             levels = pc$levels)
  log <- c(pc$log, ip$log)

  # the intrapartum rows used (those with a date), coded (professional,
  # team, provider) on the levels of the other rows extended by theirs (lv)
  with_ip <- any(c("intrapartum", "all") %in% phase)
  ii <- if (with_ip) which(!is.na(ip$act$date)) else integer()
  lv <- if (with_ip) Map(function(l, k) l[seq_len(k)], ip$levels, ip$dated_levels[names(ip$levels)]) else pc$levels
  n_ii <- length(ii)
  ia <- c(lapply(unclass(ip$act)[c("preg", "date")], `[`, ii),
          list(time = rep(NA_integer_, n_ii), code = ip$act$contact[ii],
               prof = ip$act$prof[ii], team = ip$act$team[ii],
               phase = rep(phase_codes[["intrapartum"]], n_ii),
               staff = ip$act$staff[ii], prov = ip$act$prov[ii]))
  ia <- lapply(ia, as.integer)
  # the rows are assembled and the indices computed in one engine call: the
  # options drop unattended contacts and non-midwifery activities, a carer
  # id is local to its provider (the same id at two trusts is two people),
  # and the named midwife and team count only at the plan's provider
  np <- preg$named_provider
  res <- .cpp_continuity_rows(
    pc$a, ia, pc$pairs,
    list(mw = match(preg$named_midwife, lv$prof), team = match(preg$named_team, lv$team),
         prov = match(np, lv$prov), prov_given = as.integer(!is.na(np))),
    attended_only, midwifery_only, carer == "team", staff_codes[["other"]],
    staff_codes[["unknown"]], pc$n_contacts + nrow(ip$act),
    unname(phase_codes[phase]), unname(mins), missing_carer == "break",
    collapse_same_day, nthreads)
  if (attended_only) {
    log[[length(log) + 1L]] <- excl_row("contacts", "not attended (AttendCode not 5 or 6)", res$not_attended)
  }
  if (midwifery_only) {
    log[[length(log) + 1L]] <- excl_row("activities", "activity by non-midwifery staff (StaffGroup not in staff_groups)", res$other_rows)
    log[[length(log) + 1L]] <- excl_row("contacts", "contact with no midwifery activity", res$no_midwifery)
  }
  log[[length(log) + 1L]] <- excl_row("activities", "professional not in MSD901 (staff group unknown; kept)",
                                      res$unknown_staff)
  log[[length(log) + 1L]] <- excl_row("contacts", sprintf("contact with no %s recorded (%s)", carer,
                                      if (missing_carer == "drop") "not counted" else "not counted; breaks SECON"), res$no_carer)
  # each carer's id
  who_levels <- if (carer == "professional") lv$prof else lv$team
  res$usual_carer <- who_levels[res$carer_who[res$usual_carer]]
  K <- length(phase)
  g <- rep(seq_len(nrow(preg)), each = K)
  no_mw <- is.na(preg$named_midwife)[g]
  no_team <- is.na(preg$named_team)[g]
  res$named_midwife_share[no_mw] <- NA_real_
  res$named_team_share[no_team] <- NA_real_

  act <- if (definition == "research") activity_frame(pc)
  nhs <- nhs_continuity_measures(msds, act, ip, preg, pr, staff_groups, definition, nthreads, links, lv,
                                 cc_preg = pc$cc_preg)
  out <- tibble::tibble(
    preg_id = preg$preg_id[g], phase = rep(phase, times = nrow(preg)),
    n_contacts = res$n_contacts, n_carers = res$n_carers,
    usual_carer = res$usual_carer, upc = res$upc, coc = res$coc,
    hhi = res$hhi, secon = res$secon, mmci = res$mmci,
    named_midwife_share = res$named_midwife_share,
    named_team_share = res$named_team_share,
    coc_contacts = nhs$coc_contacts[g], coc_share = nhs$coc_share[g],
    coc_receiving = nhs$coc_receiving[g],
    known_midwife_at_birth = nhs$known_midwife_at_birth[g],
    reason = NA_character_
  )
  # a pregnancy known only from MSDS v1.5 has no contact tables: its indices
  # are missing, with the reason, never 0
  v15 <- (preg$version %in% "v1.5")[g]
  if (any(v15)) {
    idx <- setdiff(names(out), c("preg_id", "phase", "reason"))
    for (nm in idx) out[[nm]][v15] <- NA
    out$reason[v15] <- "MSDS v1.5 record only: no contact tables before v2"
  }
  log <- do.call(rbind, log)
  report_continuity_input(log, pr)
  settings <- list(carer = carer, phase = phase, min_contacts = mins,
                   missing_carer = missing_carer, attended_only = attended_only,
                   midwifery_only = midwifery_only, staff_groups = staff_groups,
                   collapse_same_day = collapse_same_day, definition = definition)
  tibble::new_tibble(out, nrow = nrow(out), class = "mq_continuity",
                     exclusions = log, settings = settings)
}

# The definition of COC_receiving_ongoing: as given, else the cohort's
# care-model definition, else "nhs".
receiving_definition <- function(definition, cohort, call = rlang::caller_env()) {
  if (is.null(definition)) {
    definition <- attr(cohort, "care_model")$definition %||% "nhs"
  }
  rlang::arg_match(definition, c("nhs", "research"), error_call = call)
}

resolve_min_contacts <- function(x, call = rlang::caller_env()) {
  def <- c(upc = 1L, coc = 2L, hhi = 1L, secon = 2L, mmci = 1L, share = 1L)
  ok <- is.numeric(x) && length(x) >= 1L && !anyNA(x) && all(x >= 0) && all(x == round(x))
  if (ok && length(x) == 1L && is.null(names(x))) {
    out <- stats::setNames(rep(as.integer(x), 6L), names(def))
    out[c("coc", "secon")] <- pmax(out[c("coc", "secon")], 2L)
    return(out)
  }
  if (!ok || is.null(names(x)) || !all(names(x) %in% names(def))) {
    bad <- if (is.null(names(x))) character() else setdiff(names(x), names(def))
    cli::cli_abort(c("{.arg min_contacts} must be one whole number or a named vector of whole numbers.",
                     "i" = "Names allowed: {.val {names(def)}}.",
                     if (length(bad)) c("x" = "Unknown name{?s}: {.val {bad}}.")),
                   call = call)
  }
  def[names(x)] <- as.integer(x)
  def
}

# Calls the kernel on the activity rows. `carer` holds the carers as dense
# codes (list(code, first): code 1..k or NA); rows$prof, rows$team and
# rows$prov are codes on `lv`; rows$preg indexes `preg`.
continuity_engine <- function(rows, carer, lv, preg, phase, mins, missing_carer,
                              collapse_same_day, nthreads) {
  carer_code <- carer$code - 1L
  carer_code[is.na(carer_code)] <- -1L
  # named midwife and team at the plan's provider, on the codes
  np <- preg$named_provider
  use_prov <- !is.null(np) && !is.null(rows$prov)
  P <- nrow(preg)
  named <- .cpp_named_flags(
    as.integer(rows$prof), as.integer(rows$team),
    if (use_prov) as.integer(rows$prov) else rep(NA_integer_, length(rows$preg)),
    as.integer(rows$preg), match(preg$named_midwife, lv$prof), match(preg$named_team, lv$team),
    if (use_prov) match(np, lv$prov) else rep(NA_integer_, P),
    if (use_prov) as.integer(!is.na(np)) else integer(P))
  time <- rows$time
  time[is.na(time)] <- .Machine$integer.max
  .cpp_continuity(
    as.integer(rows$preg - 1L), as.integer(rows$date), as.integer(time),
    as.integer(rows$contact), as.integer(carer_code), as.integer(rows$phase),
    named$mw, named$tm, nrow(preg), length(carer$first),
    unname(phase_codes[phase]), unname(mins), missing_carer == "break",
    collapse_same_day, nthreads)
}

# TRUE unless both providers are known and differ (a named midwife's id
# matches a carer only at the provider that recorded the care plan).
same_provider <- function(a, b) {
  if (is.null(a) || is.null(b)) return(rep(TRUE, max(length(a), length(b))))
  is.na(a) | is.na(b) | a == b
}

report_continuity_input <- function(log, pr) {
  bad <- log[log$kind == "bad input" & log$n_rows > 0, , drop = FALSE]
  if (nrow(bad)) {
    lines <- sprintf("%s: %s row%s", bad$reason, released_count(bad$n_rows), ifelse(vapply(bad$n_rows, released_qty, 0) == 1, "", "s"))
    cli::cli_warn(c("Some care-contact records do not fit the cohort; they were excluded and counted:",
                    stats::setNames(lines, rep("!", length(lines))),
                    "i" = "See {.code attr(x, \"exclusions\")}.", exact_note()),
                  class = "matequity_continuity_input")
  }
  out <- log[log$kind == "outside cohort" & log$n_rows > 0, , drop = FALSE]
  if (nrow(out)) {
    cli::cli_inform(c("i" = "{released_count(sum(out$n_rows))} care contact{cli::qty(released_qty(sum(out$n_rows)))}{?s} of pregnancies not in {.arg data} {?was/were} left out (see {.code attr(x, \"exclusions\")}).", exact_note()),
                    class = "matequity_continuity_outside_cohort")
  }
  if (isTRUE(pr$no_placed_date)) {
    cli::cli_inform(c("i" = "{.arg data} has {.field coc_placed} but no {.field coc_placed_date}: {.field coc_receiving} is {.code NA}.",
                      " " = "The measure's window starts at the date of the plan that placed the woman; {.fn add_care_model} adds it."),
                    class = "matequity_continuity_no_placed_date")
  }
  if (!pr$has_care_model) {
    cli::cli_inform(c("i" = "No named midwife or team in {.arg data}: named-carer shares and the NHS measures are {.code NA}.",
                      " " = "Add them with {.fn add_care_model}."),
                    class = "matequity_continuity_no_care_model")
  }
}
