library(testthat)
library(matequity)

test_check("matequity")
