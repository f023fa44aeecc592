/* xorshift.h: the tests' seeded pseudo-random numbers (Marsaglia's xorshift64). Each test
 * keeps its own state, so what it generates depends only on its seed (a failure replays). */
#ifndef PS_TESTS_XORSHIFT_H
#define PS_TESTS_XORSHIFT_H

#include <stdint.h>

/* The next number of the sequence of *state (never 0 from a seed that is not 0). */
static inline uint64_t xorshift64(uint64_t *state) {
  *state ^= *state << 13;
  *state ^= *state >> 7;
  *state ^= *state << 17;
  return *state;
}

#endif
