# apply_disclosure() with the rule given whatever its argument is called
# (`rule` before issue 14, `disclosure` after).
disclose_with <- function(data, counts, rule, ...) {
  if ("disclosure" %in% names(formals(apply_disclosure))) {
    apply_disclosure(data, counts = counts, disclosure = rule, ...)
  } else {
    apply_disclosure(data, counts = counts, rule = rule, ...)
  }
}

outputs_for_check <- function() {
  tab <- tibble::tibble(group = c("A", "B", "C"), n = c(40, 4, 25))
  list(tab = tab,
       safe = apply_disclosure(tab, n),
       rounded = apply_disclosure(tibble::tibble(n = c(12, 40)), n),
       off = disclose_with(tab, "n", "none"))
}

# A plot drawn from a disclosed table whose columns are all accounted for.
safe_plot <- function() {
  d <- apply_disclosure(tibble::tibble(arm = c("control", "treated"), n = c(30, 40)), n)
  ggplot2::ggplot(d, ggplot2::aes(arm, n)) + ggplot2::geom_col()
}

# An empty release log for the test, emptied again after it.
fresh_release_log <- function(env = parent.frame()) {
  release_log(reset = TRUE)
  withr::defer(release_log(reset = TRUE), envir = env)
}

test_that("disclosure_check gives pass, review and fail with reasons", {
  o <- outputs_for_check()
  chk <- disclosure_check(o)
  expect_identical(names(chk), c("output", "type", "status", "rule", "reason"))
  expect_identical(chk$output, c("tab", "safe", "rounded", "off"))
  # Raw table: the 4 in count column n is released -> fail.
  # Disclosed with a suppression -> review (as ACRO marks it).
  # Disclosed, only rounding -> pass. Rule none -> fail.
  expect_identical(chk$status, c("fail", "review", "pass", "fail"))
  expect_match(chk$reason[1], "n: 1 count under 10 released \\(4\\)")
  expect_match(chk$reason[2], "n: 2 rounded to 5, 1 suppressed \\(<10\\)")
  expect_match(chk$reason[4], "off")
  expect_identical(chk$rule, c(NA, "nhse_sde", "nhse_sde", "none"))
  # A table disclosed under a looser rule fails a stricter check, and
  # passes its own.
  loose <- disclose_with(tibble::tibble(n = c(8, 40)), "n", "opensafely")
  expect_identical(loose$n, c(10, 40))
  expect_equal(disclosure_check(loose = loose, disclosure = "opensafely")$status, "pass")
  expect_equal(disclosure_check(loose = loose)$status, "fail")
  strict <- disclosure_check(loose = loose,
                             disclosure = disclosure_rule("nhse_sde", threshold = 20))
  expect_equal(strict$status, "fail")
  expect_match(strict$reason, "threshold 8 < 20")
  # Names from expressions when unnamed.
  s <- o$safe
  expect_identical(disclosure_check(s)$output, "s")
  expect_error(disclosure_check(o, disclosure = "none"), "none")
})

test_that("released counts are verified against the rule, not the flags", {
  v <- matequity:::verify_counts
  nhse <- disclosure_rule("nhse_sde")
  expect_identical(v(c(NA, 10, 15, 1240), nhse, "n"), character())
  expect_match(v(c(10, 12), nhse, "n"), "n: 1 count not a multiple of 5 \\(12\\)")
  expect_match(v(c(0, 5, 20), nhse, "n"), "2 counts under 10 released \\(0, 5\\)")
  expect_match(v(c(10.5, 20), nhse, "n"), "not whole numbers")
  expect_match(v(c(-10, 20), nhse, "n"), "negative")
  expect_match(v(c(10, 20), nhse, "n", flag = c("suppressed (<10)", "")),
               "released where the flag says suppressed")
  # Zeros are released only where the rule releases them.
  expect_identical(v(c(0, 20), disclosure_rule("nhse_sde", zero = "exact"), "n"), character())
  # A threshold between multiples of the base: 12 is released as 10.
  expect_identical(v(c(10, 15), disclosure_rule("nhse_sde", threshold = 12), "n"), character())
  # Midpoint-6: 6k - 3 and nothing else.
  m6 <- disclosure_rule("opensafely", rounding_method = "midpoint6")
  expect_identical(v(c(9, 15, 303), m6, "n"), character())
  expect_match(v(c(10, 15), m6, "n"), "1 count not midpoint-6 rounded")
  # Shown as 5: the value small counts are shown as is released.
  nd <- disclosure_rule("nhsd_maternity")
  expect_identical(v(c(5, 10, 35), nd, "n"), character())
  expect_match(v(c(3, 10), nd, "n"), "under 8 released \\(3\\)")
  # No rounding (ACRO): any count from the threshold up.
  expect_identical(v(c(10, 11, 137), disclosure_rule("acro"), "n"), character())
})

