# The flags behind add_outcomes() and birth_outcomes(): every baby-level
# outcome for every baby of a cohort pregnancy under every definition the
# settings choose, and the maternity-level outcomes from the first baby and
# the labour activities. Definitions and sources: outcome_definitions.R.

# Baby-level outcomes for every baby of a cohort pregnancy.
baby_outcomes <- function(cohort, msds, s) {
  call <- s$call
  babies <- latest_babies(msds, c("Person_ID_Baby", "LabourDeliveryID", "UniqPregID",
                                  "OrgCodeProvider", "PersonBirthDateBaby", "PregOutcome",
                                  "PersonPhenSex", "GestationLengthBirth",
                                  "DeliveryMethodCode", "PersonDeathDateBaby",
                                  "BabyFirstFeedIndCode"))
  ip <- match(babies$UniqPregID, cohort$preg_id)
  babies <- rows(babies, !is.na(ip))
  ip <- ip[!is.na(ip)]
  n <- nrow(cohort)
  nb <- length(ip)
  def <- s$definitions
  want <- function(o, d = NULL) o %in% s$outcomes && (is.null(d) || def[[o]] %in% d)
  registrable_codes <- c(s$live_codes, s$stillbirth_codes)
  first <- first_baby_index(babies, cohort$preg_id, registrable_codes)
  # order of each baby within its pregnancy, as first_baby_index() orders them
  o <- order(ip, !babies$PregOutcome %in% registrable_codes, babies$PersonBirthDateBaby,
             babies$Person_ID_Baby, method = "radix")
  order_in_preg <- integer(nb)
  order_in_preg[o] <- sequence(tabulate(ip, n)[unique(ip[o])])
  act <- msds$MSD405CareActivityBaby
  ib <- match(act$Person_ID_Baby, babies$Person_ID_Baby)
  weight <- latest_value(act$BirthWeight, ib, act$RecordNumber, nb)
  apgar <- latest_value(act$ApgarScore, ib, act$RecordNumber, nb)
  gest <- babies$GestationLengthBirth
  po <- babies$PregOutcome
  live <- po %in% s$live_codes
  registrable <- po %in% registrable_codes
  # from 24+0 weeks (168 days), or 400 g where gestation is missing
  # (MBRRACE-UK); with neither, counted as a registered birth
  neither <- is.na(gest) & is.na(weight)
  ge24 <- ifelse(is.na(gest), is.na(weight) | weight >= 400, gest >= 168)
  still <- po %in% s$stillbirth_codes & ge24
  total <- live | still
  top <- termination_flags(cohort, msds, s, ip)
  lab <- msds$MSD301LabourDelivery
  lab <- rows(lab, latest_rows(lab, c("UniqPregID", "LabourDeliveryID")))
  # LabourDeliveryID is local to a provider: joined with UniqPregID
  bpl <- lab$BirthsPerLabandDel[match_rows(list(babies$UniqPregID, babies$LabourDeliveryID),
                                           list(lab$UniqPregID, lab$LabourDeliveryID))]
  n_babies <- tabulate(ip, n)
  single_recorded <- bpl %in% 1L
  singleton <- bpl == 1L
  singleton[is.na(bpl)] <- (n_babies[ip] == 1L)[is.na(bpl)]
  singleton <- known_true(singleton)
  term <- !is.na(gest) & gest >= 259 & gest <= 315
  nd <- neonatal_death_flags(babies, live, msds,
                             report = want("neonatal_death") || want("perinatal_death"))
  nnd <- nd$nnd
  feed <- babies$BabyFirstFeedIndCode
  feed_recorded <- feed %in% code_list("first_feed_recorded")
  y <- list(
    preterm = gest <= 258, low_birth_weight = weight < 2500,
    term_low_birth_weight = weight < 2500, low_apgar = apgar <= 6,
    breastmilk_first_feed = feed %in% s$breastmilk_codes)
  e <- list(
    low_birth_weight = live & !is.na(weight),
    term_low_birth_weight = live & term & !is.na(weight))
  # mortality: MBRRACE-UK (births from 24+0 weeks, terminations excluded) or
  # registration-style (terminations in, live births at any gestation)
  mort <- list(
    mbrrace = list(still = still & !top, live = live & ge24 & !top,
                   total = total & ge24 & !top),
    ons = list(still = still, live = live, total = total))
  for (o in c("stillbirth", "neonatal_death", "perinatal_death")) {
    p <- mort[[def[[o]]]]
    nnd_o <- p$live & nnd
    y[[o]] <- switch(o, stillbirth = p$still, neonatal_death = nnd_o,
                     perinatal_death = p$still | nnd_o)
    e[[o]] <- switch(o, stillbirth = p$total, neonatal_death = p$live,
                     perinatal_death = p$total)
    # age at death unknown (dates held to the month only): not decidable
    unk <- nd$unknown & p$live
    if (o == "neonatal_death") e[[o]][unk] <- NA
    if (o == "perinatal_death") e[[o]][unk & !p$still] <- NA
  }
  e$preterm <- live & (if (def[["preterm"]] == "cqim") single_recorded else singleton) &
    !is.na(gest) & gest >= 154 & gest <= 315
  e$low_apgar <- if (def[["low_apgar"]] == "cqim") {
    registrable & term & single_recorded & !is.na(apgar) & apgar >= 0 & apgar <= 10
  } else {
    live & term & singleton & !is.na(apgar)
  }
  e$breastmilk_first_feed <- feed_recorded & (def[["breastmilk_first_feed"]] == "cqim" | live)
  nnu <- nnu_flags(babies, msds, live, def[["nnu_admission"]], want("nnu_admission"))
  y$nnu_admission <- nnu$y
  e$nnu_admission <- nnu$e
  sga <- if (want("sga")) sga_flags(babies, weight, live, s$sga_centiles, call = call) else
    list(y = rep(NA, nb), e = rep(NA, nb))
  y$sga <- sga$y
  e$sga <- sga$e
  mort_wanted <- intersect(c("stillbirth", "neonatal_death", "perinatal_death"), s$outcomes)
  if (length(mort_wanted) || any(c("caesarean", "pph_1500", "tear_3_4") %in% s$outcomes)) {
    report_not_births(po, live, still, s$stillbirth_codes)
  }
  mb <- mort_wanted[def[mort_wanted] == "mbrrace"]
  if (length(mb)) report_mbrrace_births(live, still, ge24, neither, registrable, top, total)
  list(babies = babies, ip = ip, first = first, order_in_preg = order_in_preg, y = y, e = e,
       weight = weight, singleton = singleton, single_recorded = single_recorded,
       term = term, total = total, registrable = registrable,
       termination_field = attr(top, "field"))
}

