# Data for the disparity_scenarios() tests.

# The worked example: 2 groups x 2 allowable strata x care model, with event
# counts per cell (one row per woman).
scen_cells <- function() {
  cells <- expand.grid(stratum = c("young", "old"), coc = c(FALSE, TRUE),
                       grp = c("Neither", "Core20"), stringsAsFactors = FALSE)
  cells$n <- c(200, 150, 50, 100, 300, 100, 150, 50)
  cells$events <- c(20, 24, 3, 8, 45, 20, 12, 6)
  cells
}

scen_worked <- function(cells = scen_cells()) {
  d <- do.call(rbind, lapply(seq_len(nrow(cells)), function(i) {
    data.frame(stratum = cells$stratum[i], coc = cells$coc[i], grp = cells$grp[i],
               preterm = rep(c(TRUE, FALSE), c(cells$events[i], cells$n[i] - cells$events[i])))
  }))
  d$preterm_eligible <- TRUE
  d
}

# Simulated cohort-like data with a continuous confounder, three groups.
scen_sim <- function(n = 3000, seed = 11) {
  set.seed(seed)
  grp <- sample(c("Neither", "Core20", "PLUS"), n, TRUE, c(0.5, 0.3, 0.2))
  age <- round(runif(n, 17, 44))
  parity <- pmin(rpois(n, 0.9), 4)
  imd <- sample(1:10, n, TRUE)
  lp_a <- -0.8 + 0.7 * (grp != "Neither") - 0.03 * (age - 30) + 0.1 * (parity == 0) - 0.05 * imd
  coc <- runif(n) < plogis(lp_a)
  lp_y <- -2.2 + 0.4 * (grp == "Core20") + 0.6 * (grp == "PLUS") + 0.03 * (age - 30) +
    0.2 * (parity == 0) - 0.04 * imd - (0.3 + 0.2 * (grp != "Neither")) * coc
  data.frame(grp = grp, age = age, parity = parity, imd = imd, coc = coc,
             preterm = runif(n) < plogis(lp_y), preterm_eligible = TRUE)
}

# A cohort-like tibble from simulate_msds()'s latent record: observed
# preterm birth from the potential outcomes and the care model received,
# eligibility = the simulator's target population, age and parity from the
# (latest) booking record.
scen_from_sim <- function(x) {
  s <- attr(x, "simulation")
  b <- x$MSD101PregnancyBooking
  b <- b[order(b$UniqPregID, -b$RecordNumber), ]
  b <- b[!duplicated(b$UniqPregID), ]
  i <- match(s$UniqPregID, b$UniqPregID)
  tibble::tibble(
    preg_id = s$UniqPregID, core20plus_group = s$core20plus_group,
    coc_placed = s$coc_placed,
    preterm = ifelse(s$coc_placed, s$y1_preterm, s$y0_preterm),
    preterm_eligible = s$target,
    age = b$AgeAtBookingMother[i],
    parity = b$PreviousLiveBirths[i] + b$PreviousStillBirths[i],
    imd_decile = s$imd_decile, ltc = s$long_term_condition, csf = s$complex_social,
    pcsp = s$pcsp
  )
}