test_that("a table's rule is compared with the rule checked against", {
  w <- matequity:::rule_weaker
  r <- function(...) disclosure_rule(...)
  expect_identical(w(r("nhse_sde"), r("nhse_sde")), character())
  expect_identical(w(r("nhse_sde", threshold = 20, rounding = 10), r("nhse_sde")), character())
  expect_identical(w(r("nhse_sde"), r("acro")), character())
  expect_identical(w(r("nhse_sde"), r("opensafely")), character())
  expect_identical(w(r("nhsd_maternity"), r("nhsd_maternity")), character())
  expect_identical(w(r("opensafely"), r("nhse_sde")), "threshold 8 < 10")
  expect_match(w(r("acro"), r("nhse_sde")), "not rounded")
  expect_match(w(r("nhse_sde", rounding = 3), r("nhse_sde")), "rounded to 3, not a multiple of 5")
  expect_match(w(r("nhse_sde", zero = "exact"), r("nhse_sde")), "zeros released")
  expect_true("small counts shown as 5, not suppressed" %in%
                w(r("nhsd_maternity"), r("opensafely")))
  expect_match(w(r("opensafely"), r("opensafely", rounding_method = "midpoint6")),
               "not midpoint-6")
})

test_that("numeric columns are accounted for by flags and the sdc log", {
  tab <- tibble::tibble(group = c("A", "B"), events = c(20, 40), n = c(150, 250))
  f <- list(rate = ~ 100 * events / n)
  safe <- disclose_with(tab, c("events", "n"), "nhse_sde", derived = f)
  chk <- disclosure_check(safe = safe)
  expect_identical(chk$status, "pass")
  # A numeric key added afterwards is not a count the checker can vouch for.
  safe$year <- c(2023, 2024)
  chk <- disclosure_check(safe = safe)
  expect_identical(chk$status, "review")
  expect_match(chk$reason, "numeric column year not accounted for")
  # A list-column holds individual values.
  listed <- disclose_with(tab, c("events", "n"), "nhse_sde", derived = f)
  listed$ages <- list(c(23, 31, 44), c(19, 38))
  chk <- disclosure_check(listed = listed, raw = tibble::tibble(g = "A", v = list(1:3)))
  expect_identical(chk$status, c("review", "review"))
  expect_match(chk$reason, "list-column (ages|v) holds several values per cell")
  # Plot data lose the class but keep the mark and the log.
  plain <- as.data.frame(disclose_with(tab, c("events", "n"), "nhse_sde", derived = f))
  class(plain) <- "data.frame"
  expect_identical(disclosure_check(plain = plain)$status, "pass")
})

test_that("models and other objects are checked", {
  fit <- stats::lm(mpg ~ wt, data = mtcars)
  small <- stats::lm(mpg ~ wt, data = mtcars[1:8, ])
  chk <- disclosure_check(fit = fit, small = small, notes = c("a", "text"))
  # lm on 32 rows has 30 residual df (>= 10) but unknown cells: review;
  # 8 rows give 6 df < 10: fail (without saying how many).
  expect_identical(chk$type, c("model", "model", "other"))
  expect_identical(chk$status, c("review", "fail", "review"))
  expect_identical(chk$reason[2], "residual df under 10")
  expect_no_match(chk$reason[1], "30")
  # A fit whose glance() reports its own check.
  obj <- structure(list(), class = "mq_fake_fit")
  registerS3method("glance", "mq_fake_fit", function(x, ...) {
    tibble::tibble(nobs = 50, disclosure_status = "fail",
                   disclosure_reason = "1 cell count under 10: treated_event")
  }, envir = asNamespace("generics"))
  fc <- disclosure_check(fake = obj)
  expect_identical(fc$status, "fail")
  expect_identical(fc$reason, "1 cell count under 10: treated_event")
})

