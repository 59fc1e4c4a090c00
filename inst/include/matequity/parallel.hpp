// matequity: thread helpers shared by the engine headers.
// No R headers here: the engine is usable from any C++17 program.
#pragma once

#ifdef _OPENMP
#include <omp.h>
#endif

namespace matequity {

// Number of threads a kernel may use: at least 1, never more than asked.
inline int effective_threads(int requested) {
  if (requested < 1) return 1;
#ifdef _OPENMP
  return requested;
#else
  return 1;
#endif
}

// True when the engine was compiled with OpenMP.
inline bool has_openmp() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

}  // namespace matequity
