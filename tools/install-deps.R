# Installs what one make target needs, and nothing else.
#
#   Rscript tools/install-deps.R demo    Imports, LinkingTo and the Suggests the
#                                        demo uses (ggplot2), into the user's library
#   Rscript tools/install-deps.R test    + testthat, knitr, rmarkdown and every
#                                        package in tests/testthat/reference-packages.csv
#                                        (at least its min_version there, if any)
#   Rscript tools/install-deps.R bench   + bench/peer-packages.txt
#
# Where a package comes from:
# 1. Debian's prebuilt r-cran-* package, when running as root and Debian has it
#    (apt installs a coherent set into /usr/lib/R/site-library, managed by dpkg).
# 2. Otherwise CRAN, built from source (Ncpus = 2). For `demo` into the first
#    library on .libPaths(), and only packages that are missing: a package the
#    user already has is never replaced or shadowed. For `test` and `bench` into
#    the project-local library build/rlib (R_LIBS for those targets only),
#    including any newer version a reference package requires, so that CRAN
#    builds never reach the user's site library.
#
# Under CI=true a package of the target that cannot be installed is an error,
# so the agreement tests cannot be skipped silently.
args <- commandArgs(TRUE)
target <- if (length(args)) args[1] else "demo"
stopifnot(target %in% c("demo", "test", "bench"))
# CRAN is reached through the mirror this R installation is set up with
# (options("repos"), e.g. from Rprofile.site)
options(Ncpus = 2L, install.packages.compile.from.source = "always")
if (identical(unname(getOption("repos")["CRAN"]), "@CRAN@")) {
  stop("install-deps: no CRAN mirror is set; set options(repos = c(CRAN = <mirror>)) ",
       "in your Rprofile and run again.", call. = FALSE)
}
ci <- identical(tolower(Sys.getenv("CI")), "true")
`%||%` <- function(x, y) if (is.null(x)) y else x
say <- function(...) message("install-deps [", target, "]: ", ...)

project_lib <- normalizePath(file.path("build", "rlib"), mustWork = FALSE)
if (target == "demo") {
  lib <- .libPaths()[1]
} else {
  dir.create(project_lib, recursive = TRUE, showWarnings = FALSE)
  lib <- project_lib
  .libPaths(c(project_lib, .libPaths()))
}

# -- what the target needs ---------------------------------------------------
dcf_field <- function(file, field) {
  v <- read.dcf(file, fields = field)[1, 1]
  if (is.na(v)) "" else v
}
parse_deps <- function(x) {
  x <- trimws(unlist(strsplit(gsub("\\s+", " ", x), ",")))
  x <- x[nzchar(x)]
  m <- regmatches(x, regexec("^([A-Za-z0-9.]+)\\s*(\\(\\s*(>=|>|==)\\s*([^)]+)\\))?", x))
  data.frame(package = vapply(m, `[`, "", 2), op = vapply(m, `[`, "", 4),
             version = trimws(vapply(m, `[`, "", 5)), stringsAsFactors = FALSE)
}
base_pkgs <- c("R", rownames(installed.packages(priority = "base")))
read_list <- function(f) {
  x <- trimws(sub("#.*", "", readLines(f)))
  x[nzchar(x)]
}
core <- parse_deps(paste(dcf_field("DESCRIPTION", "Imports"),
                         dcf_field("DESCRIPTION", "LinkingTo"), sep = ","))$package
wanted <- switch(target,
  demo = c(core, "ggplot2"),
  test = c(core, "testthat", "knitr", "rmarkdown",
           utils::read.csv("tests/testthat/reference-packages.csv")$package),
  bench = c(core, read_list("bench/peer-packages.txt"))
)
wanted <- setdiff(unique(wanted), base_pkgs)
# Minimum versions (the min_version column of reference-packages.csv, e.g.
# a MatchIt whose matching rules the tests compare against): an installed
# or Debian version below it does not count, so CRAN's is built instead.
min_versions <- stats::setNames(rep("", length(wanted)), wanted)
if (target == "test") {
  refs <- utils::read.csv("tests/testthat/reference-packages.csv", stringsAsFactors = FALSE,
                          colClasses = "character")
  mv <- trimws(refs$min_version %||% rep("", nrow(refs)))
  has <- nzchar(mv) & refs$package %in% wanted
  min_versions[refs$package[has]] <- mv[has]
}
required <- data.frame(package = wanted, op = ifelse(nzchar(min_versions), ">=", ""),
                       version = unname(min_versions), stringsAsFactors = FALSE)

