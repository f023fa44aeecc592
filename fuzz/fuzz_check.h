/* fuzz_check.h: CHECK(cond), the fuzz targets' assertion: a property that fails is a crash
 * libFuzzer records, with the condition's text on stderr (assert() vanishes under NDEBUG). */
#ifndef PS_FUZZ_CHECK_H
#define PS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                   \
  do {                                                \
    if (!(cond)) {                                    \
      fprintf(stderr, "check failed: %s\n", #cond);   \
      abort();                                        \
    }                                                 \
  } while (0)

#endif
