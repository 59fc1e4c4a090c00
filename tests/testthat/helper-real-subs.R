# Hand-written real-shape fixture for monthly submissions and provider-scoped
# keys (test-msds-submissions.R). Two trusts submit every month, each
# submission re-sending every active record:
#   RRK: Jan 610001 (RPStartDate 2024-01-01), Feb 610002, March provisional
#        610003 and March final 610004 (both RPStartDate 2024-03-01)
#   RNA: Feb 620001, March provisional 620002 and final 620003
# RecordNumber = UniqSubmissionID * 1e9 + row, shared by one pregnancy's
# records in one submission (RRK rows: P1 = 1, P3a = 2, P2's RRK contact = 3;
# RNA rows: P2 = 1, P3b = 2).
# Pregnancies:
#   P1  (M1, RRK) booked 2023-06-01 at 70 days, B1 born 2023-12-28 (280 days)
#   P2  (M2, RNA) booked 2023-07-01 at 84 days, B2 born 2024-01-05 by
#       caesarean; one antenatal contact at RRK (C9, by RRK's MW3)
#   P3a (M3, RRK) booked 2023-05-01 at 60 days, B3a born 2023-11-20 (263)
#   P3b (M3, RNA) booked 2024-02-05 at 56 days, not yet born
# Collisions: CareConID C1, C2, C3, LabourDeliveryID L1 and CareProfLID MW1,
# MW3 are used by both trusts for different women / people; RNA's MW1 is an
# obstetrician (StaffGroup 03), RRK's MW1 a midwife.
# Changes between submissions: P1's discharge date appears in Feb; P1's C2
# was 'did not attend' (7) in Jan; P1's C4 first appears in Feb; the March
# provisional at RRK says P1's blood loss was 1550 ml, the final 600 ml;
# the March final at RRK has B1's birth weight 3350 g (3300 before) and no
# MSD001 row for M1; M3's LSOA and ethnicity differ between RRK (A,
# E01000301, decile 3) and RNA (H, E01000302, decile 8); the RNA March final
# repeats M2's MSD001 row and one MSD202 row exactly.

subs_rn <- function(sub, row) sub * 1e9 + row

