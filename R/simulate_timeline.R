# The simulated pregnancies' booking dates, and whose they are, in a window
# that cuts women's reproductive histories at both ends, as a real extract
# does.
#
# A woman has one pregnancy or (probability 0.22) two, whose bookings are
# 420-919 days apart. A single booking falls uniformly in the window; the
# first booking of a pair falls uniformly from `gap` days before `start` to
# `end`, so that the window holds both pregnancies of a pair, only the later
# one (the earlier was booked before the extract starts) or only the earlier
# one (the later is booked after it ends). First and later pregnancies, and
# so parity, age and obstetric history, then have the same mix in every
# calendar month of the window: the baseline risks are stationary, as an
# interrupted time series assumes of the world. (Before 0.1.0's v1.5 work
# every pregnancy of the first 14 months was a woman's first in the window and
# later pregnancies piled up in the last months and on `end` itself, which
# bent the baseline near both ends.)
#
# Women are drawn until the window holds `n` pregnancies; if the last one
# drawn would bring n + 1, her later pregnancy is taken to fall after the
# window. Returns, per pregnancy (ordered by woman, then booking), `woman`
# (1..n_women), `booking` (Date) and `later` (1 for the second of a pair);
# per woman, `first_in_window` (her first booking in the extract) and
# `first_pregnancy` (the first booking of her pair, possibly before `start`).
sim_timeline <- function(n, start, end) {
  span <- max(as.numeric(end - start), 1)
  m <- as.integer(ceiling(n / 1.1)) + 10L
  repeat {
    pair <- stats::runif(m) < 0.22
    gap <- floor(stats::runif(m) * 500 + 420)
    lead <- ifelse(pair, gap, 0)
    first <- floor(stats::runif(m) * (span + lead)) - lead   # days from start
    in1 <- first >= 0
    in2 <- pair & first + gap < span
    cnt <- in1 + in2
    if (sum(cnt) >= n) break
    m <- 2L * m
  }
  last <- which(cumsum(cnt) >= n)[1]
  keep <- seq_len(last)
  keep <- keep[cnt[keep] > 0]
  if (sum(cnt[keep]) > n) in2[last] <- FALSE
  first <- first[keep]; gap <- gap[keep]; in1 <- in1[keep]; in2 <- in2[keep]
  n_w <- length(keep)
  # pregnancy rows: each woman's in-window earlier booking, then her later one
  woman <- c(which(in1), which(in2))
  later <- rep(c(0L, 1L), c(sum(in1), sum(in2)))
  day <- c(first[in1], first[in2] + gap[in2])
  o <- order(woman, later)
  list(n_women = n_w, woman = woman[o], later = later[o],
       booking = start + day[o],
       first_in_window = start + ifelse(in1, first, first + gap),
       first_pregnancy = start + first)
}