# Babies of pregnancies ended by a termination: MSD101 DischReason in
# termination_codes (the booking record of the cohort pregnancy).
termination_flags <- function(cohort, msds, s, ip) {
  bk <- msds$MSD101PregnancyBooking
  mbr <- intersect(c("stillbirth", "neonatal_death", "perinatal_death"), s$outcomes)
  mbr <- mbr[s$definitions[mbr] == "mbrrace"]
  if (!"DischReason" %in% names(bk)) {
    if (length(mbr)) {
      cli::cli_inform(c("!" = "Terminations of pregnancy cannot be excluded from {.field {mbr}}: table {.field MSD101PregnancyBooking} has no field {.field DischReason}.",
                        " " = "MBRRACE-UK excludes them; the rates include any terminations in the extract."),
                      class = "matequity_no_termination_field")
    }
    return(structure(rep(FALSE, length(ip)), field = NA_character_))
  }
  i <- match_rows(list(cohort$mother_id, cohort$preg_id),
                  list(bk$Person_ID_Mother, bk$UniqPregID))
  top_preg <- bk$DischReason[i] %in% s$termination_codes
  structure(top_preg[ip], field = "MSD101PregnancyBooking.DischReason")
}

# Neonatal unit admission: NeoCritCareInd 'Y' on an MSD402 record of the
# baby ("neocritcare"), or any MSD402 record ("any_record").
nnu_flags <- function(babies, msds, live, definition, wanted) {
  nb <- length(live)
  tab <- msds$MSD402NeonatalAdmission
  if (definition == "any_record") {
    return(list(y = babies$Person_ID_Baby %in% tab$Person_ID_Baby, e = live))
  }
  if (is.null(tab) || !"NeoCritCareInd" %in% names(tab)) {
    if (wanted) {
      where <- if (is.null(tab)) "there is no table {.field MSD402NeonatalAdmission}" else
        "table {.field MSD402NeonatalAdmission} has no field {.field NeoCritCareInd}"
      cli::cli_inform(c("!" = paste0("{.field nnu_admission} is {.code NA}: ", where, "."),
                        " " = "NHS Digital counts admissions to neonatal critical care by {.code NeoCritCareInd = 'Y'}; {.code definitions = c(nnu_admission = \"any_record\")} counts any MSD402 record."),
                      class = "matequity_no_neocritcare")
    }
    return(list(y = rep(NA, nb), e = rep(NA, nb)))
  }
  admitted <- tab$Person_ID_Baby[tab$NeoCritCareInd %in% "Y"]
  list(y = babies$Person_ID_Baby %in% admitted, e = live)
}

