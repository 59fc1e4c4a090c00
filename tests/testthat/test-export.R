outputs_for_check <- function() {
  tab <- tibble::tibble(group = c("A", "B", "C"), n = c(40, 4, 25))
  list(tab = tab,
       safe = apply_disclosure(tab, n),
       rounded = apply_disclosure(tibble::tibble(n = c(12, 40)), n),
       off = apply_disclosure(tab, n, disclosure = "none"))
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
  # A table disclosed under a looser rule fails a stricter check.
  loose <- apply_disclosure(tibble::tibble(n = c(8, 40)), n,
                            disclosure = "opensafely")
  expect_identical(loose$n, c(10, 40))
  expect_equal(disclosure_check(loose = loose)$status, "pass")
  strict <- disclosure_check(loose = loose,
                             rule = disclosure_rule("nhse_sde", threshold = 20))
  expect_equal(strict$status, "fail")
  # Names from expressions when unnamed.
  s <- o$safe
  expect_identical(disclosure_check(s)$output, "s")
  expect_error(disclosure_check(o, rule = "none"), "none")
})

test_that("models and other objects are checked", {
  fit <- stats::lm(mpg ~ wt, data = mtcars)
  small <- stats::lm(mpg ~ wt, data = mtcars[1:8, ])
  chk <- disclosure_check(fit = fit, small = small, note = "text")
  # lm on 32 rows has 30 residual df (>= 10) but unknown cells: review;
  # 8 rows give 6 df < 10: fail.
  expect_identical(chk$type, c("model", "model", "other"))
  expect_identical(chk$status, c("review", "fail", "review"))
  expect_match(chk$reason[2], "residual df 6 under 10")
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

test_that("plots are checked through their data", {
  needs_reference("ggplot2")
  h <- sdc_histogram_data(c(rep(0.5, 30), rep(1.5, 40)), breaks = 0:2)
  p_safe <- ggplot2::ggplot(h, ggplot2::aes(mid, n)) + ggplot2::geom_col()
  raw <- data.frame(x = 1:3, n = c(3, 50, 60))
  p_raw <- ggplot2::ggplot(raw, ggplot2::aes(x, n)) + ggplot2::geom_col()
  chk <- disclosure_check(safe = p_safe, raw = p_raw)
  expect_identical(chk$type, c("plot", "plot"))
  expect_identical(chk$status, c("pass", "fail"))
})

test_that("export_outputs writes files and a report listing every output", {
  needs_reference("ggplot2")
  dir <- file.path(tempdir(), "mq-export-test")
  unlink(dir, recursive = TRUE)
  o <- outputs_for_check()
  h <- sdc_histogram_data(c(rep(0.5, 30), rep(1.5, 40)), breaks = 0:2)
  plot <- ggplot2::ggplot(h, ggplot2::aes(mid, n)) + ggplot2::geom_col()
  fit <- stats::lm(mpg ~ wt, data = mtcars)
  expect_warning(
    expect_message(
      paths <- export_outputs(safe = o$safe, raw = o$tab, hist = plot,
                              fit = fit, dir = dir),
      "Wrote 4 outputs"),
    "1 output fails")
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
  expect_true(any(grepl("^\\| raw \\| table \\| raw.csv \\| \\*\\*FAIL\\*\\*", md)))
  expect_true(any(grepl("^\\| hist \\| plot \\| hist.png \\| \\*\\*PASS\\*\\*", md)))
  expect_true(any(grepl(paste0("^\\| fit \\| model \\| ", fit_file, " \\| \\*\\*REVIEW\\*\\*"), md)))
  html <- paste(readLines(paths[["report_html"]]), collapse = "\n")
  for (nm in c("safe", "raw", "hist", "fit")) {
    expect_match(html, paste0("<h2 id=\"out[0-9]\">", nm, " "))
  }
  expect_match(html, "<img src=\"hist.png\"")
  expect_match(html, "suppressed \\(&lt;10\\)")
  # No overwriting unless asked.
  expect_error(export_outputs(safe = o$safe, dir = dir), "already exist")
  expect_message(export_outputs(safe = o$safe, dir = dir, overwrite = TRUE),
                 "Wrote 1 output")
  expect_error(export_outputs(dir = dir), "no outputs")
  expect_error(export_outputs(o$safe), "dir")
  unlink(dir, recursive = TRUE)
})

test_that("html escaping", {
  expect_identical(matequity:::html_escape("a<b & \"c\">"),
                   "a&lt;b &amp; &quot;c&quot;&gt;")
})

test_that("a table disclosed under nhsd_maternity passes its own rule", {
  tab <- tibble::tibble(n = c(0L, 3L, 7L, 9L, 10L, 12L))
  nd <- apply_disclosure(tab, n, disclosure = "nhsd_maternity")
  # 0, 3, 7 shown as 5: allowed by nhsd_maternity, too small for nhse_sde.
  expect_identical(disclosure_check(nd = nd, rule = "nhsd_maternity")$status, "pass")
  expect_identical(disclosure_check(nd = nd, rule = "nhse_sde")$status, "fail")
})