subs_tables <- function() {
  d <- as.Date
  rrk <- c(610001, 610002, 610003, 610004)
  rna <- c(620001, 620002, 620003)
  rp_rrk <- d(c("2024-01-01", "2024-02-01", "2024-03-01", "2024-03-01"))
  rp_rna <- d(c("2024-02-01", "2024-03-01", "2024-03-01"))
  md <- data.frame(
    Person_ID_Mother = c("M1", "M3", "M1", "M3", "M1", "M3", "M3",
                         "M2", "M3", "M2", "M3", "M2", "M2", "M3"),
    RecordNumber = c(610001000000001, 610001000000002, 610002000000001, 610002000000002,
                     610003000000001, 610003000000002, 610004000000002,
                     620001000000001, 620001000000002, 620002000000001, 620002000000002,
                     620003000000001, 620003000000001, 620003000000002),
    UniqSubmissionID = c(610001, 610001, 610002, 610002, 610003, 610003, 610004,
                         620001, 620001, 620002, 620002, 620003, 620003, 620003),
    RPStartDate = d(c("2024-01-01", "2024-01-01", "2024-02-01", "2024-02-01", "2024-03-01",
                      "2024-03-01", "2024-03-01", "2024-02-01", "2024-02-01", "2024-03-01",
                      "2024-03-01", "2024-03-01", "2024-03-01", "2024-03-01")),
    OrgCodeProvider = rep(c("RRK", "RNA"), c(7, 7)),
    EthnicCategoryMother = c("A", "A", "A", "A", "A", "A", "A",
                             "M", "H", "M", "H", "M", "M", "H"),
    LSOAMother2011 = c("E01000101", "E01000301", "E01000101", "E01000301", "E01000101",
                       "E01000301", "E01000301", "E01000201", "E01000302", "E01000201",
                       "E01000302", "E01000201", "E01000201", "E01000302"),
    Rank_IMD_Decile_2015 = c(5L, 3L, 5L, 3L, 5L, 3L, 3L, 1L, 8L, 1L, 8L, 1L, 1L, 8L),
    stringsAsFactors = FALSE)
  bk <- data.frame(
    UniqPregID = c(rep(c("P1", "P3a"), 4), rep(c("P2", "P3b"), 3)),
    Person_ID_Mother = c(rep(c("M1", "M3"), 4), rep(c("M2", "M3"), 3)),
    RecordNumber = c(610001000000001, 610001000000002, 610002000000001, 610002000000002,
                     610003000000001, 610003000000002, 610004000000001, 610004000000002,
                     620001000000001, 620001000000002, 620002000000001, 620002000000002,
                     620003000000001, 620003000000002),
    UniqSubmissionID = c(rep(rrk, each = 2), rep(rna, each = 2)),
    RPStartDate = c(rep(rp_rrk, each = 2), rep(rp_rna, each = 2)),
    OrgCodeProvider = rep(c("RRK", "RNA"), c(8, 6)),
    AntenatalAppDate = d(c(rep(c("2023-06-01", "2023-05-01"), 4),
                           rep(c("2023-07-01", "2024-02-05"), 3))),
    GestAgeBooking = c(rep(c(70L, 60L), 4), rep(c(84L, 56L), 3)),
    AgeAtBookingMother = c(rep(c(30L, 27L), 4), rep(c(24L, 28L), 3)),
    ComplexSocialFactorsInd = c(rep("N", 8), rep(c("Y", "N"), 3)),
    PreviousLiveBirths = c(rep(0L, 8), rep(1L, 6)),
    PreviousStillBirths = 0L,
    PreviousCaesareanSections = c(rep(0L, 8), rep(c(1L, 0L), 3)),
    DischargeDateMatService = d(c(NA, "2023-12-15", "2024-01-20", "2023-12-15",
                                  "2024-01-20", "2023-12-15", "2024-01-20", "2023-12-15",
                                  "2024-01-31", NA, "2024-01-31", NA, "2024-01-31", NA)),
    stringsAsFactors = FALSE)
  cp <- data.frame(
    UniqPregID = c(rep("P1", 4), rep("P2", 3)),
    RecordNumber = c(610001000000001, 610002000000001, 610003000000001, 610004000000001,
                     620001000000001, 620002000000001, 620003000000001),
    UniqSubmissionID = c(rrk, rna),
    RPStartDate = c(rp_rrk, rp_rna),
    OrgCodeProvider = rep(c("RRK", "RNA"), c(4, 3)),
    CarePlanDate = d(rep(c("2023-06-01", "2023-07-01"), c(4, 3))),
    CarePlanType = "05", MatPersCarePlanInd = "Y", ContCarePathInd = "Y",
    CareProfLID = rep(c("MW1", "MW3"), c(4, 3)),
    TeamLocalID = rep(c("T1", "T2"), c(4, 3)),
    stringsAsFactors = FALSE)
  # RRK: Jan has 4 contacts (C4 not yet recorded), later months 5
  cc <- data.frame(
    CareConID = c("C1", "C2", "C3", "C9",
                  rep(c("C1", "C2", "C4", "C3", "C9"), 3),
                  rep(c("C1", "C2", "C3"), 3)),
    UniqPregID = c("P1", "P1", "P3a", "P2",
                   rep(c("P1", "P1", "P1", "P3a", "P2"), 3),
                   rep(c("P2", "P2", "P3b"), 3)),
    RecordNumber = c(subs_rn(610001, c(1, 1, 2, 3)),
                     subs_rn(rep(rrk[2:4], each = 5), rep(c(1, 1, 1, 2, 3), 3)),
                     subs_rn(rep(rna, each = 3), rep(c(1, 1, 2), 3))),
    UniqSubmissionID = c(rep(610001, 4), rep(rrk[2:4], each = 5), rep(rna, each = 3)),
    RPStartDate = c(rep(rp_rrk[1], 4), rep(rp_rrk[2:4], each = 5), rep(rp_rna, each = 3)),
    OrgCodeProvider = rep(c("RRK", "RNA"), c(19, 9)),
    CContactDate = d(c("2023-07-01", "2023-08-01", "2023-06-01", "2023-10-01",
                       rep(c("2023-07-01", "2023-08-01", "2023-09-01", "2023-06-01", "2023-10-01"), 3),
                       rep(c("2023-08-01", "2023-09-01", "2024-02-20"), 3))),
    AttendCode = c("5", "7", "5", "5", rep("5", 15), rep(c("5", "6", "5"), 3)),
    stringsAsFactors = FALSE)
  ac <- data.frame(
    CareConID = c(cc$CareConID, "C2"),
    UniqPregID = c(cc$UniqPregID, "P2"),
    RecordNumber = c(cc$RecordNumber, 620003000000001),
    UniqSubmissionID = c(cc$UniqSubmissionID, 620003),
    RPStartDate = c(cc$RPStartDate, d("2024-03-01")),
    CareProfLID = c("MW1", "MW2", "MW1", "MW3",
                    rep(c("MW1", "MW2", "MW1", "MW1", "MW3"), 3),
                    rep(c("MW1", "MW3", "MW3"), 3), "MW3"),
    TeamLocalID = c("T1", "T1", "T1", "T9",
                    rep(c("T1", "T1", "T1", "T1", "T9"), 3),
                    rep("T2", 9), "T2"),
    stringsAsFactors = FALSE)
  ld <- data.frame(
    LabourDeliveryID = c(rep(c("L1", "L2"), 4), rep("L1", 3)),
    UniqPregID = c(rep(c("P1", "P3a"), 4), rep("P2", 3)),
    RecordNumber = c(subs_rn(rep(rrk, each = 2), rep(1:2, 4)), subs_rn(rna, 1)),
    UniqSubmissionID = c(rep(rrk, each = 2), rna),
    RPStartDate = c(rep(rp_rrk, each = 2), rp_rna),
    OrgCodeProvider = rep(c("RRK", "RNA"), c(8, 3)),
    BirthsPerLabandDel = 1L,
    stringsAsFactors = FALSE)
  la <- data.frame(
    LabourDeliveryID = "L1",
    UniqPregID = c(rep("P1", 8), rep("P2", 3)),
    RecordNumber = c(subs_rn(rep(rrk, each = 2), 1), subs_rn(rna, 1)),
    UniqSubmissionID = c(rep(rrk, each = 2), rna),
    RPStartDate = c(rep(rp_rrk, each = 2), rp_rna),
    CareProfLID = c(rep(c("MW1", "MW2"), 4), rep("MW3", 3)),
    TeamLocalID = c(rep("T1", 8), rep("T2", 3)),
    ObsCode = c(rep(c("719051004", NA), 4), rep("719051004", 3)),
    ObsValue = c(600, NA, 600, NA, 1550, NA, 600, NA, 1600, 1600, 1600),
    stringsAsFactors = FALSE)
  bb <- data.frame(
    Person_ID_Baby = c(rep(c("B1", "B3a"), 4), rep("B2", 3)),
    LabourDeliveryID = c(rep(c("L1", "L2"), 4), rep("L1", 3)),
    UniqPregID = c(rep(c("P1", "P3a"), 4), rep("P2", 3)),
    RecordNumber = ld$RecordNumber,
    UniqSubmissionID = ld$UniqSubmissionID,
    RPStartDate = ld$RPStartDate,
    OrgCodeProvider = ld$OrgCodeProvider,
    PersonBirthDateBaby = d(c(rep(c("2023-12-28", "2023-11-20"), 4), rep("2024-01-05", 3))),
    PregOutcome = "01",
    PersonPhenSex = c(rep(c("1", "2"), 4), rep("2", 3)),
    GestationLengthBirth = c(rep(c(280L, 263L), 4), rep(272L, 3)),
    DeliveryMethodCode = c(rep("0", 8), rep("7", 3)),
    CareProfLIDDel = c(rep("MW1", 8), rep("MW3", 3)),
    stringsAsFactors = FALSE)
  bact <- data.frame(
    Person_ID_Baby = bb$Person_ID_Baby,
    RecordNumber = bb$RecordNumber,
    UniqSubmissionID = bb$UniqSubmissionID,
    RPStartDate = bb$RPStartDate,
    ApgarScore = c(rep(9L, 8), rep(8L, 3)),
    BirthWeight = c(3300, 3000, 3300, 3000, 3300, 3000, 3350, 3000, 3500, 3500, 3500))
  staff <- data.frame(
    CareProfLID = c(rep(c("MW1", "MW2", "MW3"), 4), rep(c("MW1", "MW3"), 3)),
    StaffGroup = c(rep("05", 12), rep(c("03", "05"), 3)),
    OrgCodeProvider = rep(c("RRK", "RNA"), c(12, 6)),
    UniqSubmissionID = c(rep(rrk, each = 3), rep(rna, each = 2)),
    RPStartDate = c(rep(rp_rrk, each = 3), rep(rp_rna, each = 2)),
    stringsAsFactors = FALSE)
  list(MSD001MotherDemog = md, MSD101PregnancyBooking = bk, MSD102MatCarePlan = cp,
       MSD201CareContactPreg = cc, MSD202CareActivityPreg = ac, MSD301LabourDelivery = ld,
       MSD302CareActivityLabDel = la, MSD401BabyDemographics = bb,
       MSD405CareActivityBaby = bact, MSD901StaffDetails = staff)
}