test_that("plots are checked through their data and what their layers count", {
  needs_reference("ggplot2")
  p_safe <- safe_plot() + ggplot2::geom_hline(yintercept = 0)
  raw <- data.frame(x = 1:3, n = c(3, 50, 60))
  p_raw <- ggplot2::ggplot(raw, ggplot2::aes(x, n)) + ggplot2::geom_col()
  # a bar chart of individual records: geom_bar() counts them
  women <- data.frame(unit = rep(c("U1", "U2"), c(40, 3)))
  p_bar <- ggplot2::ggplot(women, ggplot2::aes(unit)) + ggplot2::geom_bar()
  # the same counted from a disclosed table is the table's business
  p_ok <- ggplot2::ggplot(women[women$unit == "U1", , drop = FALSE], ggplot2::aes(unit)) +
    ggplot2::geom_bar()
  chk <- disclosure_check(safe = p_safe, raw = p_raw, bar = p_bar, ok = p_ok)
  expect_identical(chk$type, rep("plot", 4))
  expect_identical(chk$status, c("pass", "fail", "fail", "review"))
  expect_match(chk$reason[3], "layer 1 \\(stat_count\\) counts records: count: 1 count under 10 released \\(3\\)")
})

test_that("export_outputs writes files and a report listing every output", {
  needs_reference("ggplot2")
  fresh_release_log()
  dir <- file.path(tempdir(), "mq-export-test")
  unlink(dir, recursive = TRUE)
  o <- outputs_for_check()
  plot <- safe_plot()
  fit <- stats::lm(mpg ~ wt, data = mtcars)
  expect_message(
    paths <- export_outputs(safe = o$safe, raw = o$tab, hist = plot, fit = fit,
                            dir = dir,
                            override = c(raw = "agreed with the SDE output checker, ticket 7")),
    "Wrote 4 outputs")
  # tidy() for lm comes from broom (when loaded); without it, text.
  fit_file <- if (is.data.frame(tryCatch(generics::tidy(fit), error = function(e) NULL))) "fit.csv" else "fit.txt"
  expect_identical(basename(paths),
                   c("safe.csv", "raw.csv", "hist.png", fit_file,
                     "disclosure_report.md", "disclosure_report.html"))
  expect_true(all(file.exists(paths)))
  expect_true(file.size(paths[["hist"]]) > 1000)
  png_magic <- readBin(paths[["hist"]], "raw", 4)
  expect_identical(png_magic, as.raw(c(0x89, 0x50, 0x4e, 0x47)))
  csv <- utils::read.csv(paths[["safe"]])
  expect_identical(csv$n, c(40L, NA, 25L))
  expect_identical(csv$n_sdc, c("rounded to 5", "suppressed (<10)", "rounded to 5"))
  md <- readLines(paths[["report_md"]])
  expect_true(any(grepl("^\\| safe \\| table \\| safe.csv \\| \\*\\*REVIEW\\*\\*", md)))
  expect_true(any(grepl("^\\| raw \\| table \\| raw.csv \\| \\*\\*FAIL\\*\\* \\(override\\)", md)))
  expect_true(any(grepl("^- Released by override: agreed with the SDE output checker, ticket 7$", md)))
  expect_true(any(grepl("^\\| hist \\| plot \\| hist.png \\| \\*\\*PASS\\*\\*", md)))
  expect_true(any(grepl(paste0("^\\| fit \\| model \\| ", fit_file, " \\| \\*\\*REVIEW\\*\\*"), md)))
  html <- paste(readLines(paths[["report_html"]]), collapse = "\n")
  for (nm in c("safe", "raw", "hist", "fit")) {
    expect_match(html, paste0("<h2 id=\"out[0-9]\">", nm, " "))
  }
  expect_match(html, "<img src=\"hist.png\"")
  expect_match(html, "suppressed \\(&lt;10\\)")
  expect_match(html, "Released by override:</b> agreed with the SDE output checker, ticket 7")
  # Every output written is in the session's release log.
  log <- release_log()
  expect_identical(log$output, c("safe", "raw", "hist", "fit"))
  expect_identical(log$override, c(NA, "agreed with the SDE output checker, ticket 7", NA, NA))
  expect_identical(log$status, c("review", "fail", "pass", "review"))
  expect_identical(log$checked_against, rep("nhse_sde", 4))
  expect_identical(log$keys[1], "group")
  expect_identical(log$counts[1], "n")
  # No overwriting unless asked.
  expect_error(export_outputs(safe = o$safe, dir = dir), "already exist")
  expect_message(export_outputs(safe = o$safe, dir = dir, overwrite = TRUE),
                 "Wrote 1 output")
  expect_error(export_outputs(dir = dir), "no outputs")
  expect_error(export_outputs(o$safe), "dir")
  unlink(dir, recursive = TRUE)
})

