# Counts outside tables: in messages, warnings, errors, print() and summary()
# methods, model reason strings and plot captions. Each is shown as the rule
# in force releases it ("~1,240" rounded, "<10" suppressed); exact counts
# only under disclosure = "none", and then a line says so.

# The released form of counts `n` under a rule, as strings: small counts
# (including zeros, unless the rule releases zeros) as "<threshold", others
# rounded as the rule rounds them and marked "~"; under a rule that does not
# round (ACRO) counts at or above the threshold are shown as they are. Under
# "none" the exact count. Missing counts are "unknown".
released_count <- function(n, disclosure = NULL) {
  rule <- resolve_disclosure(disclosure)
  v <- release_value(n, rule)
  out <- ifelse(is.na(n), "unknown", fmt_n(pmax(0, round(n))))
  if (rule$preset == "none") return(out)
  small <- !is.na(n) & is.na(v)
  out[small] <- paste0("<", fmt_n(rule$threshold))
  rounded <- !is.na(v) & (rule$rounding > 0 | rule$rounding_method == "midpoint6")
  out[rounded] <- paste0("~", fmt_n(v[rounded]))
  out
}

# The quantity that cli's pluralisation should use with released_count():
# the count when it is shown exactly, otherwise 2 ("<10 rows", "~5 rows").
released_qty <- function(n, disclosure = NULL) {
  rule <- resolve_disclosure(disclosure)
  if (rule$preset == "none" || (rule$rounding == 0 && !is.na(n) && n >= rule$threshold)) {
    return(if (is.na(n)) 2 else n)
  }
  2
}

# Released values of counts (or of effective sample sizes) under a rule, as
# numbers: NA where the count is small (suppressed, or shown as a fixed
# value: in a sentence that would misstate it), rounded as the rule rounds,
# whole numbers under a rule that does not round.
release_value <- function(n, rule) {
  n <- as.double(n)
  if (rule$preset == "none") return(n)
  small <- !is.na(n) & n < rule$threshold & !(rule$zero == "exact" & n == 0)
  v <- n
  v[small] <- NA_real_
  ok <- !is.na(v)
  if (rule$rounding_method == "midpoint6") {
    v[ok] <- ifelse(v[ok] == 0, 0, 6 * ceiling(v[ok] / 6) - 3)
  } else if (rule$rounding > 0) {
    v[ok] <- floor(v[ok] / rule$rounding + 0.5) * rule$rounding
  } else {
    v[ok] <- floor(v[ok] + 0.5)
  }
  v
}

# A bullet for messages that show exact counts: under "none" only.
exact_note <- function(disclosure = NULL) {
  rule <- resolve_disclosure(disclosure)
  if (rule$preset != "none") return(character())
  c("!" = "Counts are exact: disclosure control is off (rule \"none\"); not for release outside the SDE.")
}

# The rule for counts in a message raised on behalf of a user-facing
# function: its `disclosure` argument when `env` (its environment, usually
# the `call` a helper was given) has one, else the option's rule.
message_rule <- function(env = rlang::caller_env()) {
  d <- if (is.environment(env)) {
    tryCatch(rlang::env_get(env, "disclosure", default = NULL),
             error = function(e) NULL)
  }
  tryCatch(resolve_disclosure(d), error = function(e) resolve_disclosure(NULL))
}

# Subtitle marking a plot made with disclosure control off; `subtitle` is
# the plot's own subtitle (kept after the mark).
plot_subtitle <- function(rule, subtitle = NULL) {
  if (!inherits(rule, "mq_disclosure_rule") || rule$preset != "none") return(subtitle)
  paste(c("DISCLOSURE CONTROL OFF (rule \"none\"): not for release outside the SDE",
          subtitle), collapse = "\n")
}

# Within one margin (the cells of a table whose total is known), the
# suppressed cells together are total less the released cells: when they
# hold fewer than the threshold (but someone), suppress the smallest
# released cell too, until they hold enough. `n` the true counts of the
# cells, `value` and `flag` the released values and flags of
# apply_disclosure(). Returns the updated `value` and `flag`.
protect_suppressed_sum <- function(n, value, flag, rule) {
  if (rule$small != "suppress") return(list(value = value, flag = flag))
  sup <- is.na(value) & !is.na(n)
  repeat {
    held <- sum(n[sup])
    cand <- which(!sup & !is.na(n))
    enough <- held >= rule$threshold || (held == 0 && rule$zero == "exact")
    if (!any(sup) || enough || !length(cand)) break
    pick <- cand[which.min(n[cand])]
    sup[pick] <- TRUE
    value[pick] <- NA
    flag[pick] <- "secondary suppression"
  }
  list(value = value, flag = flag)
}

# Plot data made from a disclosed table `from` (rows dropped, columns
# added) keeps its disclosure mark, so that disclosure_check() reads a plot
# by the rule its data were released under.
sdc_plot_frame <- function(d, from) {
  rule <- attr(from, "sdc")
  if (!inherits(rule, "mq_disclosure_rule")) return(d)
  new_sdc_table(as.list(d), from, rule, log = attr(from, "sdc_log"), n = nrow(d))
}
