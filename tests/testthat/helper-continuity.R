# Hand-built MSDS tables for continuity() tests.
# preg: data.frame(id, booking, discharge, birth (NA = no birth / labour),
#                  del_prof); contacts: data.frame(con, preg, date, time,
# attend); acts: data.frame(con, prof, team); labour: data.frame(preg, prof,
# team); staff: named vector prof -> StaffGroup.
mini_msds <- function(preg, contacts, acts, labour = NULL, staff = NULL) {
  d0 <- as.Date("2021-01-01")
  P <- nrow(preg)
  mid <- paste0("M", preg$id)
  has_birth <- !is.na(preg$birth)
  pre <- function(p, x) if (length(x)) paste0(p, x) else character()
  lid <- pre("L", preg$id[has_birth])
  contacts$time <- as.character(contacts$time)
  preg$del_prof <- as.character(preg$del_prof)
  if (is.null(labour)) labour <- data.frame(preg = character(), prof = character(), team = character())
  if (is.null(staff)) {
    profs <- unique(stats::na.omit(c(acts$prof, labour$prof, preg$del_prof)))
    staff <- stats::setNames(rep("05", length(profs)), profs)
  }
  tables <- list(
    MSD001MotherDemog = data.frame(Person_ID_Mother = mid, RecordNumber = 1L,
      OrgCodeProvider = "R1", EthnicCategoryMother = "A", LSOAMother2011 = "E1",
      Rank_IMD_Decile_2015 = 5L),
    MSD101PregnancyBooking = data.frame(UniqPregID = preg$id, Person_ID_Mother = mid,
      RecordNumber = 1L, OrgCodeProvider = "R1", AntenatalAppDate = d0 + preg$booking,
      GestAgeBooking = 70L, AgeAtBookingMother = 30L, ComplexSocialFactorsInd = "N",
      PreviousLiveBirths = 0L, PreviousStillBirths = 0L, PreviousCaesareanSections = 0L,
      DischargeDateMatService = d0 + preg$discharge),
    MSD102MatCarePlan = data.frame(UniqPregID = preg$id, RecordNumber = 1L,
      OrgCodeProvider = "R1", CarePlanDate = d0 + preg$booking, CarePlanType = "05",
      MatPersCarePlanInd = "Y", ContCarePathInd = "Y", CareProfLID = "MWN",
      TeamLocalID = "TN"),
    MSD201CareContactPreg = data.frame(CareConID = contacts$con,
      UniqPregID = contacts$preg, RecordNumber = 1L, OrgCodeProvider = "R1",
      CContactDate = d0 + contacts$date, CContactTime = contacts$time,
      AttendCode = contacts$attend),
    MSD202CareActivityPreg = data.frame(CareConID = acts$con, RecordNumber = 1L,
      CareProfLID = acts$prof, TeamLocalID = acts$team),
    MSD301LabourDelivery = data.frame(LabourDeliveryID = lid,
      UniqPregID = preg$id[has_birth], RecordNumber = rep(1L, sum(has_birth)),
      OrgCodeProvider = rep("R1", sum(has_birth)), BirthsPerLabandDel = rep(1L, sum(has_birth))),
    MSD302CareActivityLabDel = data.frame(LabourDeliveryID = pre("L", labour$preg),
      RecordNumber = rep(1L, nrow(labour)), CareProfLID = labour$prof, TeamLocalID = labour$team),
    MSD401BabyDemographics = data.frame(Person_ID_Baby = pre("B", preg$id[has_birth]),
      LabourDeliveryID = lid, UniqPregID = preg$id[has_birth],
      RecordNumber = rep(1L, sum(has_birth)), OrgCodeProvider = rep("R1", sum(has_birth)),
      PersonBirthDateBaby = d0 + preg$birth[has_birth], PregOutcome = rep("01", sum(has_birth)),
      GestationLengthBirth = rep(280L, sum(has_birth)), DeliveryMethodCode = rep("0", sum(has_birth)),
      CareProfLIDDel = preg$del_prof[has_birth]),
    MSD405CareActivityBaby = data.frame(Person_ID_Baby = pre("B", preg$id[has_birth]),
      RecordNumber = rep(1L, sum(has_birth))),
    MSD901StaffDetails = data.frame(CareProfLID = names(staff), StaffGroup = unname(staff))
  )
  as_msds(tables, quiet = TRUE)
}

mini_cohort <- function(preg, named_midwife = "MWN", named_team = "TN",
                        coc_placed = TRUE, care_plan = preg$booking) {
  d0 <- as.Date("2021-01-01")
  tibble::tibble(preg_id = preg$id, booking_date = d0 + preg$booking,
                 discharge_date = d0 + preg$discharge, coc_placed = coc_placed,
                 care_plan_date = d0 + care_plan, coc_placed_date = d0 + care_plan,
                 named_midwife = named_midwife, named_team = named_team)
}

