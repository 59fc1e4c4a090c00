#!/usr/bin/env bash
# Installs what matequity needs to build, test, check and benchmark on a fresh
# Debian machine with R 4.2: Debian's prebuilt r-cran-* packages where they
# exist (seconds), then the rest from CRAN (built from source, Ncpus = 2).
# Safe to run again: it installs only what is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

apt_pkgs="cmake catch2 pandoc
 r-cran-rcpp r-cran-rcppeigen r-cran-generics r-cran-roxygen2 r-cran-knitr
 r-cran-rmarkdown r-cran-ggplot2 r-cran-data.table r-cran-sandwich r-cran-survey
 r-cran-matchit r-cran-dbi r-cran-rsqlite r-cran-bench r-cran-boot
 r-cran-metafor r-cran-dplyr r-cran-glmnet r-cran-lme4 r-cran-gbm r-cran-numderiv
 r-cran-gam r-cran-nnls r-cran-gridextra r-cran-rocr
 r-cran-caret r-cran-suppdists r-cran-distr r-cran-rpart r-cran-magrittr"

missing=""
for p in $apt_pkgs; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: apt-get install$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "install-deps: not root or no apt-get; missing Debian packages:$missing" >&2
  fi
fi

Rscript "$here/install-deps.R"
