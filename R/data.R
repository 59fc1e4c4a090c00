#' Example MSDS v2 extract (simulated)
#'
#' A synthetic West Midlands-like region with 20,000 pregnancies booked from
#' April 2015 to December 2025 at the region's 13 maternity trusts (ODS
#' codes, with RR1 for bookings before April 2018 at what became RRK; real
#' LSOA 2011 codes of the region), made by
#' [simulate_msds()] with `seed = 20160223` (see `data-raw/msds_example.R`).
#' No real person is in it. It was made in the shapes of a real NHS Digital
#' extract ([sim_realism()]: monthly resubmissions with record numbers of
#' about 1e14, provisional and final submissions, text deciles and scores,
#' codes outside the code lists) and read by [as_msds()], so it holds the
#' latest submission of each record, with the submissions log and the
#' data-quality counts of the extract as delivered. It has the recording
#' problems of real extracts (unknown ethnicity, missing LSOA, missing or
#' late care plans, unattended contacts) and carries the simulator's truth.
#'
#' @format An `msds` object (see [as_msds()]): a named list of tibbles
#'   `MSD001MotherDemog`, `MSD101PregnancyBooking`, `MSD102MatCarePlan`,
#'   `MSD201CareContactPreg`, `MSD202CareActivityPreg`,
#'   `MSD301LabourDelivery`, `MSD302CareActivityLabDel`,
#'   `MSD401BabyDemographics`, `MSD402NeonatalAdmission`,
#'   `MSD405CareActivityBaby` and `MSD901StaffDetails`, with the fields listed
#'   by [msds_schema()], and attributes `truth` (true risks under each care
#'   model, overall and by CORE20PLUS group), `truth_care_model` (true risks
#'   under the four care models a personalised plan and CoC make; the
#'   per-pregnancy `care_model_risks` of [simulate_msds()] are left out of the
#'   shipped data), `simulation` (the latent
#'   per-pregnancy record), `flags` (Traveller and long-term-condition flags),
#'   `quality`, `formats`, `invalid_codes` and `submissions` (see
#'   [as_msds()]) and `sim_submissions` (the provider-month submissions).
#' @source Simulated by [simulate_msds()].
#' @examples
#' msds_example
#' attr(msds_example, "truth")
"msds_example"

#' Index of Multiple Deprivation 2019 by LSOA (England, 2011 boundaries)
#'
#' The English Index of Multiple Deprivation 2019 for each of England's
#' 32,844 lower-layer super output areas (LSOA, 2011 boundaries): national
#' rank and decile, with the LSOA's local authority district (2019) and
#' integrated care board (2022). [define_cohort()] uses it by default to give
#' each pregnancy the IMD 2019 decile of the mother's `LSOAMother2011`, as NHS
#' Digital's continuity-of-carer breakdowns do.
#'
#' Ranks are as distributed by the `IMD` package: 26 pairs of LSOAs share a
#' rank there (the next rank is skipped), where MHCLG's published file breaks
#' the ties; deciles are unaffected (each is the national tenth of the rank,
#' 3,284 or 3,285 LSOAs). Welsh LSOAs (`W01...`) are not in the English index.
#'
#' @format A tibble with 32,844 rows, sorted by `lsoa11`:
#' \describe{
#'   \item{lsoa11}{LSOA 2011 code (`E01...`).}
#'   \item{imd_rank}{IMD 2019 rank, 1 = most deprived, to 32,844 (integer).}
#'   \item{imd_decile}{IMD 2019 national decile, 1 = most deprived 10% of
#'     LSOAs (integer).}
#'   \item{lad19}{Local authority district code, 2019 (factor).}
#'   \item{lad19_name}{Local authority district name, 2019 (factor).}
#'   \item{icb22}{Integrated care board of residence, 2022, as its three-
#'     character ODS code (factor; the West Midlands ICBs are `QHL`, `QUA`,
#'     `QWU`, `QGH`, `QOC` and `QNC`).}
#' }
#' @source Ministry of Housing, Communities and Local Government (2019), The
#'   English Indices of Deprivation 2019, File 7
#'   (<https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019>),
#'   via the CRAN package `IMD` (version 1.2.2, data set `imd_england_lsoa`,
#'   Thomas and Page). LSOA-to-district and LSOA-to-ICB lookups: Office for
#'   National Statistics Open Geography, via the `geographr` package
#'   (humaniverse/geographr). Contains public sector information licensed
#'   under the Open Government Licence v3.0. Built by `data-raw/imd2019.R`.
#' @seealso [define_cohort()] (`imd`, `imd_lookup`).
#' @examples
#' head(imd2019)
#' table(imd2019$imd_decile)
"imd2019"

#' West Midlands maternity providers and their successors
#'
#' `msds_providers` lists the West Midlands NHS trusts that run maternity
#' services, by ODS code, with the integrated care board whose footprint is
#' the local maternity and neonatal system (LMNS). `provider_successors` maps
#' the codes of closed trusts to the trust that took them over: RR1 (Heart of
#' England) became part of RRK (University Hospitals Birmingham) on
#' 1 April 2018. [define_cohort()] uses both: `provider` is the successor code
#' (so a trust's series is continuous), `provider_submitted` the code as
#' submitted, and `icb` and `lmns` come from `msds_providers`.
#'
#' These tables come from third-party code lists (NHS Digital's public MSDS
#' code and a West Midlands ICB's public MSDS views), not from the ODS
#' itself: confirm codes, names and dates against the Organisation Data
#' Service before relying on them. Trusts run several sites; names are short
#' names, not the registered ones. Other mergers (for example before the
#' period of MSDS v2) are not listed: add rows to a copy of
#' `provider_successors` and pass it to [define_cohort()].
#'
#' @format `msds_providers`: a tibble with one row per trust (13 current
#'   trusts and RR1):
#' \describe{
#'   \item{org_code}{ODS code of the trust (`OrgCodeProvider`).}
#'   \item{trust_name}{Short name of the trust.}
#'   \item{icb}{ODS code of the integrated care board (the LMNS footprint):
#'     `QHL`, `QUA`, `QWU`, `QGH`, `QOC` or `QNC`.}
#'   \item{icb_name}{Name of the ICB / LMNS (for example
#'     `"Black Country"`).}
#'   \item{region}{`"West Midlands"`.}
#'   \item{valid_from, valid_to}{Dates the code was in use (`NA` when not
#'     recorded here); RR1 ends on 2018-03-31.}
#'   \item{current}{`FALSE` for codes that are no longer in use.}
#' }
#'   `provider_successors`: a tibble with columns `predecessor`, `successor`
#'   (ODS codes) and `date` (first day under the successor).
#' @source Compiled for this package from third-party code lists (NHS
#'   Digital's public MSDS production code; a West Midlands ICB's public MSDS
#'   views), built by `data-raw/msds_providers.R`; to be confirmed against
#'   the ODS.
#' @examples
#' msds_providers
#' provider_successors
#' @name msds_providers
"msds_providers"

#' @rdname msds_providers
"provider_successors"
