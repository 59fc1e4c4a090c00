#' Number of threads for the C++ engine
#'
#' Every function with an `nthreads` argument defaults to
#' `getOption("matequity.threads", 2)`. Results do not depend on the number of
#' threads: parallel reductions are done in a fixed order.
#'
#' @param nthreads A positive whole number, or `NULL` for the option's value.
#' @returns An integer, at least 1.
#' @examples
#' matequity_threads()
#' @export
matequity_threads <- function(nthreads = NULL) {
  resolve_threads(nthreads %||% getOption("matequity.threads", 2L))
}

resolve_threads <- function(nthreads, arg = rlang::caller_arg(nthreads),
                            call = rlang::caller_env()) {
  if (!is.numeric(nthreads) || length(nthreads) != 1L || is.na(nthreads) ||
      nthreads < 1 || nthreads != round(nthreads)) {
    cli::cli_abort(
      c("{.arg {arg}} must be one positive whole number.",
        "x" = "It is {.obj_type_friendly {nthreads}}{if (is.numeric(nthreads) && length(nthreads) == 1L) paste0(' (', nthreads, ')') else ''}."),
      call = call
    )
  }
  as.integer(nthreads)
}