sga_flags <- function(babies, weight, live, centiles, call) {
  nb <- length(live)
  if (is.null(centiles)) {
    cli::cli_inform(c("i" = "{.field sga} is {.code NA}: no {.arg sga_centiles} table was given.",
                      " " = "Supply the 10th centile of birth weight by sex and gestation from the chart you use (e.g. INTERGROWTH-21st)."),
                    class = "matequity_no_sga_chart")
    return(list(y = rep(NA, nb), e = rep(NA, nb)))
  }
  check_data_frame(centiles, arg = "sga_centiles", call = call)
  wk <- "gestation_weeks" %in% names(centiles)
  gcol <- if ("gestation_days" %in% names(centiles)) "gestation_days" else if (wk) "gestation_weeks" else NULL
  if (is.null(gcol) || !"p10" %in% names(centiles)) {
    cli::cli_abort(c("{.arg sga_centiles} needs a gestation column and a {.field p10} column.",
                     "x" = "Columns: {.field {names(centiles)}}.",
                     "i" = "Use {.field gestation_days} or {.field gestation_weeks}, {.field p10} (grams), optionally {.field sex}."),
                   call = call)
  }
  g <- babies$GestationLengthBirth
  if (gcol == "gestation_weeks") g <- g %/% 7L
  has_sex <- "sex" %in% names(centiles)
  sex_map <- c(`1` = "1", `2` = "2", male = "1", female = "2", m = "1", f = "2", M = "1", F = "2")
  key_tab <- if (has_sex) paste(sex_map[as.character(centiles$sex)], centiles[[gcol]]) else as.character(centiles[[gcol]])
  if (anyDuplicated(key_tab)) {
    cli::cli_abort("{.arg sga_centiles} has more than one row per sex and gestation.", call = call)
  }
  key <- if (has_sex) paste(babies$PersonPhenSex, g) else as.character(g)
  p10 <- as.numeric(centiles$p10)[match(key, key_tab)]
  e <- live & !is.na(weight) & !is.na(p10)
  out <- live & !is.na(weight) & !is.na(g) & is.na(p10)
  if (any(out)) {
    cli::cli_inform(c("!" = "{released_count(sum(out))} live birth{cli::qty(released_qty(sum(out)))}{?s} with weight and gestation not covered by {.arg sga_centiles} (not eligible for {.field sga}).",
                      " " = if (resolve_disclosure(NULL)$preset == "none") "Examples (sex gestation): {example_values(key[out])}.", exact_note()),
                    class = "matequity_sga_uncovered")
  }
  list(y = weight < p10, e = e)
}

# Maternity-level outcomes from the first baby, its labour, and the labour
# activities of the pregnancy.
maternity_outcomes <- function(b, cohort, msds, s) {
  n <- nrow(cohort)
  first <- b$first
  has <- !is.na(first)
  def <- s$definitions
  # a maternity: first baby a live birth or a stillbirth from 24+0 weeks
  maternity <- has & known_true(b$total[first])
  dm <- b$babies$DeliveryMethodCode[first]
  act <- msds$MSD302CareActivityLabDel
  # labour activities to their pregnancy, and to the first baby's labour, on
  # UniqPregID + LabourDeliveryID (LabourDeliveryID is local to a provider)
  act_preg <- if ("UniqPregID" %in% names(act)) act$UniqPregID else {
    ld <- msds$MSD301LabourDelivery
    ld$UniqPregID[scoped_match(act, ld, "LabourDeliveryID")$index]
  }
  in_preg <- match(act_preg, cohort$preg_id)
  in_lab <- match_rows(list(act_preg, act$LabourDeliveryID),
                       list(b$babies$UniqPregID[first], b$babies$LabourDeliveryID[first]))
  rows_of <- function(d) if (d == "cqim") in_preg else in_lab
  any_of <- function(idx, hit) group_any(idx, hit, n)
  vaginal <- dm %in% code_list("vaginal_birth")
  mk <- function(y, e) {
    y <- known_true(y)
    e <- known_true(e)
    y[!e] <- NA
    list(y = y, e = e)
  }
  out <- list()
  if (any(c("caesarean", "caesarean_elective", "caesarean_emergency") %in% s$outcomes)) {
    dm_known <- maternity & dm %in% msds_codes$delivery_method
    out$caesarean <- mk(dm %in% c("7", "8"), dm_known)
    out$caesarean_elective <- mk(dm %in% "7", dm_known)
    out$caesarean_emergency <- mk(dm %in% "8", dm_known)
  }
  if ("tear_3_4" %in% s$outcomes) {
    tear_e <- if (def[["tear_3_4"]] == "cqim") {
      b$registrable[first] & b$single_recorded[first] & b$term[first] & vaginal
    } else {
      maternity & b$singleton[first] & b$term[first] & vaginal
    }
    lesion <- act[["GenitalTractTraumaticLesion"]] %in% s$tear_codes
    out$tear_3_4 <- mk(any_of(rows_of(def[["tear_3_4"]]), lesion), tear_e)
  }
  pph_field <- NA_character_
  if ("pph_1500" %in% s$outcomes) {
    pph <- pph_observations(act, s, rows_of(def[["pph_1500"]]))
    pph_field <- pph$field
    pph_e <- if (def[["pph_1500"]] == "cqim") {
      group_any(b$ip, b$registrable, n)
    } else {
      maternity
    }
    out$pph_1500 <- mk(any_of(rows_of(def[["pph_1500"]]), pph$hit), pph_e)
  }
  out$pph_code_field <- pph_field
  out
}

