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

real_added <- c("RecordNumber", "UniqSubmissionID", "RPStartDate", "RPEndDate", "UCUMUnit")

# The clean columns of a real-shaped table, values normalised, rows ordered
# by `ord` columns.
real_normalise <- function(df, ord) {
  df <- as.data.frame(df, stringsAsFactors = FALSE)
  df <- df[, setdiff(names(df), c(real_added, grep("_ID$", names(df), value = TRUE))),
           drop = FALSE]
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
  if ("ObsCode" %in% names(df)) {
    df$ObsCode[df$ObsCode %in% "719051004"] <- matequity:::msds_codes$blood_loss_obs
  }
  o <- do.call(order, unname(as.list(df[ord])))
  df <- df[o, , drop = FALSE]
  rownames(df) <- NULL
  df
}

clean_normalise <- function(df, ord) {
  real_normalise(df[, setdiff(names(df), "RecordNumber"), drop = FALSE], ord)
}
