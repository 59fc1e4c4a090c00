# Literal MSDS tables in the shapes real extracts hold (issue 12, parts A+B),
# derived from the clean hand-built fixture (helper-fixtures.R) one shape at
# a time. Each shape has `real` (the tables as an extract delivers them) and
# `clean` (the clean equivalent: the same information in the schema types),
# so a test can check that both give the same answer downstream.

# record numbers as NHS Digital builds them: UniqSubmissionID 100123
# followed by a 9-digit row number (about 1e14, beyond R's integers)
rt_record_base <- 100123 * 1e9

rt_digit_mother <- function(id) sprintf("90000000%02d", as.integer(sub("^M", "", id)))

rt_shapes <- list(
  # RecordNumber as digit text, whole doubles and (when bit64 is there) integer64
  record = list(
    clean = function(t) t,
    real = function(t) {
      for (tab in names(t)) {
        rn <- t[[tab]]$RecordNumber
        if (is.null(rn)) next
        big <- rt_record_base + rn
        t[[tab]]$RecordNumber <- switch(tab,
          MSD001MotherDemog = , MSD101PregnancyBooking = whole_text(big),  # "100123000000001"
          MSD401BabyDemographics = if (requireNamespace("bit64", quietly = TRUE))
            bit64::as.integer64(whole_text(big)) else big,
          big)
      }
      t
    }),
  # IMD decile as the text NHS Digital delivers
  decile = list(
    clean = function(t) t,
    real = function(t) {
      d <- t$MSD001MotherDemog$Rank_IMD_Decile_2015
      lab <- ifelse(is.na(d), "", sprintf("%02d", d))
      lab[d %in% 1L] <- "01 - Most deprived"
      lab[d %in% 10L] <- "10 - Least deprived"
      t$MSD001MotherDemog$Rank_IMD_Decile_2015 <- lab
      t
    }),
  # Apgar and observation values as text (with stray whitespace)
  text_scores = list(
    clean = function(t) t,
    real = function(t) {
      a <- t$MSD405CareActivityBaby$ApgarScore
      t$MSD405CareActivityBaby$ApgarScore <- sprintf(" %d ", a)
      o <- t$MSD302CareActivityLabDel$ObsValue
      t$MSD302CareActivityLabDel$ObsValue <- ifelse(is.na(o), NA, format(o))
      t
    }),
  # dates as CSV / ODBC / Spark exports write them
  dates = list(
    clean = function(t) t,
    real = function(t) {
      bk <- t$MSD101PregnancyBooking
      bk$AntenatalAppDate <- format(bk$AntenatalAppDate, "%d/%m/%Y")
      bk$DischargeDateMatService <- ifelse(is.na(bk$DischargeDateMatService), "",
                                           format(bk$DischargeDateMatService, "%Y%m%d"))
      t$MSD101PregnancyBooking <- bk
      t$MSD102MatCarePlan$CarePlanDate <- as.POSIXct(
        paste(format(t$MSD102MatCarePlan$CarePlanDate), "09:15:00"), tz = "UTC")
      t$MSD201CareContactPreg$CContactDate <- format(t$MSD201CareContactPreg$CContactDate,
                                                     "%Y-%m-%dT14:30:00.000Z")
      bb <- t$MSD401BabyDemographics
      bb$PersonDeathDateBaby <- ifelse(is.na(bb$PersonDeathDateBaby), NA,
                                       format(bb$PersonDeathDateBaby, "%Y-%m-%d 03:04"))
      t$MSD401BabyDemographics <- bb
      t$MSD402NeonatalAdmission$NeonatalTransferStartDate <-
        format(t$MSD402NeonatalAdmission$NeonatalTransferStartDate, "%d/%m/%Y 23:59:59")
      t
    }),
  # pseudonymised numeric mother ids
  numeric_ids = list(
    clean = function(t) {
      for (tab in c("MSD001MotherDemog", "MSD101PregnancyBooking")) {
        t[[tab]]$Person_ID_Mother <- rt_digit_mother(t[[tab]]$Person_ID_Mother)
      }
      t
    },
    real = function(t) {
      for (tab in c("MSD001MotherDemog", "MSD101PregnancyBooking")) {
        t[[tab]]$Person_ID_Mother <- as.numeric(rt_digit_mother(t[[tab]]$Person_ID_Mother))
      }
      t
    }),
  # optional columns a database driver reads as all-NA logical
  all_na = list(
    clean = function(t) {
      t$MSD101PregnancyBooking$PersonBMIBooking <- NA_real_
      t$MSD101PregnancyBooking$DisabilityIndMother <- NA_character_
      t$MSD201CareContactPreg$CContactTime <- NA_character_
      t$MSD401BabyDemographics$CareProfLIDDel <- NA_character_
      t
    },
    real = function(t) {
      t$MSD101PregnancyBooking$PersonBMIBooking <- NA
      t$MSD101PregnancyBooking$DisabilityIndMother <- NA
      t$MSD201CareContactPreg$CContactTime <- ""
      t$MSD401BabyDemographics$CareProfLIDDel <- NA
      t
    }),
  # Y/N and ethnicity in lower case or with spaces (NHS Digital applies upper())
  case = list(
    clean = function(t) t,
    real = function(t) {
      t$MSD101PregnancyBooking$ComplexSocialFactorsInd <-
        tolower(t$MSD101PregnancyBooking$ComplexSocialFactorsInd)
      cp <- t$MSD102MatCarePlan
      cp$ContCarePathInd <- ifelse(is.na(cp$ContCarePathInd), NA, paste0(" ", tolower(cp$ContCarePathInd)))
      cp$MatPersCarePlanInd <- tolower(cp$MatPersCarePlanInd)
      t$MSD102MatCarePlan <- cp
      md <- t$MSD001MotherDemog
      md$EthnicCategoryMother[md$Person_ID_Mother == "M11"] <- "a"  # was "A"
      t$MSD001MotherDemog <- md
      t
    }),
  # "2019-04-015" matches no format: missing, counted, never 2019-04-01
  bad_date = list(
    clean = function(t) {
      t$MSD101PregnancyBooking$EDDAgreed <- t$MSD101PregnancyBooking$AntenatalAppDate + 200
      t$MSD101PregnancyBooking$EDDAgreed[2] <- NA
      t
    },
    real = function(t) {
      e <- format(t$MSD101PregnancyBooking$AntenatalAppDate + 200)
      e[2] <- "2019-04-015"
      t$MSD101PregnancyBooking$EDDAgreed <- e
      t
    }),
  # a view that gives only the year and month of a baby's birth
  month_birth = list(
    clean = function(t) t,
    real = function(t) {
      t$MSD401BabyDemographics$PersonBirthDateBaby <-
        format(t$MSD401BabyDemographics$PersonBirthDateBaby, "%Y-%m")
      t
    }),
  # codes outside the code lists, kept and counted; each clean equivalent is
  # a valid code that means the same downstream
  invalid_codes = list(
    clean = function(t) {
      rt_invalid_rows(t, attend = "2", outcome = "05", plan_type = "06",
                      eth = c(M02 = "Z", M03 = "Z"))
    },
    real = function(t) {
      rt_invalid_rows(t, attend = "0", outcome = "98", plan_type = "99",
                      eth = c(M02 = "x", M03 = "X"))
    })
)