# Blood-loss observations at or over the threshold: the mapped SNOMED code
# (MasterSnomedCTObsCode, else ObsCode) in the code list, trunc(ObsValue)
# (NHS Digital's INT()) against the threshold, the unit used as pph_units
# says. `target` maps the rows to cohort pregnancies (NA: not in the
# cohort); only those rows are reported on.
pph_observations <- function(act, s, target) {
  field <- if ("MasterSnomedCTObsCode" %in% names(act)) "MasterSnomedCTObsCode" else "ObsCode"
  code <- act[[field]]
  value <- act[["ObsValue"]]
  nr <- n_rows(act)
  if (is.null(code) || is.null(value)) {
    return(list(hit = rep(FALSE, nr), field = paste0("MSD302CareActivityLabDel.", field)))
  }
  # only the rows with a listed blood-loss code, a value and a labour to
  # count towards are read further
  li <- which(code %in% s$pph_obs_codes & !is.na(value) & !is.na(target))
  v <- value[li]
  has_unit <- "UCUMUnit" %in% names(act)
  raw_unit <- if (has_unit) act$UCUMUnit[li] else rep(NA_character_, length(li))
  unit <- tolower(trimws(raw_unit))
  unit[unit %in% ""] <- NA_character_
  ml <- unit %in% "ml"
  litre <- unit %in% "l"
  over <- function(v) !is.na(v) & trunc(v) >= s$pph_threshold
  if (s$pph_units == "ml_only" && !has_unit) {
    cli::cli_abort(c("{.code pph_units = \"ml_only\"} needs the unit of each observation.",
                     "x" = "Table {.field MSD302CareActivityLabDel} has no field {.field UCUMUnit}."),
                   call = s$call)
  }
  hit <- logical(nr)
  hit[li] <- switch(s$pph_units,
    ignore = over(v),
    ml_only = ml & over(v),
    convert = over(ifelse(litre, v * 1000, v)) & (ml | litre | is.na(unit)))
  other <- !ml & !is.na(unit)
  if (s$pph_units == "ignore" && any(other)) {
    tab <- table(raw_unit[other])
    conv <- sum(other & litre & over(v * 1000))
    cli::cli_inform(c("!" = "{released_count(sum(other))} blood-loss observation{cli::qty(released_qty(sum(other)))}{?s} of cohort labours in a unit other than ml ({paste(names(tab), released_count(as.integer(tab)), sep = ': ', collapse = ', ')}), compared as submitted, as NHS Digital's CQIMPPH does.",
                      " " = "{released_count(conv)} of them reach {s$pph_threshold} ml in litres; {.code pph_units = \"convert\"} counts them.", exact_note()),
                    class = "matequity_pph_units")
  }
  if (s$pph_units == "convert") {
    odd <- !ml & !litre & !is.na(unit)
    none <- is.na(unit)
    lines <- c(if (any(none)) sprintf("no unit, taken as ml: %s", released_count(sum(none))),
               if (any(odd)) sprintf("units neither ml nor L, not counted: %s (%s)", released_count(sum(odd)),
                                     paste(unique(raw_unit[odd]), collapse = ", ")))
    if (length(lines)) {
      cli::cli_inform(c("i" = "Blood-loss observations of cohort labours:",
                        stats::setNames(lines, rep("*", length(lines))), exact_note()),
                      class = "matequity_pph_units")
    }
  }
  list(hit = hit, field = paste0("MSD302CareActivityLabDel.", field))
}