# A straightforward R implementation of the indices (DOMAIN section 5) for
# the antenatal and postnatal phases, contact by contact, from the MSDS
# tables; written independently of the engine.
ref_continuity <- function(msds, cohort, phase, carer = "professional",
                           missing = "drop", collapse = FALSE,
                           groups = c("05", "06", "07")) {
  cc <- as.data.frame(msds$MSD201CareContactPreg)
  ac <- as.data.frame(msds$MSD202CareActivityPreg)
  st <- as.data.frame(msds$MSD901StaffDetails)
  bb <- as.data.frame(msds$MSD401BabyDemographics)
  secs <- function(t) {
    s <- rep(Inf, length(t))
    ok <- !is.na(t)
    p <- strsplit(t[ok], ":")
    s[ok] <- vapply(p, function(v) sum(as.numeric(v) * c(3600, 60, 1)[seq_along(v)]), 0)
    s
  }
  rows <- lapply(seq_len(nrow(cohort)), function(i) {
    pid <- cohort$preg_id[i]
    x <- cc[cc$UniqPregID == pid & cc$AttendCode %in% c("5", "6") &
              cc$CContactDate >= cohort$booking_date[i] &
              cc$CContactDate <= cohort$discharge_date[i], ]
    b <- min(bb$PersonBirthDateBaby[bb$UniqPregID == pid])
    ph <- if (is.finite(b)) ifelse(x$CContactDate >= b, "postnatal", "antenatal") else rep("antenatal", nrow(x))
    x <- x[ph == phase, ]
    x <- x[order(as.numeric(x$CContactDate), secs(x$CContactTime), x$CareConID, method = "radix"), ]
    car <- character(); mw <- logical(); tm <- logical(); day <- numeric()
    for (j in seq_len(nrow(x))) {
      a <- ac[ac$CareConID == x$CareConID[j], ]
      if (nrow(a)) {
        grp <- st$StaffGroup[match(a$CareProfLID, st$CareProfLID)]
        a <- a[is.na(grp) | grp %in% groups, ]
        if (!nrow(a)) next
      }
      w <- if (carer == "professional") a$CareProfLID else a$TeamLocalID
      car <- c(car, if (any(!is.na(w))) w[!is.na(w)][1] else NA)
      mw <- c(mw, any(a$CareProfLID == cohort$named_midwife[i], na.rm = TRUE))
      tm <- c(tm, any(a$TeamLocalID == cohort$named_team[i], na.rm = TRUE))
      day <- c(day, as.numeric(x$CContactDate[j]))
    }
    if (collapse) {
      keep <- rep(TRUE, length(car))
      for (j in seq_along(car)) {
        if (is.na(car[j])) next
        k <- which(keep[seq_len(j - 1)] & car[seq_len(j - 1)] %in% car[j] & day[seq_len(j - 1)] == day[j])
        if (length(k)) {
          keep[j] <- FALSE
          mw[k[1]] <- mw[k[1]] | mw[j]
          tm[k[1]] <- tm[k[1]] | tm[j]
        }
      }
      car <- car[keep]; mw <- mw[keep]; tm <- tm[keep]
    }
    known <- !is.na(car)
    seqc <- if (missing == "drop") car[known] else car
    pairs <- if (length(seqc) > 1) seqc[-1] == seqc[-length(seqc)] else logical()
    n_seq <- sum(pairs, na.rm = TRUE)
    car <- car[known]; mw <- mw[known]; tm <- tm[known]
    N <- length(car)
    n_i <- table(factor(car, levels = unique(car)))
    M <- length(n_i)
    na_if <- function(v, ok) if (ok) v else NA_real_
    tibble::tibble(
      preg_id = pid, n_contacts = N, n_carers = M,
      usual_carer = if (N) names(n_i)[which.max(n_i)] else NA_character_,
      upc = na_if(max(n_i, 0) / N, N >= 1),
      coc = na_if((sum(n_i^2) - N) / (N * (N - 1)), N >= 2),
      hhi = na_if(sum(n_i^2) / N^2, N >= 1),
      secon = na_if(n_seq / (N - 1), N >= 2),
      mmci = na_if((1 - M / (N + 0.1)) / (1 - 1 / (N + 0.1)), N >= 1),
      named_midwife_share = na_if(sum(mw) / N, N >= 1),
      named_team_share = na_if(sum(tm) / N, N >= 1))
  })
  do.call(rbind, rows)
}
