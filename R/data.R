#' Example MSDS v2 extract (simulated)
#'
#' A synthetic West Midlands-like region with 20,000 pregnancies booked from
#' April 2015 to December 2025 in 14 maternity units, made by
#' [simulate_msds()] with `seed = 20160223` (see `data-raw/msds_example.R`).
#' No real person is in it. It has the recording problems of real extracts
#' (unknown ethnicity, missing LSOA, missing or late care plans, unattended
#' contacts, repeated submissions) and carries the simulator's truth.
#'
#' @format An `msds` object (see [as_msds()]): a named list of tibbles
#'   `MSD001MotherDemog`, `MSD101PregnancyBooking`, `MSD102MatCarePlan`,
#'   `MSD201CareContactPreg`, `MSD202CareActivityPreg`,
#'   `MSD301LabourDelivery`, `MSD302CareActivityLabDel`,
#'   `MSD401BabyDemographics`, `MSD402NeonatalAdmission`,
#'   `MSD405CareActivityBaby` and `MSD901StaffDetails`, with the fields listed
#'   by [msds_schema()], and attributes `truth` (true risks under each care
#'   model, overall and by CORE20PLUS group), `simulation` (the latent
#'   per-pregnancy record), `flags` (Traveller and long-term-condition flags)
#'   and `quality` (data-quality counts).
#' @source Simulated by [simulate_msds()].
#' @examples
#' msds_example
#' attr(msds_example, "truth")
"msds_example"