# -- what is installed, and does it satisfy a requirement ---------------------
installed_version <- function(p) {
  for (l in .libPaths()) {
    f <- file.path(l, p, "DESCRIPTION")
    if (file.exists(f)) return(package_version(dcf_field(f, "Version")))
  }
  NULL
}
satisfies <- function(have, op, version) {
  if (is.null(have)) return(FALSE)
  if (!nzchar(op)) return(TRUE)
  switch(op, ">=" = have >= version, ">" = have > version, "==" = have == version)
}

# -- Debian ------------------------------------------------------------------
can_apt <- identical(unname(Sys.info()[["effective_user"]]), "root") &&
  nzchar(Sys.which("apt-get"))
apt_updated <- FALSE
apt_candidates <- function(pkgs) {
  # Debian package name -> candidate upstream version ("" when Debian lacks it)
  deb <- paste0("r-cran-", tolower(pkgs))
  out <- suppressWarnings(system2("apt-cache", c("policy", deb), stdout = TRUE, stderr = FALSE))
  cand <- stats::setNames(rep("", length(pkgs)), pkgs)
  cur <- NA_character_
  for (line in out) {
    if (grepl("^\\S.*:$", line)) cur <- sub(":$", "", line)
    else if (grepl("^\\s+Candidate:", line) && !is.na(cur)) {
      v <- trimws(sub("^\\s+Candidate:", "", line))
      i <- match(cur, deb)
      if (!is.na(i) && v != "(none)") cand[i] <- sub("-[^-]*$", "", sub("^[0-9]+:", "", v))
    }
  }
  cand
}
apt_install <- function(pkgs, ops = rep("", length(pkgs)), versions = rep("", length(pkgs))) {
  if (!can_apt || !length(pkgs)) return(character())
  if (!apt_updated) {
    system2("apt-get", c("update", "-qq"), stdout = FALSE)
    apt_updated <<- TRUE
  }
  cand <- apt_candidates(pkgs)
  ok <- vapply(seq_along(pkgs), function(i) {
    nzchar(cand[i]) && satisfies(tryCatch(package_version(cand[i]), error = function(e) NULL),
                                 ops[i], versions[i])
  }, TRUE)
  take <- pkgs[ok]
  if (length(take)) {
    say("Debian: apt-get install ", paste0("r-cran-", tolower(take), collapse = " "))
    st <- system2("apt-get", c("install", "-y", "-qq", "--no-install-recommends",
                               paste0("r-cran-", tolower(take))),
                  stdout = FALSE, env = "DEBIAN_FRONTEND=noninteractive")
    if (st != 0) say("apt-get failed (status ", st, "); falling back to CRAN")
  }
  take
}

# -- resolve against CRAN ------------------------------------------------------
# The packages to build from CRAN: every wanted package, and every hard
# dependency of a package being installed, that is missing or older than
# required. Satisfied packages are not looked into further.
resolve <- function(required, ap) {
  queue <- required
  todo <- queue[0, ]
  seen <- character()
  while (nrow(queue)) {
    d <- queue[1, ]
    queue <- queue[-1, , drop = FALSE]
    if (d$package %in% base_pkgs) next
    have <- installed_version(d$package)
    if (satisfies(have, d$op, d$version) && !d$package %in% todo$package) next
    if (d$package %in% seen) {
      # a stricter requirement on a package already queued
      i <- match(d$package, todo$package)
      if (!is.na(i) && nzchar(d$op) &&
          (!nzchar(todo$op[i]) || package_version(d$version) > package_version(todo$version[i]))) {
        todo[i, c("op", "version")] <- d[, c("op", "version")]
      }
      next
    }
    seen <- c(seen, d$package)
    todo <- rbind(todo, d)
    if (!d$package %in% rownames(ap)) next
    deps <- parse_deps(paste(ap[d$package, c("Depends", "Imports", "LinkingTo")][
      !is.na(ap[d$package, c("Depends", "Imports", "LinkingTo")])], collapse = ","))
    queue <- rbind(queue, deps)
  }
  todo
}

