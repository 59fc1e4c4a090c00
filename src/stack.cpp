// Glue for stack.hpp: type conversion only.
#include <RcppEigen.h>
#include <matequity/stack.hpp>

#include "spec_glue.h"

// Standardised means of a logistic model's predictions (g-computation): the
// model y ~ X on all rows, then one mean per row of `values` over the
// standard population h, with the design's columns `cols` (1-based) set to
// that row. control: list(epsilon, maxit). Returns the means, their
// influence-function covariance, and the model.
// [[Rcpp::export(name = ".cpp_standardised_means", rng = false)]]
Rcpp::List cpp_standardised_means(const Eigen::Map<Eigen::MatrixXd>& X,
                                  const Eigen::Map<Eigen::VectorXd>& y,
                                  const Rcpp::IntegerVector& cols,
                                  const Rcpp::NumericMatrix& values,
                                  const Eigen::Map<Eigen::VectorXd>& h,
                                  const Rcpp::List& control) {
  if (values.ncol() != cols.size()) Rcpp::stop("`values` must have one column per entry of `cols`");
  const matequity::GlmControl ctl = spec_glue::glm_control(control);
  const Eigen::Index n = X.rows();
  matequity::Stack st;
  const auto& model = st.add<matequity::LogisticBlock>(X, y, Eigen::VectorXd::Ones(n), ctl);
  std::vector<Eigen::Index> sel;
  for (int k = 0; k < values.nrow(); ++k) {
    std::vector<std::pair<int, double>> set;
    for (int j = 0; j < cols.size(); ++j) set.emplace_back(cols[j] - 1, values(k, j));
    const matequity::Prediction p{&model, 0, X, set};
    st.add<matequity::MeanBlock>(Eigen::VectorXd(h), std::vector<matequity::Prediction>{p},
                                 [](Eigen::Index, const double* q, double* g) {
                                   g[0] = 1.0;
                                   return q[0];
                                 });
    sel.push_back(st.offset(st.last()));
  }
  st.solve(Eigen::VectorXd::Ones(n));
  const Eigen::MatrixXd V = st.vcov(st.influence(sel));
  std::vector<double> mu;
  for (Eigen::Index k : sel) mu.push_back(st.theta()[k]);
  const matequity::GlmFit& f = model.fit();
  Rcpp::IntegerVector al(f.aliased.size());
  for (std::size_t i = 0; i < f.aliased.size(); ++i) al[i] = f.aliased[i] + 1;
  return Rcpp::List::create(
      Rcpp::Named("mu") = mu, Rcpp::Named("vcov") = V,
      Rcpp::Named("model") = Rcpp::List::create(
          Rcpp::Named("coefficients") = f.coef, Rcpp::Named("converged") = f.converged,
          Rcpp::Named("iter") = f.iter, Rcpp::Named("aliased") = al));
}

// Weighted means of y within groups 1..K with known weights w (the Hajek
// means of a matched sample): weighted_means() in stack.hpp. Returns the
// means and their influence functions (n x K; mu_hat - mu ~ (1/n) sum IF_i).
// [[Rcpp::export(name = ".cpp_weighted_means", rng = false)]]
Rcpp::List cpp_weighted_means(const Eigen::Map<Eigen::VectorXd>& y, const Rcpp::IntegerVector& group,
                              int K, const Eigen::Map<Eigen::VectorXd>& w) {
  std::vector<int> g(group.size());
  for (R_xlen_t i = 0; i < group.size(); ++i) {
    if (group[i] == NA_INTEGER) Rcpp::stop("group codes must be 1..K");
    g[static_cast<std::size_t>(i)] = group[i] - 1;
  }
  Eigen::VectorXd mu;
  const Eigen::MatrixXd IF = matequity::weighted_means(y, g, K, w, mu);
  return Rcpp::List::create(Rcpp::Named("mu") = mu, Rcpp::Named("influence") = IF);
}