# Every table re-sent as a new submission with unchanged content: the rows of
# submission `from` (per provider) copied with UniqSubmissionID `to`,
# RecordNumber to * 1e9 + row and RPStartDate `rp`.
subs_resubmit <- function(tables, from, to, rp) {
  for (tab in names(tables)) {
    t <- tables[[tab]]
    for (i in seq_along(from)) {
      new <- t[t$UniqSubmissionID == from[i], , drop = FALSE]
      if (!nrow(new)) next
      new$UniqSubmissionID <- to[i]
      if ("RecordNumber" %in% names(new)) new$RecordNumber <- to[i] * 1e9 + new$RecordNumber %% 1e9
      new$RPStartDate <- as.Date(rp)
      t <- rbind(t, new)
    }
    tables[[tab]] <- t
  }
  tables
}

subs_by_preg <- function(x, col, id = "preg_id") stats::setNames(x[[col]], x[[id]])

# A per-pregnancy (or per-pregnancy-and-phase) table as a plain data frame in
# key order, without attributes: results compared across extracts whose rows
# come in a different order.
subs_strip <- function(d) {
  d <- as.data.frame(d)
  d <- d[do.call(order, unname(as.list(d[intersect(c("preg_id", "phase"), names(d))]))), , drop = FALSE]
  attributes(d) <- attributes(d)[c("names", "row.names", "class")]
  rownames(d) <- NULL
  d
}