# wanted packages not installed, or installed below their minimum version
missing_now <- function() {
  ok <- vapply(seq_len(nrow(required)), function(i) {
    satisfies(installed_version(required$package[i]), required$op[i], required$version[i])
  }, TRUE)
  wanted[!ok]
}

# 1. Debian for the wanted packages themselves (when its version is enough)
miss <- missing_now()
if (length(miss)) {
  i <- match(miss, required$package)
  invisible(apt_install(miss, required$op[i], required$version[i]))
}

# 2. CRAN for the rest (and for requirements Debian's versions do not meet)
ap <- NULL
todo <- data.frame(package = missing_now(), stringsAsFactors = FALSE)
todo$op <- rep("", nrow(todo))
todo$version <- rep("", nrow(todo))
if (target != "demo" || nrow(todo)) {
  ap <- tryCatch(utils::available.packages(), error = function(e) NULL)
  if (is.null(ap)) {
    say("CRAN index unreachable: only Debian packages were used")
  } else {
    todo <- resolve(required, ap)
    if (nrow(todo)) {
      got <- apt_install(todo$package, todo$op, todo$version)
      if (length(got)) todo <- resolve(required, ap)
    }
  }
}
if (!is.null(ap) && nrow(todo)) {
  if (target == "demo") {
    old <- todo$package[vapply(todo$package, function(p) !is.null(installed_version(p)), TRUE)]
    if (length(old)) {
      stop("install-deps [demo]: these installed packages are older than matequity needs: ",
           paste(old, collapse = ", "), ". Update them yourself; the demo does not replace ",
           "packages you already have.", call. = FALSE)
    }
  }
  not_on_cran <- setdiff(todo$package, rownames(ap))
  if (length(not_on_cran)) say("not on CRAN: ", paste(not_on_cran, collapse = ", "))
  build <- intersect(todo$package, rownames(ap))
  if (length(build)) {
    say("CRAN (from source) into ", lib, ": ", paste(build, collapse = ", "))
    utils::install.packages(build, lib = lib, dependencies = FALSE, quiet = TRUE)
  }
}

# -- check: every wanted package loads, in a fresh R with this library path ----
check <- system2(file.path(R.home("bin"), "Rscript"),
                 c("-e", shQuote(paste0(
                   ".libPaths(c(", if (target != "demo") deparse(project_lib) else "character()",
                   ", .libPaths())); for (p in c(", paste(deparse(wanted), collapse = ""), ")) ",
                   "if (!suppressWarnings(suppressMessages(requireNamespace(p, quietly = TRUE)))) cat(p, '\\n')"))),
                 stdout = TRUE)
bad <- trimws(check)
bad <- bad[nzchar(bad)]
# a package that loads but is older than its minimum version is as bad
too_old <- setdiff(missing_now(), bad)
if (length(too_old)) {
  i <- match(too_old, required$package)
  bad <- c(bad, paste0(too_old, " (", vapply(too_old, function(p) format(installed_version(p) %||% "none"), ""),
                       " < ", required$version[i], ")"))
}
if (length(bad)) {
  msg <- paste0("these packages do not load or are older than required: ", paste(bad, collapse = ", "))
  if (ci || any(bad %in% c(core, "testthat"))) stop("install-deps [", target, "]: ", msg, call. = FALSE)
  say(msg, " (their tests will be skipped; under CI=true this is an error)")
} else {
  say("all ", length(wanted), " packages load")
}