test_that("export_outputs refuses what fails, and overrides are by name with a reason", {
  fresh_release_log()
  dir <- file.path(tempdir(), "mq-export-refuse")
  unlink(dir, recursive = TRUE)
  o <- outputs_for_check()
  expect_error(export_outputs(safe = o$safe, raw = o$tab, dir = dir),
               "1 output fails the disclosure check: nothing was written")
  expect_false(dir.exists(dir))
  expect_error(export_outputs(raw = o$tab, dir = dir, override = "raw"),
               "named character vector")
  expect_error(export_outputs(raw = o$tab, dir = dir, override = c(raw = " ")),
               "needs a reason")
  expect_error(export_outputs(raw = o$tab, dir = dir, override = c(tab = "why")),
               "Unknown: \"tab\"")
  expect_error(export_outputs(off = o$off, raw = o$tab, dir = dir,
                              override = c(raw = "agreed")), "off")
  expect_false(dir.exists(dir))
  expect_identical(nrow(release_log()), 0L)
  # An override of an output that does not fail is not recorded as one.
  suppressMessages(export_outputs(safe = o$safe, dir = dir, override = c(safe = "just in case")))
  expect_identical(release_log()$override, NA_character_)
  unlink(dir, recursive = TRUE)
})

test_that("the release log is shown, compared with later exports, and reset", {
  fresh_release_log()
  d1 <- file.path(tempdir(), "mq-export-log1")
  d2 <- file.path(tempdir(), "mq-export-log2")
  unlink(c(d1, d2), recursive = TRUE)
  withr::local_options(matequity.disclosure = "acro")
  all <- disclose_with(tibble::tibble(group = c("A", "B"), n = c(120, 45)), "n", "acro")
  some <- disclose_with(tibble::tibble(group = c("A", "B"), n = c(117, 45)), "n", "acro")
  expect_identical(release_log()$output, character())
  suppressMessages(export_outputs(all = all, dir = d1))
  expect_identical(release_log()$output, "all")
  expect_identical(release_log()$rule, "acro")
  # The same table again is no differencing.
  suppressMessages(export_outputs(all = all, dir = d1, overwrite = TRUE))
  expect_identical(nrow(release_log()), 2L)
  # disclosure_check() looks at the log too.
  chk <- disclosure_check(some = some)
  expect_identical(chk$status, "fail")
  expect_match(chk$reason, "differencing with all \\(released earlier in this session, all.csv\\)")
  expect_match(chk$reason, "n for group = A can be recovered exactly")
  expect_error(export_outputs(some = some, dir = d2), "differencing")
  old <- release_log(reset = TRUE)
  expect_identical(old$output, c("all", "all"))
  expect_identical(nrow(release_log()), 0L)
  expect_identical(disclosure_check(some = some)$status, "pass")
  # The report says the log was reset, for the output checker to see.
  paths <- suppressMessages(export_outputs(some = some, dir = d2))
  md <- readLines(paths[["report_md"]])
  expect_true(any(grepl("against 0 outputs released earlier in this R session \\(the release log was reset [0-9]+ times?, last at .*when it held 2 outputs\\)", md)))
  unlink(c(d1, d2), recursive = TRUE)
})

