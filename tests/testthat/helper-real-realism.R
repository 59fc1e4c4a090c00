# Helpers for the realism tests: the latest submission of each record in a
# real-shaped simulator extract, normalised the way as_msds() normalises
# (upper case, text numbers parsed), for comparison with the clean tables.

real_latest <- function(df, key) {
  o <- order(df$RecordNumber, decreasing = TRUE, method = "radix")
  k <- do.call(paste, c(unname(as.list(df[key])), sep = "\r"))
  keep <- o[!duplicated(k[o])]
  df[sort(keep), , drop = FALSE]
}

# Rows of a child table that come from the retained submission of their
# parent (parent row kept by real_latest(); children share its RecordNumber).
real_children <- function(child, parent_latest, by) {
  rec <- parent_latest$RecordNumber[match(child[[by]], parent_latest[[by]])]
  child[!is.na(rec) & child$RecordNumber == rec, , drop = FALSE]
}

real_added <- c("RecordNumber", "UniqSubmissionID", "RPStartDate", "RPEndDate")

# The clean columns of a real-shaped table, values normalised, rows ordered
# by `ord` columns.
real_normalise <- function(df, ord) {
  df <- as.data.frame(df, stringsAsFactors = FALSE)
  keep <- setdiff(intersect(names(df), matequity::msds_schema()$field),
                  c(real_added, grep("_ID$", names(df), value = TRUE)))
  df <- df[, keep, drop = FALSE]
  for (f in names(df)) {
    if (inherits(df[[f]], "Date")) df[[f]] <- structure(as.double(unclass(df[[f]])), class = "Date")
  }
  for (f in intersect(names(df), c("EthnicCategoryMother", "ComplexSocialFactorsInd",
                                   "DisabilityIndMother", "MatPersCarePlanInd",
                                   "ContCarePathInd"))) {
    df[[f]] <- toupper(df[[f]])
  }
  if ("Rank_IMD_Decile_2015" %in% names(df)) {
    df$Rank_IMD_Decile_2015 <- as.integer(substr(df$Rank_IMD_Decile_2015, 1, 2))
  }
  if ("ApgarScore" %in% names(df)) df$ApgarScore <- as.integer(df$ApgarScore)
  if ("ObsValue" %in% names(df)) df$ObsValue <- as.numeric(df$ObsValue)
  o <- do.call(order, unname(as.list(df[ord])))
  df <- df[o, , drop = FALSE]
  rownames(df) <- NULL
  df
}

clean_normalise <- function(df, ord) {
  real_normalise(df[, setdiff(names(df), "RecordNumber"), drop = FALSE], ord)
}

# The latest submission of every record in `x` (a real-shaped extract, or
# the msds object as_msds() makes of it) equals the clean record. With
# `unique_rows`, activity tables are compared as sets of distinct rows (as
# de-duplicated by as_msds()).
expect_latest_is_clean <- function(x, clean, unique_rows = FALSE) {
  uq <- function(df) if (unique_rows) {
    df <- unique(df)
    rownames(df) <- NULL
    df
  } else df
  cl <- function(tab, key) matequity:::sim_latest(clean[[tab]], key)
  # bookings (smoking fields are empty since 2021)
  bk <- real_latest(x$MSD101PregnancyBooking, "UniqPregID")
  cb <- cl("MSD101PregnancyBooking", "UniqPregID")
  late <- cb$AntenatalAppDate >= as.Date("2020-06-01")
  drop <- c("SmokingStatusBooking", "SmokingStatusDelivery")
  expect_equal(real_normalise(bk[, setdiff(names(bk), drop)], "UniqPregID"),
                   clean_normalise(cb[, setdiff(names(cb), drop)], "UniqPregID"))
  # demographics: one row per woman per submission, the provider's
  md <- real_latest(x$MSD001MotherDemog, "Person_ID_Mother")
  cm <- cl("MSD001MotherDemog", "Person_ID_Mother")
  rn <- real_normalise(md, "Person_ID_Mother")
  cn <- clean_normalise(cm, "Person_ID_Mother")
  unknown <- function(e) {
    e[is.na(e) | e %in% c("Z", "99", "X")] <- "unknown"
    e
  }
  rn$EthnicCategoryMother <- unknown(rn$EthnicCategoryMother)
  cn$EthnicCategoryMother <- unknown(cn$EthnicCategoryMother)
  both <- setdiff(names(rn), "OrgCodeProvider")
  expect_equal(rn[both], cn[both])
  cp <- x$MSD102MatCarePlan
  cp <- real_latest(cp[cp$CarePlanType != "99", ], c("UniqPregID", "CarePlanType", "CarePlanDate"))
  ord <- c("UniqPregID", "CarePlanType", "CarePlanDate")
  expect_equal(real_normalise(cp, ord), clean_normalise(clean$MSD102MatCarePlan, ord))
  ct <- real_latest(x$MSD201CareContactPreg, c("UniqPregID", "CareConID"))
  expect_equal(real_normalise(ct, "CareConID"),
                   clean_normalise(clean$MSD201CareContactPreg, "CareConID"))
  ord <- c("CareConID", "CareProfLID", "TeamLocalID")
  expect_equal(uq(real_normalise(real_children(x$MSD202CareActivityPreg, ct, "CareConID"), ord)),
                   uq(clean_normalise(clean$MSD202CareActivityPreg, ord)))
  lab <- real_latest(x$MSD301LabourDelivery, c("UniqPregID", "LabourDeliveryID"))
  expect_equal(real_normalise(lab, "LabourDeliveryID"),
                   clean_normalise(clean$MSD301LabourDelivery, "LabourDeliveryID"))
  ord <- c("LabourDeliveryID", "CareProfLID", "ObsCode", "GenitalTractTraumaticLesion")
  expect_equal(uq(real_normalise(real_children(x$MSD302CareActivityLabDel, lab, "LabourDeliveryID"), ord)),
                   uq(clean_normalise(clean$MSD302CareActivityLabDel, ord)))
  bb <- real_latest(x$MSD401BabyDemographics, "Person_ID_Baby")
  expect_equal(real_normalise(bb, "Person_ID_Baby"),
                   clean_normalise(clean$MSD401BabyDemographics, "Person_ID_Baby"))
  for (tab in c("MSD402NeonatalAdmission", "MSD405CareActivityBaby")) {
    expect_equal(uq(real_normalise(real_children(x[[tab]], bb, "Person_ID_Baby"), "Person_ID_Baby")),
                     uq(clean_normalise(clean[[tab]], "Person_ID_Baby")), label = tab)
  }
  st <- real_latest(x$MSD901StaffDetails, c("OrgCodeProvider", "CareProfLID"))
  expect_equal(real_normalise(st, "CareProfLID"), clean_normalise(clean$MSD901StaffDetails, "CareProfLID"))
}
