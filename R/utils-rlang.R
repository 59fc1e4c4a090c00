# `%||%` is in base R only from 4.4.0; the package supports R 4.2, so it
# comes from rlang (already in Imports). Without this, matequity_threads()
# and other helpers fail on R < 4.4 with "could not find function %||%".
#' @importFrom rlang %||% .data
NULL