test_that("differencing needs a relation between the tables", {
  fresh_release_log()
  withr::local_options(matequity.disclosure = "acro")
  mk <- function(n, events, group = c("A", "B", "C")) {
    disclose_with(tibble::tibble(group = group, events = events, n = n),
                  c("events", "n"), "acro")
  }
  # Two outcomes of the same women (same denominators): not a difference of
  # records.
  preterm <- mk(c(400, 250, 120), c(40, 22, 12))
  lbw <- mk(c(400, 250, 120), c(31, 20, 15))
  # Unrelated groups sharing no key values, and different tables of
  # different populations whose cells go both ways.
  other <- mk(c(300, 150, 110), c(20, 12, 14), group = c("D", "E", "F"))
  swapped <- mk(c(380, 265, 118), c(44, 18, 12))
  chk <- disclosure_check(preterm = preterm, lbw = lbw, other = other,
                          swapped = swapped)
  expect_identical(chk$status, rep("pass", 4))
  # Tables that say they count different things (a column with one value
  # that differs: the outcome) are not compared, even where one outcome is
  # rarer than the other in every group.
  label <- function(t, outcome) {
    t$outcome <- outcome
    t
  }
  chk <- disclosure_check(preterm = label(preterm, "preterm"),
                          stillbirth = label(mk(c(400, 250, 120), c(12, 10, 11)), "stillbirth"))
  expect_identical(chk$status, c("pass", "pass"))
  # The same cells with records removed is differencing.
  fewer <- mk(c(395, 250, 120), c(38, 22, 12))
  chk <- disclosure_check(preterm = preterm, fewer = fewer)
  expect_identical(chk$status, c("fail", "fail"))
  expect_match(chk$reason[1], "n for group = A can be recovered exactly")
  expect_match(chk$reason[1], "events for group = B can be recovered exactly")
})

test_that("misplaced arguments and bare values are not outputs", {
  safe <- outputs_for_check()$safe
  expect_error(disclosure_check(safe = safe, rule = "acro"), "looks like an argument")
  expect_error(disclosure_check(safe = safe, path = "x"), "looks like an argument")
  expect_error(disclosure_check(safe, "acro"), "a single string would be written out")
  expect_error(disclosure_check(safe, 12), "a single value")
  expect_error(disclosure_check(safe = safe, r = disclosure_rule()), "a disclosure rule")
  expect_error(disclosure_check(list(safe = safe, rule = "x")), "looks like an argument")
  expect_identical(disclosure_check(safe = safe, disclosure = "acro")$output, "safe")
})

test_that("models are checked on every group and reasons give no counts", {
  set.seed(2)
  d <- data.frame(g = rep(c("x", "y"), each = 300), z = rnorm(600))
  d$a <- rbinom(600, 1, plogis(d$z))
  d$y <- rbinom(600, 1, 0.4)
  fit <- suppressWarnings(estimate_effect(d, a, y, ~ z, method = "aipw", by = g))
  chk <- disclosure_check(fit = fit)
  expect_identical(chk$status, "pass")
  expect_match(chk$reason, "^group x: all 4 cell counts >= 10; effective sample sizes >= 10; residual df >= 10; group y: ")
  expect_no_match(chk$reason, "[0-9]{3}")
  # summary() of a fit is checked as the fit
  expect_identical(disclosure_check(s = summary(fit))[c("type", "status", "reason")],
                   chk[c("type", "status", "reason")])
  # g-computation rests on every unit: no effective sample sizes
  gc <- suppressWarnings(estimate_effect(d, a, y, ~ z, method = "gcomp"))
  expect_identical(disclosure_check(gc = gc)$reason,
                   "all 4 cell counts >= 10; residual df >= 10")
})

test_that("html escaping", {
  expect_identical(matequity:::html_escape("a<b & \"c\">"),
                   "a&lt;b &amp; &quot;c&quot;&gt;")
})

test_that("a table disclosed under nhsd_maternity passes its own rule", {
  tab <- tibble::tibble(n = c(0L, 3L, 7L, 9L, 10L, 12L))
  nd <- disclose_with(tab, "n", "nhsd_maternity")
  # 0, 3, 7 shown as 5: allowed by nhsd_maternity, too small for nhse_sde.
  expect_identical(disclosure_check(nd = nd, disclosure = "nhsd_maternity")$status, "pass")
  expect_identical(disclosure_check(nd = nd, disclosure = "nhse_sde")$status, "fail")
})
