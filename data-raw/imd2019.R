# Makes data/imd2019.rda: the English Index of Multiple Deprivation 2019 by
# LSOA (2011 boundaries), with each LSOA's 2019 local authority district.
#
# Sources (both MIT-licensed R packages redistributing Open Government Licence
# v3.0 data):
# - IMD ranks and deciles: the CRAN package IMD (version 1.2.2, data set
#   imd_england_lsoa), which takes them from the English Indices of
#   Deprivation 2019 (MHCLG, File 7), 32,844 LSOAs.
# - LSOA 2011 -> local authority district 2019 (ONS Open Geography lookup,
#   LSOA11CD/LAD19CD/LAD19NM) and LSOA 2011 -> ICB 2022 (ICB22CDH): the
#   humaniverse/geographr package on GitHub (not on CRAN), commit
#   c026be5cc76cb576358082b53f1f13d69ab577ae, data sets lookup_lsoa11_ltla19
#   and lookup_lsoa11_sicbl22_icb22_ltla22.
# The IMD package imports readr/janitor, which this script does not need: its
# source tarball is downloaded and its data file read directly.
#
# Run from the package root: Rscript data-raw/imd2019.R
# (IMD_SRC: a local copy of the IMD source package, else it is downloaded from
# CRAN; GEOGRAPHR_DATA: a folder with geographr's two lookup files).

src <- Sys.getenv("IMD_SRC", "")
if (!nzchar(src)) {
  dir <- tempfile("imd")
  dir.create(dir)
  tar <- utils::download.packages("IMD", destdir = dir, type = "source")[1, 2]
  utils::untar(tar, exdir = dir)
  src <- file.path(dir, "IMD")
}
geo <- Sys.getenv("GEOGRAPHR_DATA", "")
if (!nzchar(geo) || !dir.exists(geo)) {
  stop("Set GEOGRAPHR_DATA to a folder holding geographr's data files ",
       "lookup_lsoa11_ltla19.rda and lookup_lsoa11_sicbl22_icb22_ltla22.rda ",
       "(humaniverse/geographr at the commit above).", call. = FALSE)
}

e <- new.env()
load(file.path(src, "data", "imd_england_lsoa.rda"), envir = e)
load(file.path(geo, "lookup_lsoa11_ltla19.rda"), envir = e)
load(file.path(geo, "lookup_lsoa11_sicbl22_icb22_ltla22.rda"), envir = e)
imd <- e$imd_england_lsoa
lad <- e$lookup_lsoa11_ltla19
icb <- e$lookup_lsoa11_sicbl22_icb22_ltla22

stopifnot(nrow(imd) == 32844L, !anyDuplicated(imd$lsoa_code),
          all(grepl("^E01[0-9]{6}$", imd$lsoa_code)),
          all(imd$IMD_decile %in% 1:10), all(imd$IMD_rank %in% 1:32844),
          # deciles are national tenths of the rank (1 = most deprived)
          all(imd$IMD_decile == ceiling(imd$IMD_rank / 3284.4)),
          all(imd$lsoa_code %in% lad$lsoa11_code), all(imd$lsoa_code %in% icb$lsoa11_code))
counts <- table(imd$IMD_decile)
stopifnot(all(counts %in% 3284:3285))

imd <- imd[order(imd$lsoa_code), ]
il <- match(imd$lsoa_code, lad$lsoa11_code)
ii <- match(imd$lsoa_code, icb$lsoa11_code)
lad_codes <- sort(unique(lad$ltla19_code[il]))
lad_names <- lad$ltla19_name[match(lad_codes, lad$ltla19_code)]
imd2019 <- tibble::tibble(
  lsoa11 = imd$lsoa_code,
  imd_rank = as.integer(imd$IMD_rank),
  imd_decile = as.integer(imd$IMD_decile),
  lad19 = factor(lad$ltla19_code[il], levels = lad_codes),
  lad19_name = factor(lad$ltla19_name[il], levels = unique(lad_names)),
  icb22 = factor(icb$icb22_code_h[ii])
)
stopifnot(!anyNA(imd2019))
# West Midlands region check: the six West Midlands ICBs cover the region's
# 30 local authority districts (2019)
wm_icb <- c("QHL", "QUA", "QWU", "QGH", "QOC", "QNC")
wm_lad <- unique(as.character(imd2019$lad19[imd2019$icb22 %in% wm_icb]))
stopifnot(length(wm_lad) == 30L,
          all(grepl("^E0(6000019|6000020|6000021|6000051|7000(19[2-9]|2[0-3][0-9])|80000(2[5-9]|3[01]))$", wm_lad)))
save(imd2019, file = "data/imd2019.rda", compress = "xz")
