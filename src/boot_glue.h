// Glue shared by the bootstrap entry points: the replicates as an R matrix,
// with attribute "reason" (NA for a replicate that was fitted, else why it
// was not: the engine's message).
#ifndef MATEQUITY_BOOT_GLUE_H
#define MATEQUITY_BOOT_GLUE_H

#include <RcppEigen.h>

#include <string>
#include <vector>

inline Rcpp::NumericMatrix boot_matrix(const Eigen::MatrixXd& B,
                                       const std::vector<std::string>& reasons) {
  Rcpp::NumericMatrix out(Rcpp::wrap(B));
  Rcpp::CharacterVector why(reasons.size());
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    if (reasons[i].empty()) {
      why[static_cast<R_xlen_t>(i)] = NA_STRING;
    } else {
      why[static_cast<R_xlen_t>(i)] = reasons[i];
    }
  }
  out.attr("reason") = why;
  return out;
}

#endif  // MATEQUITY_BOOT_GLUE_H
