# Checks that the project's set-up left the user's R libraries working:
#   Rscript tools/check-site-library.R snapshot FILE   record what is installed
#   Rscript tools/check-site-library.R compare FILE    compare, and run dplyr
# `compare` fails if a package in the libraries outside the project (the
# site and system libraries) changed version or was shadowed by a CRAN build
# in /usr/local/lib/R/site-library, other than matequity itself, and if
# dplyr::mutate() no longer works. Used by .ci/run after `make demo` and
# after `make test` (R_LIBS unset, as a user's session has it).
args <- commandArgs(TRUE)
mode <- args[1]
file <- args[2]
libs <- .libPaths()
ip <- installed.packages(lib.loc = libs, fields = "Packaged")
now <- data.frame(package = ip[, "Package"], lib = ip[, "LibPath"],
                  version = ip[, "Version"], stringsAsFactors = FALSE)
if (mode == "snapshot") {
  utils::write.csv(now, file, row.names = FALSE)
  cat("site libraries:", nrow(now), "packages recorded\n")
  quit(status = 0)
}
before <- utils::read.csv(file, stringsAsFactors = FALSE)
key <- function(d) paste(d$package, d$lib)
changed <- merge(before, now, by = c("package", "lib"), suffixes = c(".before", ".after"))
changed <- changed[changed$version.before != changed$version.after & changed$package != "matequity", ]
added <- now[!key(now) %in% key(before) & now$package != "matequity", ]
# packages added outside Debian's libraries are CRAN builds; one that has the
# name of a package the user already had shadows it
debian <- c("/usr/lib/R/site-library", "/usr/lib/R/library")
cran_added <- added[!added$lib %in% debian, ]
shadow <- cran_added[cran_added$package %in% before$package, ]
ok <- TRUE
if (nrow(changed)) {
  cat("Packages whose version changed:\n"); print(changed, row.names = FALSE); ok <- FALSE
}
if (nrow(shadow)) {
  cat("Packages now shadowed by a second copy:\n"); print(shadow, row.names = FALSE); ok <- FALSE
}
if (nrow(cran_added)) {
  cat("Packages added outside Debian's library (demo needs only Debian's):\n")
  print(cran_added, row.names = FALSE)
}
res <- tryCatch({
  d <- dplyr::mutate(data.frame(a = 1), b = a)
  identical(d$b, 1)
}, error = function(e) { cat("dplyr::mutate() fails: ", conditionMessage(e), "\n"); FALSE })
if (!isTRUE(res)) ok <- FALSE else cat("dplyr::mutate() works (dplyr ", format(utils::packageVersion("dplyr")), ")\n", sep = "")
if (!ok) quit(status = 1)
cat("site libraries unchanged apart from",
    if (nrow(added)) paste(nrow(added), "new Debian package(s) and matequity") else "matequity", "\n")