# AttendCode of a second contact of P01 (a future appointment, '0' in real
# data), PregOutcome of P17's baby, CarePlanType of an extra plan of P02 and
# the ethnicity of M02 and M03.
rt_invalid_rows <- function(t, attend, outcome, plan_type, eth) {
  cc <- t$MSD201CareContactPreg
  cc <- rbind(cc, data.frame(CareConID = "C02", UniqPregID = "P01", RecordNumber = 1L,
                             OrgCodeProvider = "RXA", CContactDate = as.Date("2020-03-01"),
                             AttendCode = attend))
  t$MSD201CareContactPreg <- cc
  t$MSD202CareActivityPreg <- rbind(t$MSD202CareActivityPreg,
    data.frame(CareConID = "C02", RecordNumber = 1L, CareProfLID = "MW01", TeamLocalID = "TEAM1"))
  bb <- t$MSD401BabyDemographics
  bb$PregOutcome[bb$Person_ID_Baby == "B12"] <- outcome
  t$MSD401BabyDemographics <- bb
  cp <- t$MSD102MatCarePlan
  extra <- cp[cp$UniqPregID == "P02", ][1, ]
  extra$CarePlanType <- plan_type
  extra$ContCarePathInd <- "Y"
  extra$CarePlanDate <- extra$CarePlanDate + 50
  t$MSD102MatCarePlan <- rbind(cp, extra)
  md <- t$MSD001MotherDemog
  i <- match(names(eth), md$Person_ID_Mother)
  md$EthnicCategoryMother[i] <- unname(eth)
  t$MSD001MotherDemog <- md
  t
}

# Applies shapes (names of rt_shapes) to the clean fixture; `which` picks
# the real or the clean-equivalent version. The shapes touch different
# columns; they are applied in a fixed order (rows and ids before types).
rt_order <- c("invalid_codes", "case", "bad_date", "all_na", "numeric_ids", "record",
              "decile", "text_scores", "dates", "month_birth")

rt_tables <- function(shapes = rt_order, which = c("real", "clean")) {
  which <- match.arg(which)
  t <- fixture_tables()
  for (s in intersect(rt_order, shapes)) t <- rt_shapes[[s]][[which]](t)
  t
}

rt_flags <- function(shapes = rt_order) {
  f <- fixture_flags()
  if ("numeric_ids" %in% shapes) f$Person_ID_Mother <- rt_digit_mother(f$Person_ID_Mother)
  f
}

rt_msds <- function(shapes = rt_order, which = "real") {
  as_msds(rt_tables(shapes, which), flags = rt_flags(shapes), quiet = TRUE)
}

# Everything downstream: cohort, care model, outcomes, continuity.
rt_downstream <- function(x) {
  cohort <- suppressMessages(define_cohort(x, period = fixture_period))
  cm <- suppressMessages(add_care_model(cohort, x))
  oc <- suppressMessages(add_outcomes(cohort, x))
  ct <- suppressWarnings(suppressMessages(continuity(cm, x)))
  list(cohort = cohort, care_model = cm, outcomes = oc, continuity = ct)
}

# New quality rows of x beyond those of the clean equivalent y.
rt_new_quality <- function(x, y) {
  q <- msds_quality(x, disclosure = "none")
  q0 <- msds_quality(y, disclosure = "none")
  k <- paste(q$table, q$field, q$problem, q$n_rows)
  k0 <- paste(q0$table, q0$field, q0$problem, q0$n_rows)
  q <- q[!k %in% k0, c("table", "field", "problem", "n_rows", "examples")]
  q[order(q$table, q$field, q$problem), ]
}