# Neonatal death (live birth, death before 28 days). When as_msds() found a
# birth or death date column held to the month only (stored as the 1st), the
# age at death is known only between bounds: a death is counted when even
# the longest possible age is under 28 days, ruled out when the shortest is
# 28 or more, and otherwise unknown (the baby is then not in the neonatal or
# perinatal death denominators, with a message) rather than computed from
# the 1st of the month.
neonatal_death_flags <- function(babies, live, msds, report = TRUE) {
  birth <- babies$PersonBirthDateBaby
  death <- babies$PersonDeathDateBaby %||% as.Date(rep(NA_real_, length(live)))  # optional column
  bm <- msds_month_precision(msds, "MSD401BabyDemographics", "PersonBirthDateBaby")
  dm <- msds_month_precision(msds, "MSD401BabyDemographics", "PersonDeathDateBaby")
  age_min <- as.numeric(death - (if (bm) month_end(birth) else birth))
  age_max <- as.numeric((if (dm) month_end(death) else death) - birth)
  died <- live & !is.na(age_max)
  nnd <- died & age_max < 28
  unknown <- died & !nnd & !is.na(age_min) & age_min < 28
  unknown[is.na(unknown)] <- FALSE
  nnd[unknown] <- NA
  if (report && any(unknown)) {
    cli::cli_inform(c("!" = "{released_count(sum(unknown))} live birth{cli::qty(released_qty(sum(unknown)))}{?s} with a death date: age at death unknown (birth or death date held to the month only); not in the neonatal or perinatal death denominators.", exact_note()),
                    class = "matequity_month_precision")
  }
  list(nnd = nnd, unknown = unknown)
}

# Per target 1..n, the non-missing value from the record with the highest
# RecordNumber (ties: later row).
latest_value <- function(x, target, record, n) {
  out <- rep(NA_real_, n)
  ok <- !is.na(x) & !is.na(target)
  if (!any(ok)) return(out)
  rec <- if (is.null(record)) rep(0, length(x)) else as.numeric(record)
  rec[is.na(rec)] <- -Inf
  idx <- which(ok)
  o <- order(target[idx], -rec[idx], -idx, method = "radix")
  f <- idx[o][!duplicated(target[idx][o])]
  out[target[f]] <- x[f]
  out
}

# Says which baby records are not counted as births, with their codes.
report_not_births <- function(po, live, still, stillbirth_codes) {
  other <- !live & !po %in% stillbirth_codes
  early <- po %in% stillbirth_codes & !still
  if (!any(other) && !any(early)) return(invisible())
  tab <- table(ifelse(is.na(po[other]), "missing", po[other]))
  lines <- c(if (any(other)) sprintf("PregOutcome %s: %s", names(tab), released_count(as.integer(tab))),
             if (any(early)) sprintf("stillbirth code below 24+0 weeks (or under 400 g with gestation unknown): %s", released_count(sum(early))))
  cli::cli_inform(c("i" = "Baby records not counted as births (outside every birth denominator):",
                    stats::setNames(lines, rep("*", length(lines))), exact_note()),
                  class = "matequity_not_births")
}

# Says what the MBRRACE-UK rules leave out of, or assume for, the mortality
# denominators.
report_mbrrace_births <- function(live, still, ge24, neither, registrable, top, total) {
  lines <- c(
    if (any(top & total)) sprintf("births after a termination of pregnancy, excluded: %s", released_count(sum(top & total))),
    if (any(live & !ge24)) sprintf("live births before 24+0 weeks (or under 400 g with gestation unknown), excluded: %s", released_count(sum(live & !ge24))),
    if (any(total & neither)) sprintf("births with neither gestation nor birth weight, counted as from 24+0 weeks: %s", released_count(sum(total & neither)))
  )
  if (!length(lines)) return(invisible())
  cli::cli_inform(c("i" = "MBRRACE-UK mortality denominators (births from 24+0 weeks, terminations excluded):",
                    stats::setNames(lines, rep("*", length(lines))), exact_note()),
                  class = "matequity_mbrrace_births")
}
