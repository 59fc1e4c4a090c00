# Small MSDS-shaped data with care contacts, for continuity() examples and
# tests: women on a continuity pathway (probability `p_coc`) see their named
# midwife at a contact with probability `p_named_coc` (otherwise their team
# or anyone); other women see a random professional. Returns
# list(msds, cohort) with a hand-built cohort carrying the care-model columns.
continuity_demo_data <- function(n_preg = 200, seed = 1, p_coc = 0.4,
                                 p_named_coc = 0.7, p_missing_carer = 0.03) {
  old <- if (exists(".Random.seed", globalenv())) get(".Random.seed", globalenv()) else NULL
  on.exit(if (is.null(old)) rm(".Random.seed", envir = globalenv()) else
    assign(".Random.seed", old, envir = globalenv()))
  set.seed(seed)
  P <- n_preg
  id <- function(prefix, i) sprintf("%s%05d", prefix, i)
  mw <- id("MW", 1:30)
  mw_team <- id("T", rep(1:10, each = 3))
  docs <- id("DR", 1:5)
  pid <- id("P", seq_len(P))
  mid <- id("M", seq_len(P))
  booking <- as.Date("2020-01-01") + sample.int(300, P, TRUE)
  birth <- booking + 200L + sample.int(20, P, TRUE)
  discharge <- birth + 28L
  named <- sample.int(30, P, TRUE)
  coc <- stats::runif(P) < p_coc
  plan_date <- booking + 14L

  # contacts: antenatal and postnatal
  n_con <- 3L + stats::rpois(P, 7)
  cp <- rep(seq_len(P), n_con)
  span <- as.integer(discharge - booking) + 1L
  offs <- unlist(lapply(seq_len(P), function(i) sort(sample.int(span[i], n_con[i], TRUE)))) - 1L
  cdate <- booking[cp] + offs
  nc <- length(cp)
  con_id <- id("C", sample.int(nc * 3L, nc))
  hh <- sprintf("%02d:%02d", sample(8:17, nc, TRUE), sample(c(0L, 30L), nc, TRUE))
  hh[stats::runif(nc) < 0.1] <- NA
  # carers: 1 or 2 activities per contact
  n_act <- 1L + (stats::runif(nc) < 0.15)
  ap <- rep(seq_len(nc), n_act)
  preg_of <- cp[ap]
  u <- stats::runif(length(ap))
  named_mw <- named[preg_of]
  team_mate <- vapply(named_mw, function(k) {
    m <- which(mw_team == mw_team[k]); m[sample.int(length(m), 1)]
  }, 1L)
  anyone <- sample.int(35, length(ap), TRUE)  # 30 midwives and 5 doctors
  who <- ifelse(coc[preg_of] & u < p_named_coc, named_mw,
         ifelse(coc[preg_of] & u < p_named_coc + 0.15, team_mate, anyone))
  prof <- c(mw, docs)[who]
  team <- c(mw_team, rep("TOBS", 5))[who]
  prof[stats::runif(length(ap)) < p_missing_carer] <- NA

  # labour and delivery
  lid <- id("L", seq_len(P))
  n_lab <- 1L + sample.int(3, P, TRUE)
  lp <- rep(seq_len(P), n_lab)
  lab_who <- ifelse(coc[lp] & stats::runif(length(lp)) < 0.5, named[lp],
                    sample.int(35, length(lp), TRUE))
  del_who <- ifelse(coc & stats::runif(P) < 0.5, named, sample.int(35, P, TRUE))
  bid <- id("B", seq_len(P))

  tables <- list(
    MSD001MotherDemog = data.frame(
      Person_ID_Mother = mid, RecordNumber = 1L, OrgCodeProvider = "RXX",
      EthnicCategoryMother = sample(c("A", "H", "M", "N"), P, TRUE),
      LSOAMother2011 = id("E0", seq_len(P)), Rank_IMD_Decile_2015 = sample.int(10, P, TRUE)),
    MSD101PregnancyBooking = data.frame(
      UniqPregID = pid, Person_ID_Mother = mid, RecordNumber = 1L,
      OrgCodeProvider = "RXX", AntenatalAppDate = booking, GestAgeBooking = 70L,
      AgeAtBookingMother = 30L, ComplexSocialFactorsInd = "N", PreviousLiveBirths = 0L,
      PreviousStillBirths = 0L, PreviousCaesareanSections = 0L,
      DischargeDateMatService = discharge),
    MSD102MatCarePlan = data.frame(
      UniqPregID = pid, RecordNumber = 1L, OrgCodeProvider = "RXX",
      CarePlanDate = plan_date, CarePlanType = "05", MatPersCarePlanInd = "Y",
      ContCarePathInd = ifelse(coc, "Y", "N"), CareProfLID = mw[named],
      TeamLocalID = mw_team[named]),
    MSD201CareContactPreg = data.frame(
      CareConID = con_id, UniqPregID = pid[cp], RecordNumber = 1L,
      OrgCodeProvider = "RXX", CContactDate = cdate, CContactTime = hh,
      AttendCode = sample(c("5", "6", "2", "3"), nc, TRUE, c(0.82, 0.08, 0.05, 0.05))),
    MSD202CareActivityPreg = data.frame(
      CareConID = con_id[ap], RecordNumber = 1L, CareProfLID = prof, TeamLocalID = team),
    MSD301LabourDelivery = data.frame(
      LabourDeliveryID = lid, UniqPregID = pid, RecordNumber = 1L,
      OrgCodeProvider = "RXX", BirthsPerLabandDel = 1L),
    MSD302CareActivityLabDel = data.frame(
      LabourDeliveryID = lid[lp], RecordNumber = 1L, CareProfLID = c(mw, docs)[lab_who],
      TeamLocalID = c(mw_team, rep("TOBS", 5))[lab_who]),
    MSD401BabyDemographics = data.frame(
      Person_ID_Baby = bid, LabourDeliveryID = lid, UniqPregID = pid,
      RecordNumber = 1L, OrgCodeProvider = "RXX", PersonBirthDateBaby = birth,
      PregOutcome = "01", GestationLengthBirth = as.integer(70L + (birth - booking)),
      DeliveryMethodCode = "0", CareProfLIDDel = c(mw, docs)[del_who]),
    MSD405CareActivityBaby = data.frame(Person_ID_Baby = bid, RecordNumber = 1L),
    MSD901StaffDetails = data.frame(
      CareProfLID = c(mw, docs), StaffGroup = c(rep(c("05", "06"), 15), rep("03", 5)))
  )
  cohort <- tibble::tibble(
    preg_id = pid, booking_date = booking, discharge_date = discharge,
    coc_placed = coc, care_plan_date = plan_date, coc_placed_date = plan_date,
    named_midwife = mw[named], named_team = mw_team[named])
  list(msds = as_msds(tables, quiet = TRUE), cohort = cohort)
}
